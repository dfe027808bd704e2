"""Waivers: matching by rule and URN glob, expiry at the start of the date, problems reported,
governance (approver e-mail, one URN for critical rules, unmatched and expiring waivers)."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pytest

from servegate.errors import GateError
from servegate.findings import (
    Area,
    Enforcement,
    Evidence,
    Finding,
    Rule,
    Severity,
    WaiverIssue,
    verdict_of,
)
from servegate.waivers import load_waivers, parse_waivers

TODAY = date(2026, 11, 22)
DEV_URN = "urn:pulumi:dev::llm-serving::kubernetes:apps/v1:Deployment::qwen"
PROD_URN = "urn:pulumi:prod-ca::llm-serving::kubernetes:apps/v1:Deployment::llama"


def _rule(rule_id: str, severity: Severity, enforcement: Enforcement) -> Rule:
    return Rule(
        id=rule_id,
        title=rule_id,
        description="",
        area=Area.SLA,
        severity=severity,
        enforcement=enforcement,
        package="sla",
        remediation="",
    )


RULES = {
    rule.id: rule
    for rule in (
        _rule("SLA-001", Severity.HIGH, Enforcement.MANDATORY),
        _rule("SLA-002", Severity.HIGH, Enforcement.MANDATORY),
        _rule("RES-001", Severity.CRITICAL, Enforcement.MANDATORY),
        _rule("RES-999", Severity.CRITICAL, Enforcement.ADVISORY),
    )
}


def _finding(urn: str, rule_id: str = "SLA-001") -> Finding:
    return Finding(
        rule_id=rule_id,
        area=Area.SLA,
        severity=Severity.HIGH,
        enforcement=Enforcement.MANDATORY,
        resource_urn=urn,
        resource_type="kubernetes:apps/v1:Deployment",
        message="replicas 1 is below the floor 2",
        evidence=Evidence(path="spec.replicas", value=1),
    )


def _waiver(**overrides: object) -> dict[str, object]:
    entry: dict[str, object] = {
        "rule_id": "SLA-001",
        "resource": "urn:pulumi:dev::llm-serving::*",
        "justification": "dev runs one replica to save GPU hours",
        "approved_by": "compliance@example.com",
        "expires": date(2027, 3, 31),
    }
    entry.update(overrides)
    return entry


def test_a_valid_waiver_waives_matching_findings_only() -> None:
    waivers = parse_waivers({"waivers": [_waiver()]}, today=TODAY)
    findings = waivers.apply([_finding(DEV_URN), _finding(PROD_URN), _finding(DEV_URN, "SLA-002")])
    assert [f.waived for f in findings] == [True, False, False]
    assert findings[0].waiver is not None
    assert findings[0].waiver.approved_by == "compliance@example.com"
    assert verdict_of(findings[:1]).value == "pass"
    assert verdict_of(findings).value == "fail"


def test_exact_urn_waiver() -> None:
    waivers = parse_waivers({"waivers": [_waiver(resource=PROD_URN)]}, today=TODAY)
    assert [f.waived for f in waivers.apply([_finding(PROD_URN), _finding(DEV_URN)])] == [
        True,
        False,
    ]


def test_waiver_ends_at_the_start_of_its_expiry_date() -> None:
    on_the_day = parse_waivers({"waivers": [_waiver(expires=TODAY)]}, today=TODAY)
    assert on_the_day.active == ()
    assert on_the_day.problems[0].reason == "expired on 2026-11-22"
    day_before = parse_waivers({"waivers": [_waiver(expires=date(2026, 11, 23))]}, today=TODAY)
    assert len(day_before.active) == 1


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        (_waiver(approved_by=None), "missing approved_by"),
        ({"rule_id": "SLA-001"}, "missing resource, justification, approved_by, expires"),
        (_waiver(expires="next spring"), "expires 'next spring' is not an ISO date"),
        (_waiver(owner="me"), "unknown keys owner"),
        (_waiver(rule_id="NOPE-1"), "no rule NOPE-1"),
        ("SLA-001", "is not a mapping"),
        (_waiver(approved_by="me"), "approved_by 'me' is not an e-mail address"),
        (_waiver(approved_by="compliance team"), "is not an e-mail address"),
        (_waiver(approved_by="a@b"), "is not an e-mail address"),
        (_waiver(expires="2027-03-31T10:00:00"), "is not an ISO date"),
        ({**_waiver(), 7: "x", None: "y"}, "unknown keys 7, None"),
    ],
)
def test_malformed_waivers_waive_nothing_and_are_reported(entry: object, reason: str) -> None:
    waivers = parse_waivers({"waivers": [entry]}, today=TODAY, rules=RULES)
    assert waivers.active == ()
    assert len(waivers.problems) == 1
    assert reason in waivers.problems[0].reason
    assert waivers.problems[0].kind is WaiverIssue.INVALID
    assert waivers.problems[0].waives_nothing
    assert not any(f.waived for f in waivers.apply([_finding(DEV_URN)]))


def test_a_yaml_timestamp_with_a_time_is_not_an_expiry_date(tmp_path: Path) -> None:
    path = tmp_path / "waivers.yaml"
    path.write_text(
        "waivers:\n  - {rule_id: SLA-001, resource: '*', justification: j,\n"
        "     approved_by: a@example.com, expires: 2027-03-31 10:00:00}\n"
    )
    (problem,) = load_waivers(path, today=TODAY, rules=RULES).problems
    assert "is not an ISO date" in problem.reason


def test_a_critical_mandatory_rule_is_waived_one_named_urn_at_a_time() -> None:
    bucket = "urn:pulumi:prod-ca::llm-serving::aws:s3/bucket:Bucket::replica"
    entries = [
        _waiver(rule_id="RES-001", resource="*", expires=date(2099, 1, 1), approved_by="me"),
        _waiver(rule_id="RES-001", resource="*"),
        _waiver(rule_id="RES-001", resource="urn:pulumi:prod-ca::llm-serving::aws:*"),
        _waiver(rule_id="RES-001", resource="replica"),
        _waiver(rule_id="RES-001", resource=bucket),
        # Advisory and non-critical rules may still be waived by a glob.
        _waiver(rule_id="RES-999", resource="*"),
        _waiver(rule_id="SLA-001", resource="*"),
    ]
    waivers = parse_waivers({"waivers": entries}, today=TODAY, rules=RULES)
    problems = {p.number: p for p in waivers.problems}
    assert sorted(problems) == [1, 2, 3, 4]
    # The issue's example: a wildcard until 2099 approved by "me" waives nothing.
    assert problems[1].kind is WaiverIssue.INVALID
    assert [problems[n].kind for n in (2, 3, 4)] == [WaiverIssue.TOO_BROAD] * 3
    assert "must name one resource URN" in problems[2].reason and "not a glob" in problems[2].reason
    assert "not 'replica'" in problems[4].reason
    assert [(w.number, w.rule_id) for w in waivers.active] == [
        (5, "RES-001"),
        (6, "RES-999"),
        (7, "SLA-001"),
    ]
    findings = waivers.apply([_finding(bucket, "RES-001"), _finding(PROD_URN, "RES-001")])
    assert [f.waiver.number if f.waiver else None for f in findings] == [5, None]


def test_waivers_are_numbered_from_one_with_their_rule() -> None:
    waivers = parse_waivers(
        {"waivers": ["not a mapping", _waiver(), _waiver(rule_id="SLA-002", approved_by="x")]},
        today=TODAY,
        rules=RULES,
    )
    assert [p.label for p in waivers.problems] == ["waiver #1", "waiver #3 (SLA-002)"]
    assert [w.label for w in waivers.active] == ["waiver #2 (SLA-001)"]


def test_review_reports_unmatched_and_expiring_waivers() -> None:
    entries = [
        _waiver(expires=date(2026, 11, 24)),  # two days left
        _waiver(rule_id="SLA-002", resource=PROD_URN),  # matches nothing
        _waiver(resource=PROD_URN, expires=date(2026, 12, 7)),  # 15 days: no warning
        _waiver(resource=PROD_URN, expires=date(2026, 12, 6)),  # 14 days: warned
        _waiver(expires="next spring"),  # invalid: reported once, in order
    ]
    waivers = parse_waivers({"waivers": entries}, today=TODAY, rules=RULES)
    findings = waivers.apply([_finding(DEV_URN), _finding(PROD_URN)])
    review = waivers.review(findings, today=TODAY, warn_days=14)
    assert [(p.number, p.kind) for p in review] == [
        (1, WaiverIssue.EXPIRING),
        (2, WaiverIssue.UNMATCHED),
        (4, WaiverIssue.EXPIRING),
        (5, WaiverIssue.INVALID),
    ]
    assert review[0].reason.startswith("expires on 2026-11-24, in 2 days")
    assert not review[0].waives_nothing and review[1].waives_nothing
    assert "matches no finding of SLA-002" in review[1].reason
    # The window is the caller's: none warned at 1 day, all three at 30.
    assert [p.number for p in waivers.review(findings, today=TODAY, warn_days=1)] == [2, 5]
    assert [p.number for p in waivers.review(findings, today=TODAY, warn_days=30)] == [
        1,
        2,
        3,
        4,
        5,
    ]


def test_a_waiver_shadowed_by_an_earlier_one_still_counts_as_matching() -> None:
    # Both match the finding; the first one waives it. The second is not "matching nothing".
    waivers = parse_waivers({"waivers": [_waiver(), _waiver(resource=DEV_URN)]}, today=TODAY)
    findings = waivers.apply([_finding(DEV_URN)])
    assert waivers.review(findings, today=TODAY, warn_days=0) == ()


def test_waiver_file_errors_name_the_file(tmp_path: Path) -> None:
    assert load_waivers(tmp_path / "absent.yaml", today=TODAY).active == ()
    with pytest.raises(GateError, match=r"absent\.yaml: no such waivers file"):
        load_waivers(tmp_path / "absent.yaml", today=TODAY, required=True)
    bad = tmp_path / "waivers.yaml"
    bad.write_text("waivers: [unclosed\n")
    with pytest.raises(GateError, match=r"waivers\.yaml: not valid YAML \(line 2, column 1: ") as e:
        load_waivers(bad, today=TODAY)
    assert "\n" not in str(e.value)
    bad.write_bytes(b"\xff\xfewaivers: []")
    with pytest.raises(GateError, match=r"waivers\.yaml: not UTF-8 text"):
        load_waivers(bad, today=TODAY)
    bad.write_text("- just a list\n")
    with pytest.raises(GateError, match=r"waivers\.yaml: top level must be a mapping"):
        load_waivers(bad, today=TODAY)


def test_iso_date_strings_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "waivers.yaml"
    path.write_text(
        "waivers:\n"
        "  - rule_id: SLA-001\n"
        "    resource: 'urn:pulumi:dev::llm-serving::*'\n"
        "    justification: dev\n"
        "    approved_by: compliance@example.com\n"
        "    expires: '2027-03-31'\n"
    )
    waivers = load_waivers(path, today=TODAY)
    assert waivers.active[0].expires == date(2027, 3, 31)
    assert waivers.path == str(path)
    assert waivers.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
