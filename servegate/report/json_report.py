"""report.json (the ``servegate/report/v1`` contract) and its loader."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from servegate.errors import GateError
from servegate.findings import (
    REPORT_SCHEMA,
    Evidence,
    Finding,
    Report,
    Rule,
    Waiver,
    WaiverProblem,
)
from servegate.report.view import baseline_counts

_REPORT_ADAPTER: TypeAdapter[Report] = TypeAdapter(Report)


def waiver_to_dict(waiver: Waiver) -> dict[str, Any]:
    return {
        "rule_id": waiver.rule_id,
        "resource": waiver.resource,
        "justification": waiver.justification,
        "approved_by": waiver.approved_by,
        "expires": waiver.expires.isoformat(),
        "number": waiver.number,
    }


def evidence_to_dict(evidence: Evidence) -> dict[str, Any]:
    """path and value found; limit (path and value) only for rules that judge against one."""
    limit = evidence.limit
    return {
        "path": evidence.path,
        "value": evidence.value,
        "limit": None if limit is None else {"path": limit.path, "value": limit.value},
    }


def finding_to_dict(finding: Finding) -> dict[str, Any]:
    return {
        "rule_id": finding.rule_id,
        "area": finding.area.value,
        "severity": finding.severity.value,
        "enforcement": finding.enforcement.value,
        "resource_urn": finding.resource_urn,
        "resource_type": finding.resource_type,
        "message": finding.message,
        "evidence": evidence_to_dict(finding.evidence),
        "waived": finding.waived,
        "waiver": waiver_to_dict(finding.waiver) if finding.waiver else None,
        "result": finding.result.value,
        "baseline": finding.baseline.value if finding.baseline else None,
    }


def rule_to_dict(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "title": rule.title,
        "description": rule.description,
        "area": rule.area.value,
        "severity": rule.severity.value,
        "enforcement": rule.enforcement.value,
        "package": rule.package,
        "remediation": rule.remediation,
        "controls": list(rule.controls),
        "parameters": list(rule.parameters),
        "scope": rule.scope,
        "test_cases": rule.test_cases,
        "applies_when": rule.applies_when,
        "not_applicable": rule.not_applicable,
        "resource_types": list(rule.resource_types),
        "config_key": rule.config_key,
    }


def waiver_problem_to_dict(problem: WaiverProblem) -> dict[str, Any]:
    return {
        "number": problem.number,
        "kind": problem.kind.value,
        "reason": problem.reason,
        "rule_id": problem.rule_id,
        "resource": problem.resource,
    }


def report_to_dict(report: Report) -> dict[str, Any]:
    """The report as the JSON document of the docs/design.md contract, plus servegate's extras
    (source, waiver_problems, baseline diff, the rules judged)."""
    return {
        "schema": report.schema,
        "stack": report.stack,
        "source": report.source,
        "verdict": report.verdict.value,
        "plan_sha256": report.plan_sha256,
        "policies_sha256": report.policies_sha256,
        "engine": {"name": report.engine.name, "version": report.engine.version},
        "generated_at": report.generated_at,
        "as_of": report.as_of,
        "resources_evaluated": report.resources_evaluated,
        "waivers_file": report.waivers_file,
        "waivers_sha256": report.waivers_sha256,
        "declared": asdict(report.declared) if report.declared else None,
        "summary": asdict(report.summary),
        "findings": [finding_to_dict(f) for f in report.findings],
        "waiver_problems": [waiver_problem_to_dict(p) for p in report.waiver_problems],
        "baseline": _baseline_to_dict(report),
        "resolved": [finding_to_dict(f) for f in report.resolved],
        "rules": [rule_to_dict(r) for r in report.rules],
        "rule_status": [
            {"rule_id": s.rule_id, "status": s.status.value, "count": s.count, "reason": s.reason}
            for s in report.rule_status
        ],
        "rule_locations": [asdict(loc) for loc in report.rule_locations],
        "type_locations": [asdict(loc) for loc in report.type_locations],
    }


def _baseline_to_dict(report: Report) -> dict[str, Any] | None:
    counts = baseline_counts(report)
    if counts is None:
        return None
    return {"path": report.baseline_path, **counts}


def render_json(report: Report) -> str:
    """report.json text: indented, UTF-8 characters kept, newline-terminated."""
    return json.dumps(report_to_dict(report), indent=2, ensure_ascii=False, default=str) + "\n"


def load_report_json(path: Path) -> Report:
    """Read a report.json written by servegate (e.g. an approved baseline).

    Raises GateError with one line naming the file and the first problem found.
    """
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise GateError(f"{path}: cannot read report: {error.strerror or error}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise GateError(f"{path}: not a JSON report ({error})") from None
    if not isinstance(document, dict):
        raise GateError(f"{path}: a report must be a JSON object")
    schema = document.get("schema")
    if schema != REPORT_SCHEMA:
        raise GateError(f"{path}: schema is {schema!r}; only {REPORT_SCHEMA!r} is supported")
    # baseline here is the diff summary; Report.baseline_path is the field of the model.
    document = {key: value for key, value in document.items() if key != "baseline"}
    try:
        return _REPORT_ADAPTER.validate_python(document)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise GateError(f"{path}: {where}: {first['msg']}") from None
