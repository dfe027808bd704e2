"""The control catalog: every rule, grouped by area, for compliance reviewers."""

from __future__ import annotations

from collections.abc import Iterable

from servegate.findings import Area, Rule
from servegate.report.templating import markdown_environment


def rules_by_area(rules: Iterable[Rule]) -> list[tuple[Area, list[Rule]]]:
    """Rules grouped in the fixed area order (residency, sla, audit, security, cost),
    sorted by id within an area; areas without rules are left out."""
    grouped: dict[Area, list[Rule]] = {area: [] for area in Area}
    for rule in rules:
        grouped[rule.area].append(rule)
    return [
        (area, sorted(area_rules, key=lambda r: r.id))
        for area, area_rules in grouped.items()
        if area_rules
    ]


def catalog_markdown(rules: Iterable[Rule]) -> str:
    """The catalog as Markdown (what ``servegate policies doc`` prints)."""
    rule_list = list(rules)
    template = markdown_environment().get_template("catalog.md.j2")
    return template.render(rules=rule_list, catalog=rules_by_area(rule_list))
