"""Every engine judges the same plan the same way: same findings, messages and evidence.

One plan carries as many rule violations at once as the per-rule cases allow, so every
message a rule builds is produced by regorus, by regopy (rego-cpp) and by the official OPA
engine (opa-go, the reference for Rego semantics) and compared.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from components import catalog
from components.config import read_stack_config, stack_file
from servegate.engines import get_engine
from servegate.gate import evaluate
from servegate.plan.inventory import build_inventory
from servegate.plan.preview import parse_preview
from servegate.policy.bundle import load_bundle
from tests import stacks
from tests.policy_cases_audit_security import AUDIT_SECURITY_CASES
from tests.policy_cases_model_fit import MODEL_FIT_CASES
from tests.policy_cases_residency_sla_cost import RESIDENCY_SLA_COST_CASES
from tests.policy_cases_traffic import all_traffic_violations


def _all_violations() -> tuple[dict[str, Any], set[str]]:
    plan = copy.deepcopy(stacks.preview_document("prod-ca"))
    applied = set()
    cases = {**RESIDENCY_SLA_COST_CASES, **AUDIT_SECURITY_CASES, **MODEL_FIT_CASES}
    for rule_id, case in sorted(cases.items()):
        try:
            case(plan)
        except (LookupError, KeyError, IndexError, TypeError):
            continue  # an earlier case removed what this one needs
        applied.add(rule_id)
    return plan, applied


@pytest.fixture(scope="module")
def violating_inventory() -> tuple[dict[str, Any], set[str]]:
    plan, applied = _all_violations()
    return _inventory(plan), applied


@pytest.fixture(scope="module")
def traffic_inventory() -> tuple[dict[str, Any], set[str]]:
    plan = copy.deepcopy(stacks.preview_document("prod-ca"))
    broken = all_traffic_violations(plan)
    return _inventory(plan), broken


def _inventory(plan: dict[str, Any]) -> dict[str, Any]:
    parsed = parse_preview(plan, "violations.json")
    spec = stacks.spec("prod-ca")
    inventory = build_inventory(
        parsed.resources,
        stack="prod-ca",
        project="llm-serving",
        source="preview",
        declared=spec.declared(),
        stack_region=spec.region,
        config=read_stack_config(stack_file("prod-ca", catalog.PROJECT_ROOT)),
    )
    return inventory


def test_every_engine_finds_the_same_violations_with_the_same_words(
    violating_inventory: tuple[dict[str, Any], set[str]],
) -> None:
    inventory, applied = violating_inventory
    bundle = load_bundle(catalog.PROJECT_ROOT / "policies")
    found = {}
    for name in ("regorus", "regopy", "opa-go"):
        findings = evaluate(inventory, bundle=bundle, engine=get_engine(name, timeout_s=600))
        found[name] = sorted(
            (f.rule_id, f.resource_urn, f.evidence.path, f.message, json.dumps(f.evidence.value))
            for f in findings
        )
    assert len(applied) >= 35
    fired = {rule_id for rule_id, *_ in found["regorus"]}
    assert len(fired) >= 30
    assert found["opa-go"] == found["regorus"]
    assert found["regopy"] == found["regorus"]


def test_every_engine_judges_gateway_traffic_the_same_way(
    traffic_inventory: tuple[dict[str, Any], set[str]],
) -> None:
    """The traffic-residency rules (lib.traffic's joins, their messages) on every engine."""
    inventory, broken = traffic_inventory
    bundle = load_bundle(catalog.PROJECT_ROOT / "policies")
    found = {}
    for name in ("regorus", "regopy", "opa-go"):
        findings = evaluate(inventory, bundle=bundle, engine=get_engine(name, timeout_s=600))
        found[name] = sorted(
            (f.rule_id, f.resource_urn, f.evidence.path, f.message, json.dumps(f.evidence.value))
            for f in findings
        )
    assert {rule_id for rule_id, *_ in found["regorus"]} >= broken
    assert found["opa-go"] == found["regorus"]
    assert found["regopy"] == found["regorus"]
