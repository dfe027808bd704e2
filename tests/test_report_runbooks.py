"""report.html's runbook appendix: every alert's runbook, from the same table as the alerts'
runbook_url annotations and docs/runbooks/*.md."""

from __future__ import annotations

import re
from html import unescape

from components.config import load_stack
from components.dashboards import TITLES
from components.runbooks import RUNBOOKS
from components.slo_rules import Objectives, build_rule_groups
from servegate.report.html import render_html
from tests.gateway_metrics import telemetry
from tests.report_builders import passing_report


def _sections(html: str) -> dict[str, str]:
    appendix = html.split('<h2 id="runbooks">', 1)[1]
    parts = re.findall(
        r'<section class="runbook" id="runbook-([^"]+)">(.*?)</section>', appendix, re.S
    )
    return {alert: unescape(body) for alert, body in parts}


def test_every_alert_of_a_stack_has_its_runbook_in_the_appendix() -> None:
    spec = load_stack("prod-ca")
    alerts = {
        rule["alert"]
        for group in build_rule_groups(Objectives.of(spec.sla), spec.models, telemetry(spec))
        for rule in group["rules"]
        if "alert" in rule
    }
    sections = _sections(render_html(passing_report()))
    assert alerts <= set(sections) and set(sections) == set(RUNBOOKS)


def test_each_runbook_section_carries_its_content_escaped() -> None:
    html = render_html(passing_report())
    sections = _sections(html)
    for alert, book in RUNBOOKS.items():
        body = sections[alert]
        assert book.meaning in body
        assert f"Dashboard {TITLES[book.dashboard]}" in re.sub(r"<[^>]+>", "", body)
        assert book.panel in body
        for check in book.checks:
            assert check.command in body and check.why in body
        for step in book.mitigation:
            assert step in body
        assert book.escalate in body
    # PromQL quotes arrive escaped (autoescape), never as markup.
    quoted = next(c.command for b in RUNBOOKS.values() for c in b.checks if '"' in c.command)
    assert quoted.replace('"', "&#34;") in html
