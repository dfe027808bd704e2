"""Waiver governance and the audit log through the CLI: waiver problems in every output,
the waivers file's hash, runs that end with exit 2 logged, head digests and truncation."""

from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from typer.testing import CliRunner

from servegate.cli.main import app

runner = CliRunner()
FIXTURES = Path(__file__).parent / "fixtures" / "plans"
PLAN = FIXTURES / "preview-prod-ca.json"
REPLICA = (
    "urn:pulumi:prod-ca::llm-serving::servegate:index:ServingStack$aws:s3/bucket:Bucket::"
    "prod-ca-models-replica"
)


def invoke(project: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["-C", str(project), *args])
    return result.exit_code, result.output


def _in_days(days: int) -> str:
    return (datetime.now(UTC).date() + timedelta(days=days)).isoformat()


def _waiver(rule_id: str, resource: str, **overrides: Any) -> dict[str, Any]:
    entry = {
        "rule_id": rule_id,
        "resource": resource,
        "justification": "test",
        "approved_by": "compliance@example.com",
        "expires": _in_days(400),
    }
    entry.update(overrides)
    return entry


def _blocking(project: Path) -> list[dict[str, Any]]:
    code, output = invoke(project, "check", str(PLAN), "-s", "prod-ca", "--format", "json")
    assert code == 1, output
    report = json.loads((project / "reports" / "prod-ca" / "report.json").read_text())
    return [f for f in report["findings"] if f["enforcement"] == "mandatory"]


def _log(project: Path) -> list[dict[str, Any]]:
    path = project / "reports" / "audit.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_waiver_problems_show_the_same_way_in_every_output(project: Path) -> None:
    blocking = _blocking(project)
    assert any(f["rule_id"] == "RES-001" and f["resource_urn"] == REPLICA for f in blocking)
    # One waiver per (rule, resource): a rule may report one resource on several paths.
    pairs = sorted({(f["rule_id"], f["resource_urn"]) for f in blocking})
    exact = [_waiver(rule_id, urn) for rule_id, urn in pairs]
    entries = [
        *exact,
        # The example: RES-001 for every resource until 2099, approved by "me".
        _waiver("RES-001", "*", expires="2099-12-31", approved_by="me"),
        _waiver("RES-001", "urn:pulumi:prod-ca::llm-serving::*"),
        _waiver("SLA-001", "urn:pulumi:prod-ca::llm-serving::nothing::here"),
    ]
    # The first exact waiver ends in two days: it still waives, and is reported.
    entries[0]["expires"] = _in_days(2)
    path = project / "waivers.yaml"
    path.write_text(yaml.safe_dump({"waivers": entries}))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    n = len(exact)

    code, output = invoke(project, "check", str(PLAN), "-s", "prod-ca", "--waivers", str(path))

    assert code == 0, output
    folder = project / "reports" / "prod-ca"
    report = json.loads((folder / "report.json").read_text())
    assert report["waivers_file"] == "waivers.yaml" and report["waivers_sha256"] == digest
    problems = [(p["number"], p["rule_id"], p["kind"]) for p in report["waiver_problems"]]
    assert problems == [
        (1, entries[0]["rule_id"], "expiring"),
        (n + 1, "RES-001", "invalid"),
        (n + 2, "RES-001", "too-broad"),
        (n + 3, "SLA-001", "unmatched"),
    ]
    labels = [f"waiver #{number} ({rule})" for number, rule, _ in problems]
    waived = [f["waiver"]["number"] for f in report["findings"] if f["waived"]]
    assert sorted(set(waived)) == list(range(1, n + 1))

    markdown = (folder / "report.md").read_text()
    html = (folder / "report.html").read_text()
    sarif = json.loads((folder / "report.sarif").read_text())
    junit = ET.fromstring((folder / "junit.xml").read_text())
    notes = sarif["runs"][0]["invocations"][0]["toolConfigurationNotifications"]
    junit_problems = junit.find("testsuite/system-out")
    assert junit_problems is not None and junit_problems.text is not None
    properties = {p.get("name"): p.get("value") for p in junit.iter("property") if p.get("name")}
    for label in labels:
        assert label in markdown and label in html and label in output
        assert label in junit_problems.text
    assert [note["message"]["text"].split(":")[0] for note in notes] == labels
    assert "approved_by 'me' is not an e-mail address" in output
    for text in (markdown, html):
        assert "waivers.yaml" in text and digest[:12] in text
    assert digest in html and digest in output
    assert sarif["runs"][0]["properties"]["waiversSha256"] == digest
    assert properties["waivers_sha256"] == digest
    assert _log(project)[-1]["waivers_sha256"] == digest


