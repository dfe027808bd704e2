"""What a stack declares, at a glance: resources by component and type, GPUs, GPU cost."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any

from components import catalog, model_fit
from components.config import StackSpec

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


@dataclass(frozen=True)
class ModelFitSummary:
    """One replica of a model on its pool's GPUs (components/model_fit.py)."""

    name: str
    served_model_name: str
    gpus: str
    max_model_len: int
    weights_gib: float
    budget_gib: float
    kv_capacity_tokens: int
    full_sequences: int
    headroom_gib: float


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
    monthly_gpu_usd_at_max: float | None
    budget_monthly_usd: float | None
    model_fit: tuple[ModelFitSummary, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def component_of(urn: str) -> str:
    """The nearest servegate component in a URN's type chain (`-` for top-level)."""
    qualified = urn.split("::")[2] if urn.count("::") >= 3 else ""
    chain = qualified.split("$")[:-1]
    for token in reversed(chain):
        if token.startswith(COMPONENT_PREFIX):
            return token.removeprefix(COMPONENT_PREFIX)
    return "-"


def summarize(spec: StackSpec, inventory: dict[str, Any]) -> StackSummary:
    custom = [r for r in inventory["resources"] if r.get("custom")]
    by_component = Counter(component_of(r["urn"]) for r in custom)
    by_type = Counter(r["type"] for r in custom)
    hours = float(catalog.gpu_prices()["hours_per_month"])
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
        )
        for model in spec.models
    )
    costs = [p.monthly_usd_at_max for p in pools]
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
        monthly_gpu_usd_at_max=None if None in costs else round(sum(c or 0.0 for c in costs), 2),
        budget_monthly_usd=spec.budget.monthly_usd if spec.budget else None,
        model_fit=model_fit_summaries(spec),
    )


def model_fit_summaries(spec: StackSpec) -> tuple[ModelFitSummary, ...]:
    """Weights, KV-cache capacity and headroom of one replica of each model (a validated spec:
    every model has its facts and fits)."""
    rows = []
    for model in spec.models:
        facts = model.facts()
        instance = spec.pool(model.pool).instance
        if facts is None:
            continue
        fit = model_fit.estimate(
            model.served_model_name,
            facts,
            quantization=model.quantization,
            max_model_len=model.max_model_len,
            tensor_parallel=model.tensor_parallel,
            gpu_memory_gib=instance.gpu_memory_gib,
            gpu_memory_utilization=model.gpu_memory_utilization,
            gpu=instance.gpu,
        )
        rows.append(
            ModelFitSummary(
                name=model.name,
                served_model_name=model.served_model_name,
                gpus=f"{model.tensor_parallel} x {instance.gpu}",
                max_model_len=model.max_model_len,
                weights_gib=round(fit.weights_gib, 1),
                budget_gib=round(fit.budget_gib, 1),
                kv_capacity_tokens=fit.kv_capacity_tokens,
                full_sequences=fit.full_sequences,
                headroom_gib=round(fit.headroom_gib, 1),
            )
        )
    return tuple(rows)
