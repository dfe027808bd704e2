"""What a stack declares, at a glance: resources by component and type, GPUs, monthly cost."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any

from components import catalog
from components.config import ModelSpec, StackSpec
from servegate.cost import CostEstimate
from servegate.cost import estimate as estimate_cost

COMPONENT_PREFIX = "servegate:index:"


@dataclass(frozen=True)
class PoolSummary:
    name: str
    instance_type: str
    gpu: str
    gpus_per_node: int
    gpu_memory_gib: int
    min_nodes: int
    max_nodes: int
    capacity_type: str
    hourly_usd: float | None
    monthly_usd_at_max: float | None


@dataclass(frozen=True)
class ModelSummary:
    name: str
    served_model_name: str
    pool: str
    gpu: str
    gpus_per_replica: int
    min_replicas: int
    max_replicas: int
    canary: str | None
    floor_note: str | None = None
    """How the SLA's replica floor changed the declared bounds, e.g. "min 1 → 2 by the
    99.9 % floor"; None when the declared bounds stand."""


@dataclass(frozen=True)
class StackSummary:
    stack: str
    region: str
    zone: str
    resources: int
    by_component: dict[str, int]
    by_type: dict[str, int]
    pools: tuple[PoolSummary, ...]
    models: tuple[ModelSummary, ...]
    gpus_min: int
    gpus_max: int
    budget_monthly_usd: float | None
    # The whole monthly cost, min to max, by kind and line item (servegate.cost).
    cost: CostEstimate

    def to_dict(self) -> dict[str, Any]:
        fields = {name: value for name, value in asdict(self).items() if name != "cost"}
        return {**fields, "cost": self.cost.to_dict()}


def component_of(urn: str) -> str:
    """The nearest servegate component in a URN's type chain (`-` for top-level)."""
    qualified = urn.split("::")[2] if urn.count("::") >= 3 else ""
    chain = qualified.split("$")[:-1]
    for token in reversed(chain):
        if token.startswith(COMPONENT_PREFIX):
            return token.removeprefix(COMPONENT_PREFIX)
    return "-"


def floor_note(spec: StackSpec, model: ModelSpec) -> str | None:
    """Say where the SLA's replica floor raised a model's declared bounds."""
    floor = spec.replica_floor
    if spec.sla is None or floor <= model.replicas.min:
        return None
    raised = [f"min {model.replicas.min} → {floor}"]
    if floor > model.replicas.max:
        raised.append(f"max {model.replicas.max} → {floor}")
    return f"{', '.join(raised)} by the {spec.sla.availability:g} % floor"


def summarize(spec: StackSpec, inventory: dict[str, Any]) -> StackSummary:
    custom = [r for r in inventory["resources"] if r.get("custom")]
    by_component = Counter(component_of(r["urn"]) for r in custom)
    by_type = Counter(r["type"] for r in custom)
    hours = catalog.hours_per_month()
    pools = []
    for pool in spec.gpu_pools:
        instance = pool.instance
        price = catalog.hourly_price(spec.region, pool.instance_type)
        pools.append(
            PoolSummary(
                name=pool.name,
                instance_type=pool.instance_type,
                gpu=instance.gpu,
                gpus_per_node=instance.gpus,
                gpu_memory_gib=instance.gpu_memory_gib,
                min_nodes=pool.min_size,
                max_nodes=pool.max_size,
                capacity_type=pool.capacity_type,
                hourly_usd=price,
                monthly_usd_at_max=None
                if price is None
                else round(price * pool.max_size * hours, 2),
            )
        )
    models = tuple(
        ModelSummary(
            name=model.name,
            served_model_name=model.served_model_name,
            pool=model.pool,
            gpu=spec.pool(model.pool).instance.gpu,
            gpus_per_replica=model.gpus_per_replica,
            min_replicas=max(model.replicas.min, spec.replica_floor),
            max_replicas=max(model.replicas.max, model.replicas.min, spec.replica_floor),
            canary=f"{model.canary.version} at {model.canary.weight}%" if model.canary else None,
            floor_note=floor_note(spec, model),
        )
        for model in spec.models
    )
    return StackSummary(
        stack=spec.stack,
        region=spec.region,
        zone=spec.residency.zone,
        resources=len(custom),
        by_component=dict(sorted(by_component.items())),
        by_type=dict(sorted(by_type.items())),
        pools=tuple(pools),
        models=models,
        gpus_min=sum(p.gpus_per_node * p.min_nodes for p in pools),
        gpus_max=sum(p.gpus_per_node * p.max_nodes for p in pools),
        budget_monthly_usd=spec.budget.monthly_usd if spec.budget else None,
        cost=estimate_cost(inventory),
    )
