"""gl-code-quality-report.json: GitLab's Code Quality report (the CodeClimate issue format
GitLab reads from ``artifacts:reports:codequality``).

One issue per finding that still counts: waived findings are accepted and left out.
Severities follow the rule's (critical -> critical, high -> major, medium -> minor, low ->
info); an advisory rule never reports above minor because it cannot fail the gate. The
fingerprint is the finding's identity (rule, resource, property path), the same one SARIF
uses, so GitLab can tell new issues from fixed ones between the merge request and its base.
"""

from __future__ import annotations

import json
from typing import Any

from servegate.findings import Enforcement, Finding, Report, Result, Severity
from servegate.report.sarif import fingerprint
from servegate.report.values import short_value
from servegate.source_lines import location_of

_SEVERITIES = {
    Severity.CRITICAL: "critical",
    Severity.HIGH: "major",
    Severity.MEDIUM: "minor",
    Severity.LOW: "info",
}
_ADVISORY_CAP = {"critical": "minor", "major": "minor"}


def severity_of(finding: Finding) -> str:
    severity = _SEVERITIES[finding.severity]
    if finding.enforcement is Enforcement.ADVISORY:
        return _ADVISORY_CAP.get(severity, severity)
    return severity


def _issue(report: Report, finding: Finding) -> dict[str, Any]:
    undecided = (
        " (undecided: a value is unknown until apply)"
        if (finding.result is Result.UNDECIDED)
        else ""
    )
    evidence = short_value(finding.evidence.value).text
    path, line = location_of(finding, report)
    return {
        "type": "issue",
        "check_name": finding.rule_id,
        "description": (
            f"{finding.rule_id}: {finding.message}{undecided} "
            f"({finding.evidence.path} = {evidence}) [{finding.resource_urn}]"
        ),
        "categories": [
            "Security" if finding.area.value in ("security", "residency") else "Bug Risk"
        ],
        "severity": severity_of(finding),
        "fingerprint": fingerprint(finding),
        "location": {"path": path, "lines": {"begin": line}},
    }


def render_codequality(report: Report) -> str:
    issues = [_issue(report, finding) for finding in report.findings if not finding.waived]
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"
