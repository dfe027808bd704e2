"""report.sarif: SARIF 2.1.0 for code scanning (GitHub, GitLab, IDE viewers).

Levels: critical/high -> error, medium -> warning, low -> note; an advisory rule never
reports above ``warning`` because it cannot fail the gate. Undecided findings stay results
of kind ``fail`` (mandatory ones block: the gate fails closed) with ``properties.result``
saying so. Waived findings carry an accepted external suppression. Findings resolved since
the baseline are listed with ``baselineState: absent``, kind ``pass`` and level ``none``.
"""

from __future__ import annotations

import hashlib
import json
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from servegate.findings import (
    Area,
    BaselineStatus,
    Enforcement,
    Finding,
    Report,
    Result,
    Rule,
    Severity,
)
from servegate.report.json_report import evidence_to_dict
from servegate.report.view import all_rules
from servegate.source_lines import location_of

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
INFORMATION_URI = "https://github.com/servegate/servegate"
FINGERPRINT_KEY = "servegate/v1"

_LEVELS = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
}
# GitHub code scanning ranks security alerts by this 0-10 score.
_SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "2.0",
}
_BASELINE_STATES = {
    BaselineStatus.NEW: "new",
    BaselineStatus.UNCHANGED: "unchanged",
    BaselineStatus.RESOLVED: "absent",
}


def level_of(severity: Severity, enforcement: Enforcement) -> str:
    """SARIF level of a rule: by severity, capped at warning for advisory rules."""
    level = _LEVELS[severity]
    if enforcement is Enforcement.ADVISORY and level == "error":
        return "warning"
    return level


def fingerprint(finding: Finding) -> str:
    """Stable across runs: the finding's identity (rule, resource, property path)."""
    identity = "\0".join(finding.key)
    return hashlib.sha256(identity.encode("utf-8")).hexdigest()


def tool_version() -> str:
    """servegate's installed version (an unreleased checkout reports 0+unknown)."""
    try:
        return version("servegate")
    except PackageNotFoundError:
        return "0+unknown"


def _descriptor(rule: Rule) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "area": rule.area.value,
        "severity": rule.severity.value,
        "enforcement": rule.enforcement.value,
        "controls": list(rule.controls),
        "tags": ["servegate", rule.area.value, rule.enforcement.value],
    }
    # GitHub ranks alerts by security-severity only for rules tagged "security" (the
    # security area's tag).
    if rule.area is Area.SECURITY:
        properties["security-severity"] = _SECURITY_SEVERITY[rule.severity]
    return {
        "id": rule.id,
        "name": rule.id.replace("-", ""),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.description or rule.title},
        "help": {"text": rule.remediation or "See the servegate control catalog."},
        "defaultConfiguration": {"level": level_of(rule.severity, rule.enforcement)},
        "properties": properties,
    }


def _result(finding: Finding, rule_index: int, report: Report) -> dict[str, Any]:
    uri, line = location_of(finding, report)
    resolved = finding.baseline is BaselineStatus.RESOLVED
    result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "kind": "pass" if resolved else "fail",
        "level": "none" if resolved else level_of(finding.severity, finding.enforcement),
        "message": {"text": finding.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"},
                    "region": {"startLine": line},
                },
                "logicalLocations": [
                    {
                        "name": finding.resource_urn.rsplit("::", 1)[-1],
                        "fullyQualifiedName": finding.resource_urn,
                        "kind": "resource",
                    }
                ],
            }
        ],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(finding)},
        "properties": {
            "resourceType": finding.resource_type,
            "evidence": evidence_to_dict(finding.evidence),
            "result": finding.result.value,
            "enforcement": finding.enforcement.value,
            "blocking": finding.blocking and not resolved,
        },
    }
    if finding.result is Result.UNDECIDED:
        result["message"]["text"] += " (undecided: a value is unknown until apply)"
    if finding.baseline is not None:
        result["baselineState"] = _BASELINE_STATES[finding.baseline]
    if finding.waiver is not None:
        result["suppressions"] = [
            {
                "kind": "external",
                "status": "accepted",
                "justification": finding.waiver.justification,
                "properties": {
                    "waiver": finding.waiver.label,
                    "approvedBy": finding.waiver.approved_by,
                    "expires": finding.waiver.expires.isoformat(),
                    "resource": finding.waiver.resource,
                },
            }
        ]
    return result


def sarif_document(report: Report) -> dict[str, Any]:
    """The report as a SARIF 2.1.0 log with one run."""
    rules = sorted(all_rules(report).values(), key=lambda r: r.id)
    index = {rule.id: position for position, rule in enumerate(rules)}
    results = [
        _result(finding, index[finding.rule_id], report)
        for finding in (*report.findings, *report.resolved)
    ]
    notifications = [
        {
            "level": "warning",
            "descriptor": {"id": "waiver-problem"},
            "message": {"text": f"{problem.label}: {problem.reason}"},
            "properties": {
                "kind": problem.kind.value,
                "waivesNothing": problem.waives_nothing,
                "ruleId": problem.rule_id,
                "resource": problem.resource,
            },
        }
        for problem in report.waiver_problems
    ]
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "servegate",
                        "version": tool_version(),
                        "informationUri": INFORMATION_URI,
                        "rules": [_descriptor(rule) for rule in rules],
                    }
                },
                "automationDetails": {"id": f"servegate/{report.stack}/"},
                "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "repository root"}}},
                "invocations": [
                    {
                        "executionSuccessful": True,
                        "endTimeUtc": report.generated_at,
                        "toolConfigurationNotifications": notifications,
                    }
                ],
                "results": results,
                "properties": {
                    "stack": report.stack,
                    "source": report.source,
                    "verdict": report.verdict.value,
                    "planSha256": report.plan_sha256,
                    "policiesSha256": report.policies_sha256,
                    "engine": {"name": report.engine.name, "version": report.engine.version},
                    "asOf": report.as_of,
                    "waiversFile": report.waivers_file,
                    "waiversSha256": report.waivers_sha256,
                },
            }
        ],
    }


def render_sarif(report: Report) -> str:
    return json.dumps(sarif_document(report), indent=2, ensure_ascii=False, default=str) + "\n"
