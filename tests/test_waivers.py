"""Waivers: matching by rule and URN glob, expiry at the start of the date, problems reported."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from servegate.errors import GateError
from servegate.findings import Area, Enforcement, Evidence, Finding, Severity, verdict_of
from servegate.waivers import load_waivers, parse_waivers

TODAY = date(2026, 11, 22)
DEV_URN = "urn:pulumi:dev::llm-serving::kubernetes:apps/v1:Deployment::qwen"
PROD_URN = "urn:pulumi:prod-ca::llm-serving::kubernetes:apps/v1:Deployment::llama"


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
    ],
)
def test_malformed_waivers_waive_nothing_and_are_reported(entry: object, reason: str) -> None:
    waivers = parse_waivers({"waivers": [entry]}, today=TODAY, known_rules={"SLA-001"})
    assert waivers.active == ()
    assert len(waivers.problems) == 1
    assert reason in waivers.problems[0].reason
    assert not any(f.waived for f in waivers.apply([_finding(DEV_URN)]))


def test_waiver_file_errors_name_the_file(tmp_path: Path) -> None:
    assert load_waivers(tmp_path / "absent.yaml", today=TODAY).active == ()
    bad = tmp_path / "waivers.yaml"
    bad.write_text("waivers: [unclosed\n")
    with pytest.raises(GateError, match=r"waivers\.yaml: not valid YAML"):
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
    assert load_waivers(path, today=TODAY).active[0].expires == date(2027, 3, 31)
