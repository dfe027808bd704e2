"""The control catalog (servegate policies doc)."""

from __future__ import annotations

import re

from servegate.findings import Area
from servegate.report.catalog_doc import catalog_markdown, rules_by_area
from tests.report_builders import RULES, rule


def test_rules_are_grouped_in_area_order() -> None:
    text = catalog_markdown(RULES)
    headings = re.findall(r"^## (.+)$", text, re.M)
    assert headings == ["Residency", "SLA", "Audit", "Security", "Cost"]
    rule_headings = re.findall(r"^### ([A-Z]{3}-\d{3})", text, re.M)
    assert sorted(rule_headings) == sorted(r.id for r in RULES)
    assert text.index("### SLA-001") < text.index("### SLA-002") < text.index("## Audit")


def test_each_rule_has_its_attributes() -> None:
    text = catalog_markdown(RULES)
    res = text[text.index("### RES-001") : text.index("## SLA")]
    for expected in (
        "Resources stay inside the stack",
        "| critical | mandatory | 6 |",
        "Why RES-001 matters.",
        "Fix RES-001 by changing the stack config.",
        "zones.zones",
        "NIST SP 800-53 Rev. 5: SA-9(5) Processing, Storage, and Service Location",
    ):
        assert expected in res


def test_empty_areas_are_left_out_and_text_is_escaped() -> None:
    only = rule("SEC-009", Area.SECURITY, title="Use *TLS* | <b>always</b>")
    text = catalog_markdown([only])
    assert [area for area, _ in rules_by_area([only])] == [Area.SECURITY]
    assert "## Residency" not in text
    assert "<b>" not in text and r"\*TLS\* \|" in text
