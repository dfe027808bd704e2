"""report.json: the docs/design.md contract and the loader used for baselines."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from servegate.baseline import apply_baseline
from servegate.errors import GateError
from servegate.findings import REPORT_SCHEMA, Evidence, Limit
from servegate.report.html import render_html
from servegate.report.json_report import load_report_json, render_json
from servegate.report.junit import render_junit
from servegate.report.markdown import render_markdown
from servegate.report.sarif import render_sarif
from tests.report_builders import failing_report, passing_report

CONTRACT_KEYS = {
    "schema",
    "stack",
    "verdict",
    "plan_sha256",
    "policies_sha256",
    "engine",
    "generated_at",
    "summary",
    "findings",
}
FINDING_KEYS = {
    "rule_id",
    "area",
    "severity",
    "enforcement",
    "resource_urn",
    "resource_type",
    "message",
    "evidence",
    "waived",
    "waiver",
    "result",
    "baseline",
}


@pytest.mark.parametrize("build", [passing_report, failing_report])
def test_document_follows_the_contract(build: object) -> None:
    report = build()  # type: ignore[operator]
    document = json.loads(render_json(report))
    assert document.keys() >= CONTRACT_KEYS
    assert document["schema"] == REPORT_SCHEMA
    assert document["verdict"] == report.verdict.value
    assert document["engine"] == {"name": "regorus", "version": "0.13.2"}
    assert document["summary"]["mandatory_failed"] == report.summary.mandatory_failed
    assert document["summary"]["waived"] == sum(1 for f in report.findings if f.waived)
    assert len(document["findings"]) == len(report.findings)
    for item, finding in zip(document["findings"], report.findings, strict=True):
        assert set(item) == FINDING_KEYS
        assert item["waived"] is finding.waived
        assert item["evidence"] == {
            "path": finding.evidence.path,
            "value": finding.evidence.value,
            "limit": None,
        }
        if finding.waiver is None:
            assert item["waiver"] is None
        else:
            assert item["waiver"]["approved_by"] == finding.waiver.approved_by
            assert item["waiver"]["expires"] == finding.waiver.expires.isoformat()
    assert [r["id"] for r in document["rules"]] == [r.id for r in report.rules]
    assert document["baseline"] is None and document["resolved"] == []


def test_failing_document_lists_waiver_problems() -> None:
    document = json.loads(render_json(failing_report()))
    assert document["waiver_problems"] == [
        {
            "number": 2,
            "kind": "expired",
            "reason": "expired on 2026-01-31",
            "rule_id": "RES-001",
            "resource": failing_report().waiver_problems[0].resource,
        }
    ]


def test_round_trip_gives_the_same_report(tmp_path: Path) -> None:
    report = failing_report()
    path = tmp_path / "report.json"
    path.write_text(render_json(report), encoding="utf-8")
    assert load_report_json(path) == report


def test_round_trip_keeps_the_baseline_diff(tmp_path: Path) -> None:
    report = apply_baseline(failing_report(), passing_report(), "baseline.json")
    path = tmp_path / "report.json"
    path.write_text(render_json(report), encoding="utf-8")
    loaded = load_report_json(path)
    assert loaded.findings == report.findings
    assert loaded.resolved == report.resolved
    document = json.loads(path.read_text())
    assert document["baseline"]["path"] == "baseline.json"
    assert document["baseline"]["resolved"] == len(report.resolved) > 0


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "not a JSON report"),
        ("[]", "must be a JSON object"),
        ('{"schema": "other/v9"}', "only 'servegate/report/v1' is supported"),
    ],
)
def test_bad_files_give_one_line(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "report.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(GateError) as caught:
        load_report_json(path)
    assert expected in str(caught.value)
    assert str(path) in str(caught.value)
    assert "\n" not in str(caught.value)


def test_invalid_field_is_named(tmp_path: Path) -> None:
    document = json.loads(render_json(failing_report()))
    document["findings"][2]["severity"] = "urgent"
    path = tmp_path / "report.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(GateError, match=r"findings\.2\.severity") as caught:
        load_report_json(path)
    assert "\n" not in str(caught.value)


def test_missing_file_is_a_gate_error(tmp_path: Path) -> None:
    with pytest.raises(GateError, match="cannot read report"):
        load_report_json(tmp_path / "absent.json")


def test_a_limit_is_evidence_apart_from_the_value(tmp_path: Path) -> None:
    """COST-001 carries the estimate as the value and the budget as the limit it exceeded."""
    base = failing_report()
    over = replace(
        base.findings[0],
        evidence=Evidence(
            path="estimate.monthlyUsd.max",
            value=30382.13,
            limit=Limit(path="declared.budget.monthlyUsd", value=30000),
        ),
    )
    report = replace(base, findings=(over, *base.findings[1:]))
    document = json.loads(render_json(report))
    assert document["findings"][0]["evidence"] == {
        "path": "estimate.monthlyUsd.max",
        "value": 30382.13,
        "limit": {"path": "declared.budget.monthlyUsd", "value": 30000},
    }
    path = tmp_path / "report.json"
    path.write_text(render_json(report), encoding="utf-8")
    assert load_report_json(path) == report
    sarif = json.loads(render_sarif(report))["runs"][0]["results"]
    assert {"path": "declared.budget.monthlyUsd", "value": 30000} in [
        r["properties"]["evidence"]["limit"] for r in sarif
    ]
    for text in (render_markdown(report), render_html(report), render_junit(report)):
        assert "declared.budget.monthlyUsd" in text and "30000" in text
