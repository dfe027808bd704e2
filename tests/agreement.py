"""Judging one inventory on two engines the way the gate does, for the agreement test
(tests/test_engine_agreement.py) and its long runs (bench/agree_engines.py)."""

from __future__ import annotations

import json
from typing import Any

from servegate.engines import Engine, EngineError
from servegate.gate import evaluate
from servegate.policy.bundle import PolicyBundle

COULD_NOT_JUDGE = "could not judge"
# A finding as the reports show it: rule, resource, message, evidence path, value and limit.
Finding = tuple[str, str, str, str, str, str]
Outcome = list[Finding] | str


def outcome(engine: Engine, bundle: PolicyBundle, inventory: dict[str, Any]) -> Outcome:
    """The findings as the gate reports them, or the gate's exit 2 (COULD_NOT_JUDGE)."""
    try:
        findings = evaluate(inventory, bundle=bundle, engine=engine)
    except EngineError:
        return COULD_NOT_JUDGE
    return sorted(
        (
            f.rule_id,
            f.resource_urn,
            f.message,
            f.evidence.path,
            json.dumps(f.evidence.value, sort_keys=True),
            json.dumps(None if f.evidence.limit is None else f.evidence.limit.value),
        )
        for f in findings
    )


def differences(regorus: Outcome, opa: Outcome) -> list[str]:
    """What one engine found and the other did not, one line each."""
    if isinstance(regorus, str) or isinstance(opa, str):
        if regorus == opa:
            return []
        return [f"regorus: {_summary(regorus)}; opa-go: {_summary(opa)}"]
    lines = [f"regorus only: {f}" for f in regorus if f not in opa]
    return lines + [f"opa-go only: {f}" for f in opa if f not in regorus]


def _summary(result: Outcome) -> str:
    return result if isinstance(result, str) else f"{len(result)} findings"
