"""The CLI contract: commands, exit codes 0/1/2, one-line errors, reports and audit log."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from components import catalog
from servegate.cli.main import app
from servegate.cost import KIND_TITLES

runner = CliRunner()
FIXTURES = Path(__file__).parent / "fixtures" / "plans"


def invoke(project: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["-C", str(project), *args])
    return result.exit_code, result.output


def _write_plan(project: Path, document: Any, name: str = "plan.json") -> Path:
    path = project / name
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return path


@pytest.mark.parametrize("stack", ["prod-ca", "prod-eu"])
def test_production_stacks_pass_their_own_gate_offline(project: Path, stack: str) -> None:
    code, output = invoke(project, "preview", "-s", stack)
    assert code == 0, output
    report = json.loads((project / "reports" / stack / "report.json").read_text())
    assert report["verdict"] == "pass"
    assert report["summary"]["mandatory_failed"] == 0
    assert report["plan_sha256"] and report["policies_sha256"]
    for name in ("report.md", "report.html", "report.sarif", "junit.xml", "summary.json"):
        assert (project / "reports" / stack / name).is_file()
    summary = json.loads((project / "reports" / stack / "summary.json").read_text())
    assert summary["gpus_min"] > 0
    assert (
        0 < summary["cost"]["min_usd"] < summary["cost"]["max_usd"] <= summary["budget_monthly_usd"]
    )
    assert "VllmDeployment" in summary["by_component"]


def test_saved_offline_plan_gates_the_same_with_check(project: Path) -> None:
    plan = project / "saved.json"
    code, output = invoke(
        project, "preview", "-s", "prod-ca", "--format", "json", "--save-plan", str(plan)
    )
    assert code == 0, output
    offline = json.loads((project / "reports" / "prod-ca" / "report.json").read_text())
    code, output = invoke(project, "check", str(plan), "-s", "prod-ca", "--format", "json")
    assert code == 0, output
    checked = json.loads((project / "reports" / "prod-ca" / "report.json").read_text())
    assert checked["source"] == "preview" and offline["source"] == "offline"
    assert checked["findings"] == offline["findings"]
    # Only the advisory placeholder rule: prod-ca's registry is in an example account.
    assert {f["rule_id"] for f in offline["findings"]} == {"AUD-010"}
    assert all(f["enforcement"] == "advisory" for f in offline["findings"])


def test_dev_passes_with_at_most_advisory_findings(project: Path) -> None:
    code, output = invoke(project, "preview", "-s", "dev", "--format", "json")
    assert code == 0, output
    report = json.loads((project / "reports" / "dev" / "report.json").read_text())
    assert all(f["enforcement"] == "advisory" or f["waived"] for f in report["findings"])


def test_preview_prints_resources_gpus_and_cost(project: Path) -> None:
    code, output = invoke(project, "preview", "-s", "prod-ca", "--format", "json")
    assert code == 0, output
    assert "Resources by component" in output and "GPU pools" in output
    assert "L40S" in output and "Monthly cost (USD)" in output
    # Every kind of the estimate, its min and max, and the total range against the budget.
    for title in KIND_TITLES.values():
        assert title in output
    assert re.search(r"Total: USD [\d,]+\.\d\d - [\d,]+\.\d\d/month \(budget USD 31,000\)", output)
    assert "PASS prod-ca" in output


def test_quiet_prints_only_the_verdict(project: Path) -> None:
    code, output = invoke(project, "--quiet", "preview", "-s", "prod-eu", "--format", "json")
    assert code == 0
    assert output.strip().splitlines() == [output.strip().splitlines()[0]]
    assert output.startswith("PASS prod-eu")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"steps": [', "plan.json: not valid JSON"),
        ("[1, 2, 3]", "plan.json:"),
        ('{"hello": "world"}', "plan.json:"),
        (
            json.dumps(
                {
                    "steps": [{"op": "create", "urn": "urn:pulumi:prod-ca::llm-serving::a:b:C::x"}],
                    "changeSummary": {"create": 1},
                }
            ),
            "neither newState nor oldState",
        ),
    ],
    ids=["truncated", "wrong-top-level", "unknown-shape", "missing-states"],
)
def test_malformed_plans_exit_2_with_one_line(project: Path, content: str, message: str) -> None:
    code, output = invoke(project, "check", str(_write_plan(project, content)), "-s", "prod-ca")
    assert code == 2, output
    lines = output.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], output
    assert "Traceback" not in output


def test_preview_without_show_sames_is_refused(project: Path) -> None:
    plan = FIXTURES / "preview-prod-ca-no-show-sames.json"
    code, output = invoke(project, "check", str(plan), "-s", "prod-ca")
    assert code == 2
    assert "--show-sames" in output and len(output.strip().splitlines()) == 1


def test_violating_fixture_plan_exits_1(project: Path) -> None:
    code, output = invoke(project, "check", str(FIXTURES / "preview-prod-ca.json"), "-s", "prod-ca")
    assert code == 1, output
    assert "RES-001" in output


def test_stack_export_is_detected_and_gated(project: Path) -> None:
    code, output = invoke(
        project, "check", str(FIXTURES / "export-prod-ca.json"), "-s", "prod-ca", "--format", "json"
    )
    assert code in (0, 1), output
    report = json.loads((project / "reports" / "prod-ca" / "report.json").read_text())
    assert report["source"] == "export"


def test_bad_stack_config_exits_2_naming_the_key(project: Path) -> None:
    path = project / "stacks" / "Pulumi.prod-ca.yaml"
    document = yaml.safe_load(path.read_text())
    document["config"]["llm-serving:models"][0]["pool"] = "h100"
    path.write_text(yaml.safe_dump(document))
    code, output = invoke(project, "preview", "-s", "prod-ca")
    assert code == 2
    assert "Pulumi.prod-ca.yaml: llm-serving:models[0].pool: 'h100' is not a pool" in output
    assert "Traceback" not in output


def test_policy_compile_error_fails_closed(project: Path) -> None:
    policies = project / "policies"
    policies.unlink()
    shutil.copytree(catalog.PROJECT_ROOT / "policies", policies)
    (policies / "cost" / "cost.rego").write_text("package cost\n\ndeny contains x if {\n")
    code, output = invoke(project, "preview", "-s", "prod-eu")
    assert code == 2, output
    assert "cost" in output and "Traceback" not in output


def test_unknown_engine_and_format_exit_2(project: Path) -> None:
    code, output = invoke(project, "preview", "-s", "dev", "--engine", "nope")
    assert code == 2 and "nope" in output
    code, output = invoke(project, "preview", "-s", "dev", "--format", "pdf")
    assert code == 2 and "pdf" in output


def test_inventory_prints_the_contract(project: Path) -> None:
    code, output = invoke(project, "inventory", "-s", "prod-ca")
    assert code == 0
    inventory = json.loads(output)
    assert inventory["stack"]["source"] == "offline"
    assert inventory["declared"]["residency"] == {
        "zone": "ca",
        "sovereign": True,
        "airGapped": True,
    }
    for index, resource in enumerate(inventory["resources"]):
        assert index in inventory["by_type"][resource["type"]]
    aws = [r for r in inventory["resources"] if r["type"].startswith("aws:") and r["custom"]]
    assert aws and all(r["region"] == "ca-central-1" for r in aws)


def test_audit_log_chains_every_decision_and_verifies(project: Path) -> None:
    assert invoke(project, "preview", "-s", "prod-eu", "--format", "json")[0] == 0
    assert invoke(project, "check", str(FIXTURES / "preview-prod-ca.json"), "-s", "prod-ca")[0] == 1
    log = project / "reports" / "audit.jsonl"
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert [e["stack"] for e in entries] == ["prod-eu", "prod-ca"]
    assert [e["verdict"] for e in entries] == ["pass", "fail"]
    code, output = invoke(project, "audit", "verify", "--log", str(log))
    assert code == 0 and "2 lines" in output, output
    lines = log.read_text().splitlines()
    log.write_text("\n".join([lines[1], lines[0]]) + "\n")
    code, output = invoke(project, "audit", "verify", "--log", str(log))
    assert code == 1 and "line 1" in output


def test_waivers_turn_a_failure_into_a_pass(project: Path) -> None:
    plan = FIXTURES / "preview-prod-ca.json"
    code, _ = invoke(project, "check", str(plan), "-s", "prod-ca", "--format", "json")
    report = json.loads((project / "reports" / "prod-ca" / "report.json").read_text())
    blocking = [f for f in report["findings"] if f["enforcement"] == "mandatory"]
    assert code == 1 and blocking
    waivers = {
        "waivers": [
            {
                "rule_id": f["rule_id"],
                "resource": f["resource_urn"],
                "justification": "test",
                "approved_by": "compliance@example.com",
                "expires": "2999-01-01",
            }
            for f in blocking
        ]
        + [
            {
                "rule_id": "SLA-001",
                "resource": "*",
                "justification": "old",
                "approved_by": "compliance@example.com",
                "expires": "2001-01-01",
            }
        ]
    }
    waivers_path = project / "waivers.yaml"
    waivers_path.write_text(yaml.safe_dump(waivers))
    code, output = invoke(
        project,
        "check",
        str(plan),
        "-s",
        "prod-ca",
        "--waivers",
        str(waivers_path),
        "--format",
        "json",
    )
    assert code == 0, output
    report = json.loads((project / "reports" / "prod-ca" / "report.json").read_text())
    assert all(f["waived"] for f in report["findings"] if f["enforcement"] == "mandatory")
    assert [p["reason"] for p in report["waiver_problems"]] == ["expired on 2001-01-01"]


def test_policies_doc_lists_every_rule(project: Path) -> None:
    code, output = invoke(project, "policies", "doc")
    assert code == 0
    for rule_id in ("RES-001", "SLA-013", "AUD-004", "SEC-010", "COST-001"):
        assert rule_id in output


def test_render_writes_yaml(project: Path, tmp_path: Path) -> None:
    code, output = invoke(project, "render", "-s", "dev", "--out", str(tmp_path / "k8s"))
    assert code == 0, output
    files = list((tmp_path / "k8s").rglob("*.yaml"))
    assert any(p.name.startswith("deployment-") for p in files)


def test_no_colour_when_not_a_terminal(project: Path) -> None:
    code, output = invoke(project, "check", str(FIXTURES / "preview-prod-ca.json"), "-s", "prod-ca")
    assert code == 1
    assert "\x1b[" not in output


def test_no_colour_with_no_color_even_on_a_terminal(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from servegate import console

    monkeypatch.setenv("NO_COLOR", "1")
    assert console.out_console().no_color and console.err_console().no_color


def test_debug_shows_the_traceback_behind_a_one_line_error(project: Path) -> None:
    plan = _write_plan(project, '{"steps": [')
    code, output = invoke(project, "check", str(plan), "-s", "prod-ca")
    assert code == 2 and "Traceback" not in output
    result = runner.invoke(
        app, ["-C", str(project), "--debug", "check", str(plan), "-s", "prod-ca"]
    )
    assert result.exit_code == 2
    assert "Traceback" in result.output and "not valid JSON" in result.output


def test_baseline_marks_new_resolved_and_unchanged(project: Path) -> None:
    base_plan = json.loads((FIXTURES / "preview-prod-ca.json").read_text())
    code, _ = invoke(
        project,
        "check",
        _write_plan(project, base_plan, "base.json").as_posix(),
        "-s",
        "prod-ca",
        "--format",
        "json",
        "--out",
        str(project / "base"),
    )
    baseline = json.loads((project / "base" / "report.json").read_text())
    assert code == 1 and len(baseline["findings"]) >= 2

    # Resolve the residency violation (move the replica bucket home) and add a new one.
    changed = json.loads(json.dumps(base_plan))
    for step in changed["steps"]:
        state = step.get("newState") or {}
        if state.get("inputs", {}).get("region") == "us-east-1":
            state["inputs"]["region"] = "ca-central-1"
    bucket = next(
        s
        for s in changed["steps"]
        if (s.get("newState") or {}).get("type") == "aws:s3/bucket:Bucket"
    )
    bucket["newState"]["inputs"]["region"] = "eu-west-1"
    code, output = invoke(
        project,
        "check",
        str(_write_plan(project, changed, "new.json")),
        "-s",
        "prod-ca",
        "--format",
        "json,md,html",
        "--baseline",
        str(project / "base" / "report.json"),
    )
    report = json.loads((project / "reports" / "prod-ca" / "report.json").read_text())
    status = {(f["rule_id"], f["resource_urn"]): f["baseline"] for f in report["findings"]}
    new = {key for key, value in status.items() if value == "new"}
    unchanged = {key for key, value in status.items() if value == "unchanged"}
    resolved = {(f["rule_id"], f["resource_urn"]) for f in report["resolved"]}
    before = {(f["rule_id"], f["resource_urn"]) for f in baseline["findings"]}
    assert new and unchanged and resolved, output
    assert new.isdisjoint(before) and unchanged <= before and resolved <= before
    assert resolved.isdisjoint(status)
    assert ("RES-001", bucket["newState"]["urn"]) in new
    markdown = (project / "reports" / "prod-ca" / "report.md").read_text()
    html = (project / "reports" / "prod-ca" / "report.html").read_text()
    for text in (markdown, html):
        assert "resolved" in text.lower() and "new" in text.lower()
