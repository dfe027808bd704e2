"""A report's ``declared``: the claims the stack was judged on, read from the inventory.

Only the inventory is read, so `servegate check` on a saved plan states the same claims
as `servegate preview`. GPU costs come from servegate.cost and model bounds from
servegate.summary, so the report and `servegate preview`'s summary never disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from servegate.cost import GPU_NODES, CostEstimate
from servegate.cost import estimate as estimate_cost
from servegate.findings import Declared, DeclaredSla, GpuPoolClaim, ModelClaim
from servegate.summary import scaling_of

DATA_CLASSIFICATION_TAG = "data-classification"


def declared_of(inventory: Mapping[str, Any], cost: CostEstimate | None = None) -> Declared:
    facts = inventory.get("declared") or {}
    residency = facts.get("residency") or {}
    sla = facts.get("sla")
    budget = facts.get("budget")
    tags = facts.get("tags") or {}
    cost = cost if cost is not None else estimate_cost(inventory)
    return Declared(
        zone=_str(residency.get("zone")),
        region=_str((inventory.get("stack") or {}).get("region")),
        sovereign=_bool(residency.get("sovereign")),
        air_gapped=_bool(residency.get("airGapped")),
        sla=(
            DeclaredSla(
                availability=float(sla["availability"]),
                latency=dict(sla.get("latency") or {}),
            )
            if isinstance(sla, Mapping) and isinstance(sla.get("availability"), int | float)
            else None
        ),
        data_classification=_str(tags.get(DATA_CLASSIFICATION_TAG)),
        budget_monthly_usd=(
            float(budget["monthlyUsd"])
            if isinstance(budget, Mapping) and isinstance(budget.get("monthlyUsd"), int | float)
            else None
        ),
        gpu_pools=tuple(
            GpuPoolClaim(
                name=item.name,
                nodes_min=item.quantity_min,
                nodes_max=item.quantity_max,
                basis=item.basis,
                monthly_min_usd=item.min_cents / 100,
                monthly_max_usd=item.max_cents / 100,
            )
            for item in cost.items
            if item.kind == GPU_NODES
        ),
        models=tuple(
            ModelClaim(
                name=line.name,
                replicas_min=line.minimum,
                replicas_max=line.maximum,
                scaled_by=line.scaled_by,
            )
            for line in (scaling_of(dict(inventory)) if "by_type" in inventory else ())
            if line.kind == "pods"
        ),
        cost_min_usd=cost.min_usd,
        cost_max_usd=cost.max_usd,
        cost_unpriced=len(cost.unpriced),
        as_of=str((inventory.get("evaluation") or {}).get("as_of", "")),
    )


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None
