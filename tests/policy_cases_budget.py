"""The error-budget rule (SLA-024) end to end: the compliant prod-ca plan as a change to a
deployed stack (every step ``same``), with llama-8b's budget spent.

A case returns its target as the others do and puts the error-budget document it is judged
with under :data:`BUDGET_KEY` of the plan; tests/test_gate_rules.py passes it as
``--error-budget`` (the key never reaches the gate). Without a document the rule is silent,
so the corrected plan (the compliant plan, no budget) passes.
"""

from __future__ import annotations

import copy
from typing import Any

from tests.policy_cases_residency_sla_cost import (
    DEPLOYMENT,
    Doc,
    PolicyCase,
    State,
    Target,
    _find,
    _labels,
    _target,
    _vllm,
)

BUDGET_KEY = "servegate-test:error-budget"
MODEL = "llama-8b"
OLD_DIGEST = "sha256:" + "1" * 64
NEW_DIGEST = "sha256:" + "2" * 64


def spent_budget(remaining: float = -0.25) -> dict[str, Any]:
    """prod-ca's error-budget document: llama-8b spent, mixtral-8x7b with budget left."""

    def entry(served: str, ratio: float) -> dict[str, Any]:
        return {
            "objective": 99.9,
            "remaining_ratio": ratio,
            "served_model_name": served,
            "source": "tests/policy_cases_budget.py",
        }

    return {
        "schema": "servegate/error-budget/v1",
        "stack": "prod-ca",
        "as_of": "2026-12-01T15:00:00Z",
        "window": "30d",
        "models": {
            MODEL: entry("meta-llama/Llama-3.1-8B-Instruct", remaining),
            "mixtral-8x7b": entry("mistralai/Mixtral-8x7B-Instruct-v0.1", 0.6),
        },
    }


def deployed(doc: Doc) -> Doc:
    """The plan as a preview of the stack already deployed as planned: every step ``same``."""
    for step in doc["steps"]:
        state = step.get("newState")
        if step["op"] == "create" and state is not None:
            step["op"] = "same"
            step["oldState"] = copy.deepcopy(state)
    doc["changeSummary"] = {"same": len(doc["steps"])}
    return doc


def change(doc: Doc, state: State) -> dict[str, Any]:
    """Make ``state``'s step an update; returns its oldState's inputs to edit."""
    for step in doc["steps"]:
        if step.get("newState") is state:
            step["op"] = "update"
            summary = doc["changeSummary"]
            summary["same"] -= 1
            summary["update"] = summary.get("update", 0) + 1
            old: dict[str, Any] = step["oldState"]["inputs"]
            return old
    raise LookupError(f"{state['urn']} has no step")


def model_server(doc: Doc, track: str) -> State:
    return _find(
        doc,
        DEPLOYMENT,
        lambda s: (
            _labels(s).get("servegate.io/model") == MODEL
            and _labels(s).get("servegate.io/track") == track
        ),
    )


def with_image_digest(image: str, digest: str) -> str:
    return image.split("@")[0] + "@" + digest


def sla_024(doc: Doc) -> Target:
    """llama-8b's stable vLLM moves to an image no llama-8b server runs while its budget is
    spent."""
    deployed(doc)
    server = model_server(doc, "stable")
    change(doc, server)
    new_vllm = _vllm(server)
    new_vllm["image"] = with_image_digest(new_vllm["image"], NEW_DIGEST)
    doc[BUDGET_KEY] = spent_budget()
    return _target(server)


BUDGET_CASES: dict[str, PolicyCase] = {"SLA-024": sla_024}
