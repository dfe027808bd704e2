"""An offline run written as a `pulumi preview --json --show-sames` document.

Lets a plan declared offline be kept, diffed and gated later with `servegate check`,
exactly as a preview from the Pulumi CLI would be. Every resource is a `create`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from servegate.plan.offline import OfflineRun
from servegate.plan.secrets import SECRET
from servegate.plan.urns import ROOT_STACK_TYPE


def _config_value(value: Any) -> str:
    # The engine prints secret config as "[secret]" and object values as JSON text.
    if isinstance(value, dict) and set(value) == {"secure"}:
        return SECRET
    return value if isinstance(value, str) else json.dumps(value)


def preview_document(run: OfflineRun, config: Mapping[str, Any]) -> dict[str, Any]:
    root_state = {"urn": run.stack_urn, "custom": False, "type": ROOT_STACK_TYPE}
    steps: list[dict[str, Any]] = [
        {
            "op": "same",
            "urn": run.stack_urn,
            "provider": "",
            "oldState": root_state,
            "newState": root_state,
        }
    ]
    for resource in run.resources:
        state: dict[str, Any] = {
            "urn": resource.urn,
            "custom": resource.custom,
            "type": resource.type,
            "inputs": json.loads(json.dumps(resource.inputs)),
            "parent": resource.parent or run.stack_urn,
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
    return {
        "config": {key: _config_value(value) for key, value in config.items()},
        "steps": steps,
        "diagnostics": [],
        "duration": int(run.seconds * 1e9),
        "changeSummary": {"create": len(steps) - 1, "same": 1},
    }
