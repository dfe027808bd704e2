"""The shipped stacks run offline once per test session (the runs are the slow part)."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from components import catalog
from components.config import StackSpec, load_stack, read_stack_config, stack_file
from servegate.offline import OfflineRun
from servegate.run import PlannedStack, offline_inventory, offline_run

SHIPPED = ("dev", "prod-ca", "prod-eu")


@cache
def spec(stack: str) -> StackSpec:
    return load_stack(stack)


@cache
def run(stack: str) -> OfflineRun:
    return offline_run(spec(stack), catalog.PROJECT_ROOT)


@cache
def planned(stack: str) -> PlannedStack:
    return offline_inventory(spec(stack), catalog.PROJECT_ROOT, run(stack))


def inventory(stack: str) -> dict[str, Any]:
    return planned(stack).inventory


def of_type(stack: str, type_token: str) -> list[dict[str, Any]]:
    inv = inventory(stack)
    return [inv["resources"][i] for i in inv["by_type"].get(type_token, [])]


def preview_document(stack: str) -> dict[str, Any]:
    """The offline run as `pulumi preview --json --show-sames` would print it (all creates)."""
    offline = run(stack)
    root_state = {"urn": offline.stack_urn, "custom": False, "type": "pulumi:pulumi:Stack"}
    steps: list[dict[str, Any]] = [
        {
            "op": "same",
            "urn": offline.stack_urn,
            "provider": "",
            "oldState": root_state,
            "newState": root_state,
        }
    ]
    for resource in offline.resources:
        state: dict[str, Any] = {
            "urn": resource.urn,
            "custom": resource.custom,
            "type": resource.type,
            "inputs": json.loads(json.dumps(resource.inputs)),
            "parent": resource.parent or offline.stack_urn,
        }
        if resource.provider:
            state["provider"] = resource.provider
        if resource.deps:
            state["propertyDependencies"] = {k: list(v) for k, v in resource.deps.items()}
        steps.append(
            {
                "op": "create",
                "urn": resource.urn,
                "provider": resource.provider or "",
                "newState": state,
            }
        )
    config = {
        key: value if isinstance(value, str) else json.dumps(value)
        for key, value in read_stack_config(stack_file(stack, catalog.PROJECT_ROOT)).items()
    }
    return {
        "config": config,
        "steps": steps,
        "diagnostics": [],
        "duration": 1_000_000_000,
        "changeSummary": {"create": len(steps) - 1, "same": 1},
    }
