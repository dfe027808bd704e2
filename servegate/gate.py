"""The gate: evaluate every policy over one inventory and turn violations into a Report.

It fails closed: an engine failure, an undefined policy package or a violation the
metadata cannot explain raises GateError (exit 2); it never yields a passing report.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from servegate.declared import declared_of
from servegate.engines.base import Engine, checked_results
from servegate.errors import GateError
from servegate.findings import (
    EngineInfo,
    Evidence,
    Finding,
    Limit,
    Report,
    Result,
    Rule,
    verdict_of,
)
from servegate.flow import FLOW_MODULE, FLOW_QUERY, FlowView, flow_of
from servegate.policy.bundle import PolicyBundle
from servegate.rule_status import rule_statuses
from servegate.waivers import DEFAULT_WARN_EXPIRY_DAYS, WaiverSet


def evaluate(
    inventory: Mapping[str, Any], *, bundle: PolicyBundle, engine: Engine
) -> list[Finding]:
    """Run every area's ``deny`` query and join each violation with its rule's metadata.

    ``Engine.query`` has checked every ``deny`` value: defined, a list of violation objects
    with string ``rule_id``, ``urn`` and ``message`` (``servegate.engines.base``).
    """
    results = engine.query(bundle.modules, bundle.data, dict(inventory), list(bundle.queries))
    return findings_of(results, bundle)


def evaluate_with_flow(
    inventory: Mapping[str, Any], *, bundle: PolicyBundle, engine: Engine
) -> tuple[list[Finding], FlowView | None, str]:
    """``evaluate``, and in the same evaluation the data-flow view the report draws
    (``data.evidence.flow``, when the bundle has it): what the rules judged, not a copy.

    The ``deny`` answers are checked exactly as ``Engine.query`` checks them (any failure
    raises: the gate fails closed); the view is evidence, so its own failure is returned as
    one line for the report to show, never a verdict.
    """
    if FLOW_MODULE not in bundle.modules:
        return evaluate(inventory, bundle=bundle, engine=engine), None, ""
    queries = [*bundle.queries, FLOW_QUERY]
    evaluation = engine.evaluate(bundle.modules, bundle.data, dict(inventory), queries)
    results = checked_results(evaluation, list(bundle.queries))
    error = evaluation.errors.get(FLOW_QUERY, "")
    flow = None if error else flow_of(evaluation.values.get(FLOW_QUERY))
    return findings_of(results, bundle), flow, error


def findings_of(results: Mapping[str, Any], bundle: PolicyBundle) -> list[Finding]:
    """The findings of the ``deny`` answers, each joined with its rule, in report order."""
    queries = list(bundle.queries)
    rules = {rule.id: rule for rule in bundle.rules}
    findings: dict[tuple[str, str, str, str], Finding] = {}
    for query in queries:
        for violation in results[query]:
            finding = _finding(query, violation, rules)
            findings.setdefault((*finding.key, finding.message), finding)
    return sorted(
        findings.values(),
        key=lambda f: (-f.severity.rank, f.rule_id, f.resource_urn, f.evidence.path),
    )


def _finding(query: str, violation: dict[str, Any], rules: Mapping[str, Rule]) -> Finding:
    rule = rules.get(violation["rule_id"])
    if rule is None:
        raise GateError(
            f"{query} yielded rule id {violation['rule_id']!r}, which has no METADATA block"
        )
    return Finding(
        rule_id=rule.id,
        area=rule.area,
        severity=rule.severity,
        enforcement=rule.enforcement,
        resource_urn=violation["urn"],
        resource_type=str(violation.get("type") or ""),
        message=violation["message"],
        evidence=Evidence(
            path=str(violation.get("path") or ""),
            value=normal_numbers(violation.get("value")),
            limit=_limit(violation.get("limit")),
        ),
        result=Result.UNDECIDED if violation.get("undecided") else Result.FAIL,
    )


def _limit(raw: Any) -> Limit | None:
    """A violation's optional ``limit: {path, value}`` (inv.violation_with_limit)."""
    if isinstance(raw, dict) and isinstance(raw.get("path"), str):
        return Limit(path=raw["path"], value=normal_numbers(raw.get("value")))
    return None


def normal_numbers(value: Any) -> Any:
    """Evidence with every whole number as an integer, at any depth.

    JSON has one number type; engines hand back 2 or 2.0 for the same number (the official
    OPA engine keeps an input's own spelling, regorus writes whole floats as integers), and
    evidence must not depend on the engine that judged.
    """
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [normal_numbers(item) for item in value]
    if isinstance(value, dict):
        return {key: normal_numbers(item) for key, item in value.items()}
    return value


def judge(
    inventory: Mapping[str, Any],
    *,
    bundle: PolicyBundle,
    engine: Engine,
    waivers: WaiverSet,
    plan_sha256: str,
    now: datetime | None = None,
    today: date | None = None,
    warn_expiry_days: int = DEFAULT_WARN_EXPIRY_DAYS,
) -> Report:
    """Evaluate, apply waivers, review them against this run and decide the verdict.

    ``today`` is the date waivers are judged at (``--as-of``; default the date of ``now``).
    """
    judged, flow, flow_error = evaluate_with_flow(inventory, bundle=bundle, engine=engine)
    findings = waivers.apply(judged)
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    problems = waivers.review(findings, today=today or moment.date(), warn_days=warn_expiry_days)
    stack = inventory.get("stack", {})
    return Report(
        stack=str(stack.get("name", "")),
        source=str(stack.get("source", "")),
        verdict=verdict_of(findings),
        plan_sha256=plan_sha256,
        policies_sha256=bundle.sha256,
        engine=EngineInfo(name=engine.name, version=engine.version),
        generated_at=moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        as_of=str(inventory.get("evaluation", {}).get("as_of", "")),
        findings=findings,
        rules=bundle.rules,
        waiver_problems=problems,
        resources_evaluated=len(inventory.get("resources", [])),
        waivers_file=waivers.path,
        waivers_sha256=waivers.sha256,
        declared=declared_of(inventory),
        rule_status=rule_statuses(bundle.rules, findings, inventory),
        flow=flow,
        flow_error=flow_error,
    )


def with_baseline(report: Report, baseline: Report | None, path: str | None) -> Report:
    """Mark findings new/unchanged against an approved baseline and list the resolved ones."""
    if baseline is None:
        return report
    from servegate.baseline import diff

    findings, resolved = diff(report.findings, baseline.findings)
    return replace(report, findings=findings, resolved=resolved, baseline_path=path)


def exit_code(report: Report) -> int:
    """0 pass (advisories and waived allowed), 1 an unwaived mandatory violation."""
    return 0 if report.verdict.value == "pass" else 1
