"""The control catalog: every rule, grouped by area or by one framework's controls."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from servegate.findings import Area, Rule
from servegate.policy.controls import ControlCatalog
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


def parameter_value(params: Mapping[str, Any], key: str) -> str:
    """A rule parameter's value (``zones.zones`` -> ``data.params.zones.zones``) as compact
    JSON, the way the policies read it."""
    node: Any = params
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return "(not defined)"
        node = node[part]
    return json.dumps(node, sort_keys=True, separators=(", ", ": "), default=str)


def catalog_markdown(rules: Iterable[Rule], params: Mapping[str, Any] | None = None) -> str:
    """The catalog as Markdown (what ``servegate policies doc`` prints); with ``params``
    (the bundle's data.params) each parameter shows its value."""
    rule_list = list(rules)
    template = markdown_environment().get_template("catalog.md.j2")
    values = {
        key: parameter_value(params, key)
        for rule in rule_list
        for key in rule.parameters
        if params is not None
    }
    return template.render(rules=rule_list, catalog=rules_by_area(rule_list), values=values)


def framework_markdown(rules: Iterable[Rule], controls: ControlCatalog, framework: str) -> str:
    """The catalog grouped by one framework's controls, for a reviewer of that framework
    (``servegate policies doc --framework NIST-800-53``)."""
    by_id = {rule.id: rule for rule in rules}
    template = markdown_environment().get_template("catalog_by_framework.md.j2")
    groups = [
        (ref, [by_id[rule_id] for rule_id in rule_ids])
        for ref, rule_ids in controls.rules_by_control(framework)
    ]
    return template.render(framework=controls.framework(framework), groups=groups)
