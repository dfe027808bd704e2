"""report.html: one self-contained page for compliance reviewers."""

from __future__ import annotations

import base64
import hashlib
from collections import Counter
from dataclasses import dataclass

from markupsafe import Markup

from components.dashboards import TITLES as DASHBOARD_TITLES
from components.runbooks import RUNBOOKS
from servegate.findings import Area, Finding, Report, Severity
from servegate.flow import STATUS_TEXT, store_rows
from servegate.report.catalog_doc import rules_by_area
from servegate.report.flow_svg import render_svg
from servegate.report.templating import html_environment
from servegate.report.values import STATUSES, sort_key, status_of
from servegate.report.view import build_view

# select element id -> data attribute of a findings row (read by the inline script)
_FILTERS = {
    "filter-area": "data-area",
    "filter-severity": "data-severity",
    "filter-status": "data-status",
    "filter-baseline": "data-baseline",
}
_STATUS_ORDER = {status: index for index, status in enumerate(STATUSES)}
# Up to this many findings every rule's section is open; above it they start closed, so a
# plan with thousands of findings opens as one line per rule.
OPEN_UP_TO = 200
# What the stores table says for a lane the plan has nothing in.
STORE_EMPTY = {
    "Model weights": "no model weights",
    "Logs and audit trail": "no log stores",
    "Captured payloads": "no payload capture",
    "Backups": "no backups",
}


@dataclass(frozen=True)
class RuleFindings:
    """One rule's section of the findings: its findings in report order."""

    rule_id: str
    findings: list[Finding]

    @property
    def blocking(self) -> int:
        return sum(1 for finding in self.findings if finding.blocking)

    @property
    def statuses(self) -> str:
        """``"3 open, 1 waived"``, in the order of STATUSES."""
        counts = Counter(status_of(finding) for finding in self.findings)
        return ", ".join(f"{counts[status]} {status}" for status in STATUSES if counts[status])


def rule_sections(findings: list[Finding]) -> list[RuleFindings]:
    """The findings grouped per rule; a rule comes where its first finding comes."""
    sections: dict[str, list[Finding]] = {}
    for finding in findings:
        sections.setdefault(finding.rule_id, []).append(finding)
    return [RuleFindings(rule_id, items) for rule_id, items in sections.items()]


def render_html(report: Report) -> str:
    """The report as a single HTML document with inline CSS and script, no external loads."""
    env = html_environment()
    view = build_view(report)
    # The Content-Security-Policy allows exactly this script (by hash) and nothing else, so
    # even a value that slipped past escaping could not run.
    script = env.get_template("partials/filter.js.j2").render(filters=_FILTERS)
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    findings = sorted(report.findings, key=lambda f: (_STATUS_ORDER[status_of(f)], sort_key(f)))
    blocking_by_area = {area.value: 0 for area in Area}
    for finding in view.blocking + view.undecided:
        if finding.blocking:
            blocking_by_area[finding.area.value] += 1
    return env.get_template("report.html.j2").render(
        report=report,
        view=view,
        groups=rule_sections(findings),
        findings_total=len(findings),
        open_groups=len(findings) <= OPEN_UP_TO,
        blocking_by_area=blocking_by_area,
        areas=[area.value for area in Area],
        severities=[severity.value for severity in reversed(Severity)],
        statuses=STATUSES,
        catalog=rules_by_area(view.rules.values()),
        runbooks=[RUNBOOKS[alert] for alert in sorted(RUNBOOKS)],
        dashboard_titles=DASHBOARD_TITLES,
        flow_svg=render_svg(report.flow, report.stack) if report.flow else None,
        status_text=STATUS_TEXT,
        store_rows=store_rows(report.flow) if report.flow else {},
        store_empty=STORE_EMPTY,
        script=Markup(script),
        script_hash=f"sha256-{digest}",
    )
