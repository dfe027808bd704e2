"""COST-001 end to end: the budget is held against the whole monthly cost, whichever kind drives
it, and report.json names the estimate and the budget as separate evidence values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from servegate import cost
from tests import stacks
from tests.policy_cases_cost import COST_001_VARIANTS
from tests.test_gate_rules import _check, _compliant_plan

BUDGET_PATH = "declared.budget.monthlyUsd"
ESTIMATE_PATH = "estimate.monthlyUsd.max"


def _set_budget(folder: Path, amount: float) -> None:
    path = folder / "stacks" / "Pulumi.prod-ca.yaml"
    document = yaml.safe_load(path.read_text())
    document["config"]["llm-serving:budget"] = {"monthlyUsd": amount}
    path.write_text(yaml.safe_dump(document))


def _cost_findings(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["rule_id"] == "COST-001"]


@pytest.mark.parametrize("variant", sorted(COST_001_VARIANTS))
def test_each_variant_fails_cost_001_and_the_shipped_plan_passes(
    project: Path,  # noqa: F811 - the fixture
    variant: str,
) -> None:
    plan = _compliant_plan()  # prod-ca without its example account id (AUD-010)
    target = COST_001_VARIANTS[variant](plan)
    code, report, output = _check(project, plan)
    assert code == 1, output
    assert {f["resource_urn"] for f in _cost_findings(report)} == {target.urn}
    assert {f["rule_id"] for f in report["findings"]} == {"COST-001"}
    code, report, output = _check(project, _compliant_plan())
    assert code == 0 and report["findings"] == [], output


def test_a_budget_covering_only_the_gpus_fails(project: Path) -> None:  # noqa: F811
    """The old rule passed any budget above the GPU cost; the rest of the stack counts now."""
    estimate = cost.estimate(stacks.inventory("prod-ca"))
    totals = {t.kind: t for t in estimate.by_kind}
    gpu_only = totals[cost.GPU_NODES].max_cents / 100
    budget = gpu_only + 1
    assert budget < estimate.max_usd
    _set_budget(project, budget)
    code, report, output = _check(project, stacks.preview_document("prod-ca"))
    assert code == 1, output
    [finding] = _cost_findings(report)
    assert finding["resource_urn"] == stacks.run("prod-ca").stack_urn
    for title in ("GPU nodes", "EKS control plane", "interface endpoints", "load balancers"):
        assert title in finding["message"]


def test_evidence_names_the_estimate_and_the_budget_apart(project: Path) -> None:  # noqa: F811
    _set_budget(project, 20000)
    code, report, output = _check(project, stacks.preview_document("prod-ca"))
    assert code == 1, output
    [finding] = _cost_findings(report)
    estimate = cost.estimate(stacks.inventory("prod-ca"))
    assert finding["evidence"] == {
        "path": ESTIMATE_PATH,
        "value": estimate.max_usd,
        "limit": {"path": BUDGET_PATH, "value": 20000},
    }
