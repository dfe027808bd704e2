"""`--error-budget` on the gate: a spent budget blocks a change to the model's serving
resources (exit 1, SLA-024) unless waived; capacity and rollbacks pass; an unusable budget
file fails closed (exit 2, one line naming the file)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from servegate.cli.main import app
from tests import stacks
from tests.policy_cases_budget import (
    BUDGET_KEY,
    NEW_DIGEST,
    OLD_DIGEST,
    change,
    deployed,
    model_server,
    sla_024,
    spent_budget,
    with_image_digest,
)
from tests.policy_cases_placeholders import without_placeholders
from tests.policy_cases_residency_sla_cost import _find, _vllm
from tests.policy_cases_versions import AS_OF

runner = CliRunner()
FIXTURE = Path(__file__).parent / "fixtures" / "error_budget" / "prod-ca-spent.json"
SCALED_OBJECT = "kubernetes:keda.sh/v1alpha1:ScaledObject"


def _plan() -> dict[str, Any]:
    return deployed(without_placeholders(stacks.preview_document("prod-ca")))


def _check(project: Path, plan: dict[str, Any], *extra: str) -> tuple[int, dict[str, Any], str]:
    plan.pop(BUDGET_KEY, None)
    path = project / "plan.json"
    path.write_text(json.dumps(plan))
    out = project / "out"
    result = runner.invoke(
        app,
        ["-q", "-C", str(project), "check", str(path), "-s", "prod-ca", "--format", "json"]
        + ["--out", str(out), "--as-of", AS_OF, *extra],
    )
    report_file = out / "report.json"
    report = json.loads(report_file.read_text()) if report_file.exists() else {}
    return result.exit_code, report, result.output


def _budget(project: Path, document: Any = None) -> str:
    path = project / "budget.json"
    path.write_text(json.dumps(document if document is not None else spent_budget()))
    return str(path)


def _sla_024(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["rule_id"] == "SLA-024"]


def test_a_change_to_a_spent_model_is_blocked(project: Path) -> None:
    plan = without_placeholders(stacks.preview_document("prod-ca"))
    target = sla_024(plan)
    code, report, output = _check(project, plan, "--error-budget", str(FIXTURE))
    assert code == 1, output
    (finding,) = _sla_024(report)
    assert finding["resource_urn"] == target.urn and not finding["waived"]
    assert finding["evidence"]["limit"] == {
        "path": "error_budget.models.llama-8b.remaining_ratio",
        "value": -0.25,
    }
    assert "model llama-8b has spent its error budget" in finding["message"]


def test_the_same_change_passes_with_budget_left_or_without_a_document(project: Path) -> None:
    plan = without_placeholders(stacks.preview_document("prod-ca"))
    sla_024(plan)
    code, report, output = _check(
        project, plan, "--error-budget", _budget(project, spent_budget(0.4))
    )
    assert code == 0 and _sla_024(report) == [], output
    code, report, output = _check(project, plan)
    assert code == 0 and _sla_024(report) == [], output


def test_a_waiver_lets_the_change_through(project: Path) -> None:
    plan = without_placeholders(stacks.preview_document("prod-ca"))
    target = sla_024(plan)
    waivers = project / "waivers.yaml"
    waivers.write_text(
        yaml.safe_dump(
            {
                "waivers": [
                    {
                        "rule_id": "SLA-024",
                        "resource": target.urn,
                        "justification": "security fix in the new vLLM image, approved change",
                        "approved_by": "compliance@example.com",
                        "expires": "2027-01-31",
                    }
                ]
            }
        )
    )
    code, report, output = _check(
        project, plan, "--error-budget", str(FIXTURE), "--waivers", str(waivers)
    )
    assert code == 0, output
    (finding,) = _sla_024(report)
    assert finding["waived"]


def _with_static_canary(plan: dict[str, Any]) -> dict[str, Any]:
    """A second llama-8b Deployment on the canary track beside the stable one (a static split;
    prod-ca's own canary is analysed, so its model has one Deployment); returns its state."""
    stable = model_server(plan, "stable")
    step = next(s for s in plan["steps"] if s.get("newState") is stable)
    clone = copy.deepcopy(step)
    clone["urn"] = clone["urn"] + "-canary"
    for state in (clone["newState"], clone["oldState"]):
        state["urn"] = state["urn"] + "-canary"
        inputs = state["inputs"]
        inputs["metadata"]["name"] += "-canary"
        for labels in (
            inputs["metadata"]["labels"],
            inputs["spec"]["template"]["metadata"]["labels"],
        ):
            labels["servegate.io/track"] = "canary"
    plan["steps"].append(clone)
    plan["changeSummary"]["same"] += 1
    new_state: dict[str, Any] = clone["newState"]
    return new_state


def test_a_rollback_to_the_image_the_model_ran_passes(project: Path) -> None:
    plan = _plan()
    canary = _with_static_canary(plan)
    stable_image = _vllm(model_server(plan, "stable"))["image"]
    old = _vllm({"inputs": change(plan, canary)})
    # The canary ran a new image; the plan puts it back on the stable track's image.
    old["image"] = with_image_digest(old["image"], OLD_DIGEST)
    assert _vllm(canary)["image"] == stable_image != old["image"]
    code, report, output = _check(project, copy.deepcopy(plan), "--error-budget", str(FIXTURE))
    assert code in (0, 1) and _sla_024(report) == [], output
    # The same step to an image no server of the model ran is a change, and is blocked.
    _vllm(canary)["image"] = with_image_digest(stable_image, NEW_DIGEST)
    code, report, output = _check(project, plan, "--error-budget", str(FIXTURE))
    assert [f["resource_urn"] for f in _sla_024(report)] == [canary["urn"]], output


def test_adding_capacity_passes_and_removing_it_is_blocked(project: Path) -> None:
    plan = _plan()
    scaler = _find(
        plan,
        SCALED_OBJECT,
        lambda s: s["inputs"]["spec"]["scaleTargetRef"]["name"] == "vllm-llama-8b",
    )
    old = change(plan, scaler)
    old["spec"]["maxReplicaCount"] = scaler["inputs"]["spec"]["maxReplicaCount"] - 1
    code, report, output = _check(project, plan, "--error-budget", str(FIXTURE))
    assert code == 0 and _sla_024(report) == [], output
    old["spec"]["maxReplicaCount"] = scaler["inputs"]["spec"]["maxReplicaCount"] + 1
    code, report, output = _check(project, plan, "--error-budget", str(FIXTURE))
    assert code == 1, output
    assert [f["resource_urn"] for f in _sla_024(report)] == [scaler["urn"]]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read the error-budget file"),
        ("{not json", "not JSON (line 1"),
        (json.dumps({**spent_budget(), "window": "a month"}), "window must be a whole number"),
        (json.dumps({**spent_budget(), "stack": "prod-eu"}), "stack is 'prod-eu'"),
    ],
    ids=["unreadable", "not-json", "invalid", "other-stack"],
)
def test_an_unusable_budget_file_fails_closed(
    project: Path, content: str | None, message: str
) -> None:
    path = project / "budget.json"
    if content is not None:
        path.write_text(content)
    code, report, output = _check(project, _plan(), "--error-budget", str(path))
    assert code == 2, output
    assert report == {}
    lines = output.strip().splitlines()
    assert len(lines) == 1 and str(path) in lines[0] and message in lines[0], output


def test_preview_refuses_an_unreadable_budget_before_running_the_program(project: Path) -> None:
    missing = project / "nope.json"
    result = runner.invoke(
        app, ["-q", "-C", str(project), "preview", "-s", "prod-ca", "--error-budget", str(missing)]
    )
    assert result.exit_code == 2
    assert f"{missing}: cannot read the error-budget file" in result.output
    assert not (project / "reports" / "prod-ca" / "report.json").exists()
