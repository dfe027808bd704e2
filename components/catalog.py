"""Data tables the components and the gate share: GPU instances, zones, SLA tiers, prices.

The tables are YAML owned by their teams (platform: ``components/data``; compliance:
``policies/data``); code only reads them, so a price or a zone changes without a release.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from components import versions, yaml_data

PROJECT_ROOT = Path(__file__).resolve().parent.parent
COMPONENT_DATA = Path(__file__).resolve().parent / "data"
POLICIES = "policies"
# Where a built wheel carries the policy library (setup.py copies policies/ there).
_PACKAGED_POLICIES = Path(__file__).resolve().parent / POLICIES


def policies_dir(project_dir: Path | None = None) -> Path:
    """The policy library: ``project_dir``'s own ``policies/`` when it has one, else the one
    this installation carries (the checkout's ``policies/``, or the installed wheel's copy)."""
    if project_dir is not None and (project_dir / POLICIES).is_dir():
        return project_dir / POLICIES
    return _PACKAGED_POLICIES if _PACKAGED_POLICIES.is_dir() else PROJECT_ROOT / POLICIES


POLICY_DATA = policies_dir() / "data"


@dataclass(frozen=True)
class GpuInstance:
    """One EC2 GPU instance type."""

    instance_type: str
    gpu: str
    gpu_product: str
    gpus: int
    gpu_memory_gib: int
    vcpu: int
    memory_gib: int


def _load(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return yaml_data.safe_load(handle)


@cache
def gpu_instances() -> dict[str, GpuInstance]:
    raw: dict[str, dict[str, Any]] = _load(POLICY_DATA / "gpu_instances.yaml")
    return {
        name: GpuInstance(
            instance_type=name,
            gpu=row["gpu"],
            gpu_product=row["gpuProduct"],
            gpus=int(row["gpus"]),
            gpu_memory_gib=int(row["gpuMemoryGiB"]),
            vcpu=int(row["vcpu"]),
            memory_gib=int(row["memoryGiB"]),
        )
        for name, row in raw.items()
    }


@cache
def availability_zones() -> dict[str, list[str]]:
    raw: dict[str, list[str]] = _load(COMPONENT_DATA / "regions.yaml")
    return raw


# Image keys of components/data/versions.yaml for Cluster Autoscaler, one per Kubernetes
# minor ("cluster-autoscaler-1.35"): its minor must equal the cluster's.
CLUSTER_AUTOSCALER_IMAGE_PREFIX = "cluster-autoscaler-"


def cluster_autoscaler_minors() -> tuple[str, ...]:
    """Kubernetes minors with a pinned Cluster Autoscaler image."""
    return tuple(
        key.removeprefix(CLUSTER_AUTOSCALER_IMAGE_PREFIX)
        for key in versions.images()
        if key.startswith(CLUSTER_AUTOSCALER_IMAGE_PREFIX)
    )


@cache
def zones() -> dict[str, list[str]]:
    raw: dict[str, list[str]] = _load(POLICY_DATA / "zones.yaml")["zones"]
    return raw


@cache
def _sla_table() -> dict[str, Any]:
    raw: dict[str, Any] = _load(POLICY_DATA / "sla.yaml")
    return raw


def replica_floor(availability: float | None) -> int:
    """Minimum replicas per model for a declared availability (compliance's table)."""
    table = _sla_table()
    if availability is None:
        return int(table["default_min_replicas"])
    for tier in sorted(table["tiers"], key=lambda t: -float(t["availability"])):
        if availability >= float(tier["availability"]):
            return int(tier["minReplicas"])
    return int(table["default_min_replicas"])


@cache
def prices() -> dict[str, Any]:
    """Compliance's price table (policies/data/prices.yaml): per-region prices by cost kind."""
    raw: dict[str, Any] = _load(POLICY_DATA / "prices.yaml")
    return raw


def hours_per_month() -> float:
    return float(prices()["hours_per_month"])


def hourly_price(region: str, instance_type: str) -> float | None:
    """EC2 on-demand USD per hour, or None when the price table has no entry."""
    price = prices()["ec2_on_demand"]["regions"].get(region, {}).get(instance_type)
    return None if price is None else float(price)


@cache
def eks_versions() -> dict[str, dict[str, Any]]:
    """Compliance's EKS support calendar: version -> its end of standard/extended support."""
    raw: dict[str, dict[str, Any]] = _load(POLICY_DATA / "eks_versions.yaml")["versions"]
    return raw


@dataclass(frozen=True)
class ModelFacts:
    """What the fit estimate needs to know about a model (policies/data/models.yaml)."""

    parameters: int
    layers: int
    kv_heads: int
    head_dim: int
    max_context: int
    attention_heads: int | None = None
    """None when a stack declares a model without it (then only tensor parallel 1 is judged)."""
    dtype: str = "bfloat16"
    quantization: str | None = None
    """The checkpoint's own quantization (vLLM detects it without --quantization)."""
    source: str = ""


@dataclass(frozen=True)
class FitConstants:
    """The estimate's stated assumptions (the ``estimate:`` block of models.yaml)."""

    weight_bytes: dict[str, float]
    dtype_bytes: dict[str, float]
    weight_overhead: float
    runtime_margin_gib: float


@cache
def _models_table() -> dict[str, Any]:
    raw: dict[str, Any] = _load(POLICY_DATA / "models.yaml")
    return raw


@cache
def zone_sovereignty() -> dict[str, bool]:
    """Compliance's per-zone sovereignty flag (policies/data/zones.yaml ``sovereign``)."""
    raw: dict[str, bool] = _load(POLICY_DATA / "zones.yaml")["sovereign"]
    return raw


@cache
def models() -> dict[str, ModelFacts]:
    """The model catalog by Hugging Face id."""
    return {
        model_id: ModelFacts(
            parameters=int(row["parameters"]),
            layers=int(row["layers"]),
            attention_heads=int(row["attentionHeads"]),
            kv_heads=int(row["kvHeads"]),
            head_dim=int(row["headDim"]),
            max_context=int(row["maxContext"]),
            dtype=str(row["dtype"]),
            quantization=row.get("quantization"),
            source=str(row["source"]),
        )
        for model_id, row in _models_table()["models"].items()
    }


@cache
def fit_constants() -> FitConstants:
    raw = _models_table()["estimate"]
    return FitConstants(
        weight_bytes={k: float(v) for k, v in raw["weightBytes"].items()},
        dtype_bytes={k: float(v) for k, v in raw["dtypeBytes"].items()},
        weight_overhead=float(raw["weightOverhead"]),
        runtime_margin_gib=float(raw["runtimeMarginGiB"]),
    )


@cache
def placeholders() -> dict[str, Any]:
    """Stand-in values a scaffolded stack carries until replaced (AUD-010's parameters)."""
    raw: dict[str, Any] = _load(POLICY_DATA / "placeholders.yaml")
    return raw


@cache
def classification_order() -> tuple[str, ...]:
    """Compliance's data classifications, least to most restrictive (classifications.yaml)."""
    raw: dict[str, Any] = _load(POLICY_DATA / "classifications.yaml")
    return tuple(str(name) for name in raw["order"])


@cache
def external_endpoints() -> dict[str, dict[str, Any]]:
    """Known external model endpoints by hostname -> where they process data
    (policies/data/external_endpoints.yaml)."""
    raw: dict[str, dict[str, Any]] = _load(POLICY_DATA / "external_endpoints.yaml")["endpoints"]
    return raw


@dataclass(frozen=True)
class PiiPattern:
    """A redaction pattern of policies/data/pii_patterns.yaml: an RE2 regex and its source."""

    name: str
    regex: str
    source: str
    examples: tuple[str, ...]


@cache
def _pii_table() -> dict[str, Any]:
    raw: dict[str, Any] = _load(POLICY_DATA / "pii_patterns.yaml")
    return raw


@cache
def pii_patterns() -> tuple[PiiPattern, ...]:
    """The patterns the Collector masks, in the order it applies them (pii_patterns.yaml)."""
    return tuple(
        PiiPattern(
            name=str(row["name"]),
            regex=str(row["regex"]),
            source=str(row["source"]),
            examples=tuple(str(e) for e in row.get("examples", [])),
        )
        for row in _pii_table()["patterns"]
    )


def payload_capture_limits() -> dict[str, Any]:
    """``payload_capture`` of pii_patterns.yaml: per-zone retention maximum and the default."""
    limits: dict[str, Any] = _pii_table()["payload_capture"]
    return limits


def max_capture_retention_days(zone: str) -> int | None:
    """The longest a zone keeps captured payloads, days (None: the zone has no entry)."""
    value = payload_capture_limits()["max_retention_days"].get(zone)
    return int(value) if value is not None else None
