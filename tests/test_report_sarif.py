"""report.sarif: valid SARIF 2.1.0 that code scanning can ingest."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from servegate.baseline import apply_baseline
from servegate.findings import Enforcement, Report
from servegate.report.sarif import render_sarif
from tests.report_builders import failing_report, passing_report

SCHEMA = json.loads(
    (Path(__file__).parent / "fixtures" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8")
)


def _baseline_report() -> Report:
    return apply_baseline(failing_report(), passing_report(), "baseline.json")


def _run(report: Report) -> dict[str, Any]:
    document = json.loads(render_sarif(report))
    (run,) = document["runs"]
    return dict(run)


@pytest.mark.parametrize("build", [passing_report, failing_report, _baseline_report])
def test_valid_against_the_official_schema(build: Callable[[], Report]) -> None:
    document = json.loads(render_sarif(build()))
    jsonschema.Draft4Validator(SCHEMA).validate(document)
    assert document["version"] == "2.1.0"


def test_driver_describes_every_rule() -> None:
    report = failing_report()
    driver = _run(report)["tool"]["driver"]
    assert driver["name"] == "servegate"
    assert driver["informationUri"].startswith("https://")
    by_id = {d["id"]: d for d in driver["rules"]}
    assert set(by_id) == {r.id for r in report.rules}
    res = by_id["RES-001"]
    assert res["shortDescription"]["text"] == "Resources stay inside the stack's sovereignty zone"
    assert res["help"]["text"] == "Fix RES-001 by changing the stack config."
    assert res["properties"]["controls"] == [
        "NIST SP 800-53 Rev. 5: SA-9(5) Processing, Storage, and Service Location"
    ]
    assert res["defaultConfiguration"]["level"] == "error"


def test_results_point_at_their_rule_and_resource() -> None:
    report = failing_report()
    run = _run(report)
    rules = run["tool"]["driver"]["rules"]
    assert len(run["results"]) == len(report.findings)
    for result, finding in zip(run["results"], report.findings, strict=True):
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"] == finding.rule_id
        (location,) = result["locations"]
        assert location["physicalLocation"]["artifactLocation"]["uri"] == "stacks/Pulumi.dev.yaml"
        logical = location["logicalLocations"][0]
        assert logical == {
            **logical,
            "fullyQualifiedName": finding.resource_urn,
            "kind": "resource",
        }


def test_levels_follow_severity_and_advisory_is_capped() -> None:
    levels = {
        (r["ruleId"], r["properties"]["result"]): r["level"]
        for r in _run(failing_report())["results"]
    }
    assert levels[("RES-001", "fail")] == "error"  # critical
    assert levels[("SLA-002", "fail")] == "warning"  # medium
    assert levels[("SEC-002", "fail")] == "note"  # low, advisory
    advisory_critical = replace(failing_report().findings[0], enforcement=Enforcement.ADVISORY)
    (result,) = _run(replace(failing_report(), findings=(advisory_critical,)))["results"]
    assert result["level"] == "warning"


def test_waived_findings_are_suppressed_with_the_justification() -> None:
    results = _run(failing_report())["results"]
    suppressed = [r for r in results if "suppressions" in r]
    assert [r["ruleId"] for r in suppressed] == ["SLA-002"]
    (suppression,) = suppressed[0]["suppressions"]
    assert suppression["kind"] == "external" and suppression["status"] == "accepted"
    assert suppression["justification"] == "accepted risk for SLA-002"


def test_fingerprints_are_stable_and_distinct() -> None:
    first = [r["partialFingerprints"] for r in _run(failing_report())["results"]]
    reworded = replace(
        failing_report(),
        findings=tuple(replace(f, message="reworded") for f in failing_report().findings),
    )
    second = [r["partialFingerprints"] for r in _run(reworded)["results"]]
    assert first == second
    assert len({json.dumps(f, sort_keys=True) for f in first}) == len(first)


def test_baseline_states() -> None:
    results = _run(_baseline_report())["results"]
    states = [r["baselineState"] for r in results]
    assert states.count("new") == 9 and states.count("absent") == 2
    absent = [r for r in results if r["baselineState"] == "absent"]
    assert {r["kind"] for r in absent} == {"pass"} and {r["level"] for r in absent} == {"none"}


def test_run_records_hashes_and_success() -> None:
    run = _run(passing_report())
    assert run["invocations"][0]["executionSuccessful"] is True
    assert run["properties"]["planSha256"] == "a" * 64
    assert run["properties"]["policiesSha256"] == "b" * 64
    assert run["automationDetails"]["id"] == "servegate/prod-ca/"


def test_waiver_problems_become_notifications() -> None:
    (note,) = _run(failing_report())["invocations"][0]["toolConfigurationNotifications"]
    assert note["message"]["text"] == "waiver #2 (RES-001): expired on 2026-01-31"
    assert note["properties"]["kind"] == "expired" and note["properties"]["waivesNothing"]
