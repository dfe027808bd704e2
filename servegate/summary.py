"""What a stack declares, at a glance: resources by component and type, GPUs, monthly cost,
and what can scale up to what."""

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
class Scaling:
    """One thing that can (or cannot) scale: a model's pods or a pool's nodes."""

    kind: str
    """``pods`` (a model track's replicas) or ``nodes`` (a GPU pool's nodes)."""
    name: str
    """The model track (``llama-8b``, ``llama-8b/canary``) or the pool."""
    scaled_by: str | None
    """What moves it: ``KEDA``, ``Cluster Autoscaler``, ``Karpenter``; None when fixed."""
    minimum: int
    maximum: int
    """The most it can reach: its minimum when nothing scales it."""


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
    budget_monthly_usd: float | None
    # The whole monthly cost, min to max, by kind and line item (servegate.cost).
    cost: CostEstimate
    scaling: tuple[Scaling, ...] = ()
    model_fit: tuple[ModelFitSummary, ...] = ()

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
        scaling=scaling_of(inventory),
        model_fit=model_fit_summaries(spec),
    )


_SCALED_OBJECT = "kubernetes:keda.sh/v1alpha1:ScaledObject"
_KEDA_DEFAULT_MAX = 100
_RELEASES = ("kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart")
_NODE_POOL = "kubernetes:karpenter.sh/v1:NodePool"


def _of_type(inventory: dict[str, Any], type_token: str) -> list[dict[str, Any]]:
    return [inventory["resources"][i] for i in inventory["by_type"].get(type_token, [])]


def scaling_of(inventory: dict[str, Any]) -> tuple[Scaling, ...]:
    """What the stack can scale and up to what, judged from the resources it declares.

    Pods: each model-server Deployment, scaled between a KEDA ScaledObject's bounds or
    fixed at its replicas. Nodes: each GPU node group, scaled between minSize and maxSize
    when a cluster-autoscaler release discovers its cluster (or a Karpenter NodePool
    selects its pool), else fixed at minSize: no node is added for Pending pods.
    """
    scalers = {
        (_namespace(s), s["props"].get("spec", {}).get("scaleTargetRef", {}).get("name")): s
        for s in _of_type(inventory, _SCALED_OBJECT)
    }
    lines = []
    for deployment in _of_type(inventory, "kubernetes:apps/v1:Deployment"):
        labels = deployment["props"].get("metadata", {}).get("labels", {})
        if labels.get("servegate.io/role") != "model-server":
            continue
        track = labels.get("servegate.io/track", "stable")
        name = labels.get("servegate.io/model", deployment["name"])
        name = name if track == "stable" else f"{name}/{track}"
        scaler = scalers.get((_namespace(deployment), _object_name(deployment)))
        replicas = int(deployment["props"].get("spec", {}).get("replicas", 1))
        if scaler is None:
            lines.append(Scaling("pods", name, None, replicas, replicas))
        else:
            bounds = scaler["props"].get("spec", {})
            lines.append(
                Scaling(
                    "pods",
                    name,
                    "KEDA",
                    int(bounds.get("minReplicaCount", 0)),
                    int(bounds.get("maxReplicaCount", _KEDA_DEFAULT_MAX)),
                )
            )
    discovered = _autoscaled_clusters(inventory)
    karpenter_pools = _karpenter_pools(inventory)
    for group in _of_type(inventory, "aws:eks/nodeGroup:NodeGroup"):
        props = group["props"]
        group_labels = props.get("labels", {})
        if group_labels.get("servegate.io/role") != "gpu":
            continue
        pool = group_labels.get("servegate.io/pool", group["name"])
        bounds = props.get("scalingConfig", {})
        minimum, maximum = int(bounds.get("minSize", 0)), int(bounds.get("maxSize", 0))
        if props.get("clusterName") in discovered:
            lines.append(Scaling("nodes", pool, "Cluster Autoscaler", minimum, maximum))
        elif pool in karpenter_pools:
            lines.append(Scaling("nodes", pool, "Karpenter", minimum, maximum))
        else:
            lines.append(Scaling("nodes", pool, None, minimum, minimum))
    return tuple(lines)


def _namespace(resource: dict[str, Any]) -> str:
    return str(resource["props"].get("metadata", {}).get("namespace", "default"))


def _object_name(resource: dict[str, Any]) -> str:
    return str(resource["props"].get("metadata", {}).get("name", resource["name"]))


def _autoscaled_clusters(inventory: dict[str, Any]) -> set[str]:
    """Clusters whose node groups a cluster-autoscaler Helm release discovers."""
    clusters = set()
    for type_token in _RELEASES:
        for release in _of_type(inventory, type_token):
            props = release["props"]
            values = props.get("values") or {}
            if str(props.get("chart", "")).rsplit("/", 1)[-1] != "cluster-autoscaler":
                continue
            if values.get("cloudProvider", "aws") == "aws" and values.get("replicaCount", 1):
                clusters.add(str(values.get("autoDiscovery", {}).get("clusterName", "")))
    return clusters


def _karpenter_pools(inventory: dict[str, Any]) -> set[str]:
    pools = set()
    for node_pool in _of_type(inventory, _NODE_POOL):
        template = node_pool["props"].get("spec", {}).get("template", {})
        pools.add(template.get("metadata", {}).get("labels", {}).get("servegate.io/pool"))
        for requirement in template.get("spec", {}).get("requirements", []):
            if (
                requirement.get("key") == "servegate.io/pool"
                and requirement.get("operator") == "In"
            ):
                pools.update(requirement.get("values", []))
    return {p for p in pools if isinstance(p, str)}


def model_fit_summaries(spec: StackSpec) -> tuple[ModelFitSummary, ...]:
    """Weights, KV-cache capacity and headroom of one replica of each model (a validated spec:
    every model has its facts and fits)."""
    rows = []
    for model in spec.models:
        instance = spec.pool(model.pool).instance
        fit = model.fit_on(instance)
        if fit is None:
            continue
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
