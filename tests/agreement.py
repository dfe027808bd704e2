"""Judging one inventory on two engines the way the gate does, for the agreement test
(tests/test_engine_agreement.py) and its long runs (bench/agree_engines.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from servegate.engines import Engine, EngineError
from servegate.gate import evaluate
from servegate.policy.bundle import PolicyBundle

# A finding as the reports show it: rule, resource, message, evidence path, value and limit.
Finding = tuple[str, str, str, str, str, str]


@dataclass(frozen=True)
class CouldNotJudge:
    """The gate's exit 2, with the engine's one-line error."""

    error: str


Outcome = list[Finding] | CouldNotJudge


def outcome(engine: Engine, bundle: PolicyBundle, inventory: dict[str, Any]) -> Outcome:
    """The findings as the gate reports them, or the gate's exit 2."""
    try:
        findings = evaluate(inventory, bundle=bundle, engine=engine)
    except EngineError as error:
        return CouldNotJudge(str(error))
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
    # Both unable to judge is the same decision (exit 2), whatever each engine's words.
    if isinstance(regorus, CouldNotJudge) and isinstance(opa, CouldNotJudge):
        return []
    if isinstance(regorus, CouldNotJudge) or isinstance(opa, CouldNotJudge):
        return [f"regorus {_summary(regorus)}; opa-go {_summary(opa)}"]
    lines = [f"regorus only: {f}" for f in regorus if f not in opa]
    return lines + [f"opa-go only: {f}" for f in opa if f not in regorus]


def _summary(result: Outcome) -> str:
    if isinstance(result, CouldNotJudge):
        return f"could not judge: {result.error}"
    return f"reported {len(result)} findings"
