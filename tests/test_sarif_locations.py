"""SARIF results point at the line that controls a finding (issue 9, part 4)."""

from __future__ import annotations

import json
from dataclasses import replace

from components import catalog
from servegate.findings import Area, Enforcement, Evidence, Finding, Report, Severity
from servegate.policy.bundle import load_bundle
from servegate.report.sarif import render_sarif
from servegate.source_lines import locate
from tests.report_builders import failing_report


def _finding(rule_id: str, resource_type: str) -> Finding:
    return Finding(
        rule_id=rule_id,
        area=Area.AUDIT,
        severity=Severity.HIGH,
        enforcement=Enforcement.MANDATORY,
        resource_urn=f"urn:pulumi:dev::llm-serving::{resource_type}::x",
        resource_type=resource_type,
        message="m",
        evidence=Evidence(path="retentionInDays", value=1),
    )


def _located(findings: tuple[Finding, ...]) -> Report:
    bundle = load_bundle(catalog.PROJECT_ROOT / "policies")
    by_rule, by_type = locate(bundle.rules, findings, catalog.PROJECT_ROOT, "dev")
    return replace(
        failing_report(),
        stack="dev",
        findings=findings,
        rules=bundle.rules,
        rule_locations=by_rule,
        type_locations=by_type,
    )


def _regions(report: Report) -> list[tuple[str, int]]:
    results = json.loads(render_sarif(report))["runs"][0]["results"]
    return [
        (
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
        )
        for r in results
    ]


def test_aud_005_points_at_log_retention_days_in_the_stack_file() -> None:
    text = (catalog.PROJECT_ROOT / "stacks/Pulumi.dev.yaml").read_text(encoding="utf-8")
    expected = 1 + next(
        n
        for n, line in enumerate(text.splitlines())
        if line.strip().startswith("logRetentionDays:")
    )
    report = _located((_finding("AUD-005", "aws:cloudwatch/logGroup:LogGroup"),))
    assert _regions(report) == [("stacks/Pulumi.dev.yaml", expected)]


def test_without_a_config_key_the_component_line_is_used() -> None:
    report = _located((_finding("AUD-001", "aws:kms/key:Key"),))
    [(uri, line)] = _regions(report)
    assert uri.startswith("components/") and uri.endswith(".py")
    source = (catalog.PROJECT_ROOT / uri).read_text(encoding="utf-8").splitlines()
    assert "aws.kms.Key(" in source[line - 1]


def test_an_unknown_type_points_at_line_one_of_the_stack_file() -> None:
    report = _located((_finding("AUD-001", "acme:thing/x:X"),))
    assert _regions(report) == [("stacks/Pulumi.dev.yaml", 1)]


def test_code_quality_points_at_the_same_line() -> None:
    from servegate.report.codequality import render_codequality

    report = _located((_finding("AUD-005", "aws:cloudwatch/logGroup:LogGroup"),))
    [issue] = json.loads(render_codequality(report))
    assert (issue["location"]["path"], issue["location"]["lines"]["begin"]) == _regions(report)[0]
