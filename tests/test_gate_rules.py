"""Every rule, end to end: a preview plan that violates it exits 1 with that rule's finding
on that resource; the same plan corrected (the compliant prod-ca plan) passes with exit 0."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from components import catalog
from servegate.cli.main import app
from servegate.policy.bundle import load_bundle
from tests import stacks
from tests.policy_cases_audit_security import AUDIT_SECURITY_CASES
from tests.policy_cases_autoscaling import AUTOSCALING_CASES
from tests.policy_cases_budget import BUDGET_CASES, BUDGET_KEY
from tests.policy_cases_canary import CANARY_CASES
from tests.policy_cases_canary_track import CANARY_TRACK_VARIANTS
from tests.policy_cases_capture import (
    CAPTURE_CASES,
    CAPTURE_OVERLAPS,
    CAPTURE_VARIANTS,
    bucket_of_no_plan,
    bucket_out_of_zone,
    traces_without_payloads_anywhere,
)
from tests.policy_cases_cost import COST_CASES, DECLARED_CASES
from tests.policy_cases_enforcement import ENFORCEMENT_CASES
from tests.policy_cases_model_fit import MODEL_FIT_CASES
from tests.policy_cases_model_server_detection import (
    HAND_WRITTEN_SERVER_RULES,
    hand_written_server,
    unlabelled_server,
)
from tests.policy_cases_network import NETWORK_CASES
from tests.policy_cases_placeholders import (
    PLACEHOLDER_CASES,
    PLACEHOLDER_VARIANTS,
    without_placeholders,
)
from tests.policy_cases_pod_security import (
    HARDENED_POD_UNDONE_RULES,
    OVERLAPS,
    POD_SECURITY_CASES,
    POD_SECURITY_VARIANTS,
    hardened_pod_undone,
)
from tests.policy_cases_redis_tls import REDIS_TLS_VARIANTS
from tests.policy_cases_residency_sla_cost import RESIDENCY_SLA_COST_CASES
from tests.policy_cases_secrets import SECRETS_CASES, SECRETS_VARIANTS
from tests.policy_cases_shadow import CORRECTED as SHADOW_CORRECTED
from tests.policy_cases_shadow import SHADOW_CASES, SHADOW_VARIANTS
from tests.policy_cases_sli import SLI_CASES
from tests.policy_cases_traffic import CORRECTED as TRAFFIC_CORRECTED
from tests.policy_cases_traffic import OVERLAPS as TRAFFIC_OVERLAPS
from tests.policy_cases_traffic import TRAFFIC_CASES, TRAFFIC_VARIANTS
from tests.policy_cases_versions import AS_OF, VERSION_CASES

CASES = {
    **RESIDENCY_SLA_COST_CASES,
    **AUDIT_SECURITY_CASES,
    **VERSION_CASES,
    **COST_CASES,
    **SLI_CASES,
    **AUTOSCALING_CASES,
    **MODEL_FIT_CASES,
    **PLACEHOLDER_CASES,
    **ENFORCEMENT_CASES,
    **NETWORK_CASES,
    **SECRETS_CASES,
    **POD_SECURITY_CASES,
    **BUDGET_CASES,
    **CANARY_CASES,
    **TRAFFIC_CASES,
    **CAPTURE_CASES,
    **SHADOW_CASES,
}
VARIANTS = {
    **PLACEHOLDER_VARIANTS,
    **SECRETS_VARIANTS,
    **POD_SECURITY_VARIANTS,
    **CANARY_TRACK_VARIANTS,
    **REDIS_TLS_VARIANTS,
    **TRAFFIC_VARIANTS,
    **CAPTURE_VARIANTS,
    **SHADOW_VARIANTS,
}
runner = CliRunner()


def _check(project: Path, plan: dict[str, Any]) -> tuple[int, dict[str, Any], str]:
    # A case judged against an error budget (policy_cases_budget) carries its document.
    budget = plan.pop(BUDGET_KEY, None)
    budget_args: list[str] = []
    if budget is not None:
        (project / "error-budget.json").write_text(json.dumps(budget))
        budget_args = ["--error-budget", str(project / "error-budget.json")]
    plan_path = project / "plan.json"
    plan_path.write_text(json.dumps(plan))
    out = project / "out"
    result = runner.invoke(
        app,
        [
            "-q",
            "-C",
            str(project),
            "check",
            str(plan_path),
            "-s",
            "prod-ca",
            "--format",
            "json",
            "--out",
            str(out),
            # A fixed evaluation date: the date-dependent rules' cases must not age.
            "--as-of",
            AS_OF,
            *budget_args,
        ],
    )
    report = json.loads((out / "report.json").read_text()) if (out / "report.json").exists() else {}
    return result.exit_code, report, result.output


def _compliant_plan() -> dict[str, Any]:
    """prod-ca's plan with its example account id replaced (AUD-010's corrected plan)."""
    return without_placeholders(stacks.preview_document("prod-ca"))


def _blocking(report: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (f["rule_id"], f["resource_urn"])
        for f in report["findings"]
        if f["enforcement"] == "mandatory" and not f["waived"]
    ]


def test_every_rule_has_an_end_to_end_case() -> None:
    rules = {rule.id for rule in load_bundle(catalog.PROJECT_ROOT / "policies").rules}
    assert rules == set(CASES) | set(DECLARED_CASES)


def test_the_compliant_plan_passes(project: Path) -> None:
    code, report, output = _check(project, _compliant_plan())
    assert code == 0, output
    assert report["verdict"] == "pass"
    assert report["findings"] == []


@pytest.mark.parametrize("rule_id", sorted(CASES) + sorted(VARIANTS))
def test_a_violating_plan_fails_on_that_rule_and_resource(project: Path, rule_id: str) -> None:
    plan = _compliant_plan()
    target = {**CASES, **VARIANTS}[rule_id](plan)
    case, rule_id = rule_id, rule_id.split()[0]
    code, report, output = _check(project, plan)
    hits = [f for f in report["findings"] if f["rule_id"] == rule_id]
    assert {f["resource_urn"] for f in hits} == {target.urn}, output
    mandatory = hits[0]["enforcement"] == "mandatory"
    assert code == (1 if mandatory else 0), output
    assert report["verdict"] == ("fail" if mandatory else "pass")
    # Only that rule, and the older rules judging the same field (OVERLAPS).
    overlaps = (
        OVERLAPS.get(rule_id, set())
        | TRAFFIC_OVERLAPS.get(rule_id, set())
        | CAPTURE_OVERLAPS.get(case, set())
    )
    assert {f["rule_id"] for f in report["findings"]} - overlaps == {rule_id}


# Plans with resources added, all compliant, that must pass: the traffic cases put right, a
# compliant shadow of llama mirrored in the cluster, and traces without payloads (no capture,
# so neither RES-019 nor RES-020 applies, wherever they go).
CORRECTED = {
    **TRAFFIC_CORRECTED,
    **{f"shadow {case}": fix for case, fix in SHADOW_CORRECTED.items()},
    "traces without payloads": traces_without_payloads_anywhere,
}


@pytest.mark.parametrize("case", sorted(CORRECTED))
def test_a_corrected_plan_passes(project: Path, case: str) -> None:
    plan = _compliant_plan()
    CORRECTED[case](plan)
    code, report, output = _check(project, plan)
    assert code == 0, output
    assert report["findings"] == [], output


def test_a_capture_bucket_out_of_the_zone_fails_on_res_020(project: Path) -> None:
    """The bucket itself elsewhere, the exporter's region still the zone's: RES-020 on the
    Collector that writes payloads there, RES-001 on the bucket (every resource's region)."""
    plan = _compliant_plan()
    collector, bucket = bucket_out_of_zone(plan)
    code, report, output = _check(project, plan)
    assert code == 1, output
    fired = {(f["rule_id"], f["resource_urn"]) for f in report["findings"]}
    assert fired == {("RES-020", collector.urn), ("RES-001", bucket.urn)}, output
    res_020 = next(f for f in report["findings"] if f["rule_id"] == "RES-020")
    assert res_020["message"].startswith("Collector exporter awss3 of release"), output
    assert " in us-east-1; zone ca allows " in res_020["message"], output


def test_a_capture_bucket_of_no_plan_fails_on_both_capture_rules(project: Path) -> None:
    """An exporter naming a bucket the plan does not hold: an unknown place in a sovereign
    stack (RES-020) whose encryption and retention cannot be judged (RES-019)."""
    plan = _compliant_plan()
    target = bucket_of_no_plan(plan)
    code, report, output = _check(project, plan)
    assert code == 1, output
    fired = {(f["rule_id"], f["resource_urn"]) for f in report["findings"]}
    assert fired == {("RES-019", target.urn), ("RES-020", target.urn)}, output
    res_020 = next(f for f in report["findings"] if f["rule_id"] == "RES-020")
    assert "names no bucket of this plan" in res_020["message"], output


def test_the_issue_copy_of_prod_ca_fails_on_each_pod_security_control(project: Path) -> None:
    plan = _compliant_plan()
    target = hardened_pod_undone(plan)
    code, report, output = _check(project, plan)
    assert code == 1, output
    found = {(f["rule_id"], f["resource_urn"]) for f in report["findings"]}
    assert found == {(rule, target.urn) for rule in HARDENED_POD_UNDONE_RULES}, output


@pytest.mark.parametrize("rule_id", sorted(DECLARED_CASES))
def test_a_violating_declaration_is_reported(project: Path, rule_id: str) -> None:
    path = project / "stacks" / "Pulumi.prod-ca.yaml"
    document = yaml.safe_load(path.read_text())
    DECLARED_CASES[rule_id](document["config"])
    path.write_text(yaml.safe_dump(document))
    code, report, output = _check(project, _compliant_plan())
    hits = [f for f in report["findings"] if f["rule_id"] == rule_id]
    assert [f["resource_urn"] for f in hits] == [stacks.run("prod-ca").stack_urn], output
    assert code == (1 if _blocking(report) else 0)


def test_an_unlabelled_model_server_is_judged_and_passes_when_compliant(project: Path) -> None:
    plan = _compliant_plan()
    unlabelled_server(plan)
    code, report, output = _check(project, plan)
    assert code == 0, output
    assert report["findings"] == []


def test_a_hand_written_model_server_fails_residency_and_sla(project: Path) -> None:
    plan = _compliant_plan()
    target = hand_written_server(plan)
    code, report, output = _check(project, plan)
    assert code == 1, output
    on_server = {f["rule_id"] for f in report["findings"] if f["resource_urn"] == target.urn}
    assert on_server >= HAND_WRITTEN_SERVER_RULES, output
    assert {rule_id.split("-")[0] for rule_id in on_server} >= {"RES", "SLA"}