def test_warn_expiry_sets_the_window(project: Path) -> None:
    blocking = _blocking(project)
    entries = [_waiver(f["rule_id"], f["resource_urn"], expires=_in_days(20)) for f in blocking]
    path = project / "waivers.yaml"
    path.write_text(yaml.safe_dump({"waivers": entries}))
    args = ("check", str(PLAN), "-s", "prod-ca", "--waivers", str(path), "--format", "json")
    report_path = project / "reports" / "prod-ca" / "report.json"

    assert invoke(project, *args)[0] == 0
    assert json.loads(report_path.read_text())["waiver_problems"] == []
    assert invoke(project, *args, "--warn-expiry", "30")[0] == 0
    kinds = {p["kind"] for p in json.loads(report_path.read_text())["waiver_problems"]}
    assert kinds == {"expiring"}
    code, output = invoke(project, *args, "--warn-expiry", "-1")
    assert code == 2 and "--warn-expiry" in output


def test_a_missing_or_unparsable_waivers_file_is_exit_2_and_logged(project: Path) -> None:
    missing = project / "nope.yaml"
    code, output = invoke(project, "check", str(PLAN), "-s", "prod-ca", "--waivers", str(missing))
    assert code == 2
    assert output.strip().splitlines() == [f"error: {missing}: no such waivers file"]

    broken = project / "waivers.yaml"
    broken.write_text("waivers:\n  - rule_id: [unclosed\n")
    code, output = invoke(project, "check", str(PLAN), "-s", "prod-ca", "--waivers", str(broken))
    assert code == 2 and len(output.strip().splitlines()) == 1
    assert "waivers.yaml: not valid YAML (line 3" in output

    entries = _log(project)
    assert [(e["verdict"], e["exit_code"]) for e in entries] == [("error", 2), ("error", 2)]
    assert entries[0]["reason"] == f"{missing}: no such waivers file"
    assert entries[0]["stack"] == "prod-ca" and entries[0]["source"] == f"check {PLAN}"
    assert "not valid YAML" in entries[1]["reason"]
    code, output = invoke(project, "audit", "verify")
    assert code == 0 and "2 lines" in output


def test_every_gate_run_is_logged_with_its_exit_code(project: Path) -> None:
    bad_plan = project / "plan.json"
    bad_plan.write_text('{"steps": [')
    assert invoke(project, "check", str(bad_plan), "-s", "prod-ca")[0] == 2
    assert invoke(project, "check", str(PLAN), "-s", "prod-ca", "--format", "json")[0] == 1
    assert invoke(project, "preview", "-s", "prod-ca", "--engine", "nope")[0] == 2
    assert invoke(project, "preview", "-s", "prod-eu", "--format", "json")[0] == 0
    entries = _log(project)
    assert [(e["stack"], e["verdict"], e["exit_code"]) for e in entries] == [
        ("prod-ca", "error", 2),
        ("prod-ca", "fail", 1),
        ("prod-ca", "error", 2),
        ("prod-eu", "pass", 0),
    ]
    assert entries[0]["reason"].startswith(f"{bad_plan}: not valid JSON")
    assert "nope" in entries[2]["reason"] and entries[2]["engine"] == {"name": "nope"}
    assert [e["seq"] for e in entries] == [1, 2, 3, 4]


