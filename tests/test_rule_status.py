"""Every rule's status: passed on N resources, not applicable with its reason, failed,
waived, undecided (issue 9, part 4); JUnit skips the rules that do not apply."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date
from functools import cache
from typing import Any

import pytest

from components import catalog
from servegate.engines.factory import get_engine
from servegate.findings import (
    Area,
    Enforcement,
    Evidence,
    Finding,
    Report,
    Result,
    Rule,
    RuleOutcome,
    Severity,
    Waiver,
)
from servegate.gate import judge
from servegate.policy import PolicyError
from servegate.policy.bundle import load_bundle
from servegate.policy.metadata import applies, parse_rules
from servegate.report.html import render_html
from servegate.report.junit import render_junit
from servegate.report.markdown import render_markdown
from servegate.rule_status import rule_statuses
from servegate.waivers import WaiverSet
from tests import stacks


@cache
def gated(stack: str) -> Report:
    return judge(
        stacks.inventory(stack),
        bundle=load_bundle(catalog.PROJECT_ROOT / "policies"),
        engine=get_engine("regorus"),
        waivers=WaiverSet(),
        plan_sha256="0" * 64,
    )


def _status(report: Report, rule_id: str) -> tuple[str, int, str]:
    status = next(s for s in report.rule_status if s.rule_id == rule_id)
    return status.status.value, status.count, status.reason


def test_dev_lists_rules_that_do_not_apply_with_the_reason() -> None:
    report = gated("dev")
    assert report.verdict.value == "pass"
    assert _status(report, "SLA-001") == ("not_applicable", 0, "no SLA declared")
    assert _status(report, "RES-002") == ("not_applicable", 0, "not sovereign")
    assert _status(report, "RES-006") == ("not_applicable", 0, "not air-gapped")
    assert _status(report, "AUD-005")[0] == "passed"
    assert len(report.rule_status) == len(report.rules)


def test_prod_ca_passes_sla_001_on_its_deployments() -> None:
    report = gated("prod-ca")
    deployments = len(stacks.inventory("prod-ca")["by_type"]["kubernetes:apps/v1:Deployment"])
    assert _status(report, "SLA-001") == ("passed", deployments, "")
    assert _status(report, "RES-002")[0] == "passed"


def test_every_rule_declares_the_resource_types_it_judges() -> None:
    # Without custom.resource_types "passed on N resources" would count every resource.
    rules = load_bundle(catalog.PROJECT_ROOT / "policies").rules
    assert [r.id for r in rules if not r.resource_types] == []


def test_passed_counts_are_the_resources_of_the_rules_types() -> None:
    report = gated("prod-ca")
    by_type = stacks.inventory("prod-ca")["by_type"]
    keys = len(by_type["aws:kms/key:Key"])
    assert keys > 0
    assert _status(report, "SEC-011") == ("passed", keys, "")
    # RES-001 judges regional AWS resources: every aws: type but IAM (global) and the evidence
    # stores RES-004 judges.
    evidence = {
        "aws:kms/key:Key",
        "aws:kms/replicaKey:ReplicaKey",
        "aws:kms/replicaExternalKey:ReplicaExternalKey",
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:cloudtrail/trail:Trail",
    }
    regional = sum(
        len(indexes)
        for type_token, indexes in by_type.items()
        if type_token.startswith("aws:")
        and not type_token.startswith("aws:iam/")
        and type_token not in evidence
    )
    assert 0 < regional < len(stacks.inventory("prod-ca")["resources"])
    assert _status(report, "RES-001") == ("passed", regional, "")


def test_a_pass_no_longer_claims_every_rule_passed() -> None:
    report = gated("dev")
    html = render_html(report)
    assert "every rule passed for every resource" not in html
    assert '<tr data-rule-status="not_applicable"><td><a href="#rule-SLA-001">SLA-001</a>' in html
    assert "did not apply to this stack" in html
    markdown = render_markdown(report)
    assert "| SLA-001 | not applicable | no SLA declared |" in markdown


def test_junit_skips_the_rules_that_do_not_apply() -> None:
    report = gated("dev")
    root = ET.fromstring(render_junit(report))
    suite = root.find("testsuite")
    assert suite is not None
    skipped = {
        str(case.get("name")).split()[0]: case.find("skipped")
        for case in suite.iter("testcase")
        if case.find("skipped") is not None
    }
    not_applicable = {
        s.rule_id for s in report.rule_status if s.status is RuleOutcome.NOT_APPLICABLE
    }
    assert set(skipped) == not_applicable and "SLA-001" in skipped
    element = skipped["SLA-001"]
    assert element is not None and element.get("message") == "not applicable: no SLA declared"
    assert suite.get("skipped") == str(len(not_applicable))


def _rule(rule_id: str, **extra: Any) -> Rule:
    return Rule(
        id=rule_id,
        title=rule_id,
        description="",
        area=Area.SLA,
        severity=Severity.HIGH,
        enforcement=Enforcement.MANDATORY,
        package="sla",
        remediation="fix it",
        **extra,
    )


def _finding(rule_id: str, result: Result = Result.FAIL, waived: bool = False) -> Finding:
    waiver = Waiver(rule_id, "*", "why", "a@example.com", date(2099, 1, 1), 1) if waived else None
    return Finding(
        rule_id=rule_id,
        area=Area.SLA,
        severity=Severity.HIGH,
        enforcement=Enforcement.MANDATORY,
        resource_urn="urn:x",
        resource_type="t",
        message="m",
        evidence=Evidence(path="p"),
        result=result,
        waiver=waiver,
    )


def test_failed_undecided_and_waived_come_before_applicability() -> None:
    sla = {"applies_when": "declared.sla", "not_applicable": "no SLA declared"}
    rules = [_rule("R-1", **sla), _rule("R-2", **sla), _rule("R-3", **sla), _rule("R-4", **sla)]
    findings = [
        _finding("R-1"),
        _finding("R-1", waived=True),
        _finding("R-2", Result.UNDECIDED),
        _finding("R-3", waived=True),
    ]
    inventory: dict[str, Any] = {"declared": {"sla": None}, "resources": [{}], "by_type": {}}
    statuses = rule_statuses(rules, findings, inventory)
    assert [(s.status.value, s.count, s.reason) for s in statuses] == [
        ("failed", 1, ""),
        ("undecided", 1, ""),
        ("waived", 1, ""),
        ("not_applicable", 0, "no SLA declared"),
    ]


@pytest.mark.parametrize(
    ("condition", "declared", "expected"),
    [
        ("declared.sla", {"sla": {"availability": 99.9}}, True),
        ("declared.sla", {"sla": None}, False),
        ("declared.sla", {}, False),
        ("declared.budget.monthlyUsd", {"budget": {"monthlyUsd": 0}}, True),
        ("declared.residency.sovereign != false", {}, True),
        ("declared.residency.sovereign != false", {"residency": {"sovereign": False}}, False),
        ("declared.residency.sovereign != false", {"residency": {"sovereign": True}}, True),
        ("declared.residency.airGapped", {"residency": {"airGapped": False}}, False),
        ("declared.budget.monthlyUsd == null", {}, True),
        ("declared.budget.monthlyUsd == null", {"budget": {"monthlyUsd": 5}}, False),
    ],
)
def test_applies_when(condition: str, declared: dict[str, Any], expected: bool) -> None:
    rule = _rule("R-1", applies_when=condition, not_applicable="n/a")
    assert applies(rule, {"declared": declared}) is expected


_BLOCK = """package sla

# METADATA
# title: T
# custom:
#   id: SLA-900
#   area: sla
#   severity: high
#   enforcement: mandatory
#   scope: resource
#   remediation: Fix.
{extra}deny contains v if {{
\tv := 1
}}
"""


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("#   applies_when: declared.sla > 3\n#   not_applicable: x\n", "custom.applies_when"),
        ("#   applies_when: declared.sla\n", "custom.not_applicable of SLA-900 is missing"),
    ],
)
def test_bad_applicability_is_one_line(extra: str, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        parse_rules("p.rego", _BLOCK.format(extra=extra))


def test_applicability_is_read_from_metadata() -> None:
    extra = "#   applies_when: declared.sla\n#   not_applicable: no SLA declared\n"
    [located] = parse_rules("p.rego", _BLOCK.format(extra=extra))
    assert located.rule.applies_when == "declared.sla"
    assert located.rule.not_applicable == "no SLA declared"
