"""Plan mutations that make exactly one cost rule fire, on the compliant prod-ca plan.

Like the other case files: each case changes a ``pulumi preview --json`` document in place and
returns where the rule must fire. COST-003 judges a declared fact (the budget), which the gate
reads from the stack file, so its case edits that config instead. ``COST_001_VARIANTS`` are
further ways over the budget, each driven by a different kind of the estimate, for
tests/test_cost_gate.py: the budget counts the whole cost, not the GPUs only.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from tests.policy_cases_residency_sla_cost import (
    NODE_GROUP,
    UNKNOWN,
    Doc,
    PolicyCase,
    State,
    Target,
    _find,
    _gpu_group,
    _stack_target,
    _target,
)

VPC_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"


def _interface(state: State) -> bool:
    return bool(state["inputs"].get("vpcEndpointType") == "Interface")


def _clone(doc: Doc, state: State, copies: int) -> None:
    """Append ``copies`` of the step that creates ``state``, each under its own name."""
    step = next(s for s in doc["steps"] if s.get("newState") is state)
    for n in range(copies):
        clone = copy.deepcopy(step)
        urn = f"{state['urn']}-copy{n}"
        clone["urn"] = clone["newState"]["urn"] = urn
        doc["steps"].append(clone)


def cost_001(doc: Doc) -> Target:
    # 200 g6.xlarge nodes alone cost about 130,000 USD a month in ca-central-1.
    group = _find(doc, NODE_GROUP, _gpu_group)
    group["inputs"]["scalingConfig"]["maxSize"] = 200
    return _stack_target(doc)


def cost_001_interface_endpoints(doc: Doc) -> Target:
    # 60 more interface endpoints in 3 AZs: 60 x 24.09 = 1,445.40 USD, over the 31,000 budget's
    # margin (about 1,000 USD with the control plane in standard support); GPUs unchanged.
    _clone(doc, _find(doc, VPC_ENDPOINT, _interface), 60)
    return _stack_target(doc)


def cost_001_unknown_subnets(doc: Doc) -> Target:
    # An interface endpoint whose subnets are unknown until apply: its AZ count, and so the
    # estimate, cannot be told; the mandatory rule fails closed on that endpoint.
    endpoint = _find(doc, VPC_ENDPOINT, _interface)
    endpoint["inputs"]["subnetIds"] = UNKNOWN
    endpoint.setdefault("propertyDependencies", {}).pop("subnetIds", None)
    step = next(s for s in doc["steps"] if s.get("newState") is endpoint)
    step.get("propertyDependencies", {}).pop("subnetIds", None)
    return _target(endpoint)


def cost_002(doc: Doc) -> Target:
    # g6e.16xlarge is a real instance type the price table does not list.
    group = _find(doc, NODE_GROUP, _gpu_group)
    group["inputs"]["instanceTypes"] = ["g6e.16xlarge"]
    return _target(group)


def cost_003(config: dict[str, Any]) -> None:
    """Drop the budget from the stack file's ``config:`` mapping.

    The gate takes declared facts from the stack file, never from the plan, so this case
    changes the stack config; the finding lands on the root stack of the unchanged plan.
    """
    config.pop("llm-serving:budget", None)


COST_CASES: dict[str, PolicyCase] = {
    "COST-001": cost_001,
    "COST-002": cost_002,
}

# More ways to fire COST-001, each through another kind of the estimate.
COST_001_VARIANTS: dict[str, PolicyCase] = {
    "gpu_nodes": cost_001,
    "interface_endpoints": cost_001_interface_endpoints,
    "unknown_subnets": cost_001_unknown_subnets,
}

# Rules that judge declared facts: each case edits the stack file's config mapping instead of
# the plan, and the rule fires on the plan's root stack.
DECLARED_CASES: dict[str, Callable[[dict[str, Any]], None]] = {
    "COST-003": cost_003,
}