def test_audit_log_option_chooses_the_file(project: Path, tmp_path: Path) -> None:
    chosen = tmp_path / "elsewhere" / "chain.jsonl"
    code, _ = invoke(
        project, "preview", "-s", "prod-eu", "--format", "json", "--audit-log", str(chosen)
    )
    assert code == 0
    assert not (project / "reports" / "audit.jsonl").exists()
    assert len(chosen.read_text().splitlines()) == 1
    code, output = invoke(project, "audit", "verify", "--audit-log", str(chosen))
    assert code == 0 and "1 lines" in output
    # A failure before judging goes to the chosen log too.
    code, _ = invoke(
        project, "check", str(project / "absent.json"), "-s", "prod-eu", "--audit-log", str(chosen)
    )
    assert code == 2 and len(chosen.read_text().splitlines()) == 2


def _head(output: str) -> str:
    return output.strip().rsplit("head ", 1)[1]


def test_verify_prints_the_head_and_expect_head_catches_truncation(project: Path) -> None:
    for _ in range(3):
        assert invoke(project, "preview", "-s", "prod-eu", "--format", "json")[0] == 0
    log = project / "reports" / "audit.jsonl"
    code, output = invoke(project, "audit", "verify")
    assert code == 0 and "3 lines, chain intact, head " in output
    head = _head(output)
    assert head == hashlib.sha256(log.read_bytes().splitlines()[-1]).hexdigest()
    assert invoke(project, "audit", "verify", "--expect-head", head.upper())[0] == 0

    # Cutting lines off the end leaves a valid chain; only the kept head shows it.
    lines = log.read_bytes().splitlines(keepends=True)
    log.write_bytes(b"".join(lines[:1]))
    code, output = invoke(project, "audit", "verify")
    assert code == 0 and "1 lines" in output
    code, output = invoke(project, "audit", "verify", "--expect-head", head)
    assert code == 1
    assert "is not in the chain: entries were cut off the end" in output
    assert len(output.strip().splitlines()) == 1

    # A log that grew since the head was kept does not end there either.
    log.write_bytes(b"".join(lines))
    first = hashlib.sha256(lines[0].rstrip(b"\n")).hexdigest()
    code, output = invoke(project, "audit", "verify", "--expect-head", first)
    assert code == 1 and "(line 1): 2 entries appended since" in output

    code, output = invoke(project, "audit", "verify", "--expect-head", "abc")
    assert code == 2 and "not a SHA-256 digest" in output


def test_expect_head_of_an_empty_log_is_the_genesis_value(project: Path) -> None:
    log = project / "reports" / "audit.jsonl"
    log.parent.mkdir(parents=True)
    log.write_bytes(b"")
    code, output = invoke(project, "audit", "verify", "--expect-head", "0" * 64)
    assert code == 0 and _head(output) == "0" * 64


def test_quiet_prints_only_the_verdict_with_a_waivers_file(project: Path) -> None:
    entries = [_waiver(f["rule_id"], f["resource_urn"]) for f in _blocking(project)]
    path = project / "waivers.yaml"
    path.write_text(yaml.safe_dump({"waivers": entries}))
    args = ("check", str(PLAN), "-s", "prod-ca", "--waivers", str(path), "--format", "json")
    code, output = invoke(project, "--quiet", *args)
    assert code == 0 and output.strip().splitlines() == [output.strip().splitlines()[0]]
    assert output.startswith("PASS prod-ca")
    code, output = invoke(project, *args)
    assert code == 0 and "waivers waivers.yaml (sha256 " in output


def test_waiver_expiry_is_judged_at_the_as_of_date(project: Path) -> None:
    entries = [
        _waiver(f["rule_id"], f["resource_urn"], expires=_in_days(20)) for f in _blocking(project)
    ]
    path = project / "waivers.yaml"
    path.write_text(yaml.safe_dump({"waivers": entries}))
    later = _in_days(10)
    code, output = invoke(
        project,
        "check",
        str(PLAN),
        "-s",
        "prod-ca",
        "--waivers",
        str(path),
        "--format",
        "json",
        "--as-of",
        later,
    )
    assert code == 0, output
    report = json.loads((project / "reports" / "prod-ca" / "report.json").read_text())
    assert {p["kind"] for p in report["waiver_problems"]} == {"expiring"}
    assert all("in 10 days" in p["reason"] for p in report["waiver_problems"])
