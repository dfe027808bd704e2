"""Typed per-environment configuration of a serving stack.

A stack file (``stacks/Pulumi.<env>.yaml``) holds ``llm-serving:<key>`` entries; this
module turns them into a validated :class:`StackSpec` or a :class:`ConfigError`
listing every problem as ``<key path>: <what is wrong and what is allowed>``.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.alias_generators import to_camel

from components import catalog, config_messages, model_fit, versions, yaml_data

PROJECT = "llm-serving"
KNOWN_KEYS = (
    "environment",
    "residency",
    "sla",
    "network",
    "cluster",
    "registry",
    "gpuPools",
    "models",
    "gateway",
    "monitoring",
    "observability",
    "audit",
    "tags",
    "budget",
    "enforcement",
    "dataClassifications",
    "externalBackends",
    "routes",
)
# Secret config read by the components themselves (never part of the spec or any report).
# The gateway's API keys, a JSON object of client id -> key (apiKeys.source pulumi-config).
API_KEYS_CONFIG = "gatewayApiKeys"
SECRET_KEYS = (API_KEYS_CONFIG,)
# `llm-serving:enforcement`: whether the program judges each resource and the whole stack
# itself (servegate.enforcement). "off" is the only way to switch it off, and AUD-012 reports it.
ENFORCEMENT_KEY = "enforcement"
ENFORCEMENT_ON: Literal["on"] = "on"
ENFORCEMENT_OFF: Literal["off"] = "off"
# YAML 1.1 (PyYAML) reads an unquoted on/off as a boolean, and the offline run then hands the
# program "true"/"false"; the Pulumi CLI passes the words as written.
_ENFORCEMENT_WORDS = {
    ENFORCEMENT_ON: ENFORCEMENT_ON,
    ENFORCEMENT_OFF: ENFORCEMENT_OFF,
    "true": ENFORCEMENT_ON,
    "false": ENFORCEMENT_OFF,
}
REQUIRED_TAGS = ("owner", "cost-center", "data-classification", "environment")
_NAME = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
_K8S_VERSION = r"^1\.[0-9]{2}$"
# A content-addressed image reference: what a sovereign stack pulls is fixed by its digest.
_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
# ModelSpec fields holding a model's facts; all but attention_heads are needed for the estimate
# (without attention heads only tensor parallel 1 can be judged).
MODEL_FACT_KEYS = ("parameters", "layers", "attention_heads", "kv_heads", "head_dim", "max_context")
REQUIRED_MODEL_FACTS = ("parameters", "layers", "kv_heads", "head_dim", "max_context")


class ConfigProblem(BaseModel):
    """One thing wrong with a stack's config."""

    model_config = ConfigDict(frozen=True)

    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.key}: {self.message}"


class ConfigError(Exception):
    """A stack config that cannot be deployed; one line per problem."""

    def __init__(self, problems: list[ConfigProblem], source: str | None = None) -> None:
        self.problems = problems
        self.source = source
        prefix = f"{source}: " if source else ""
        super().__init__("\n".join(f"{prefix}{p}" for p in problems))


class _Spec(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )


class ResidencySpec(_Spec):
    """Where the stack's data may live."""

    zone: str = Field(description="Sovereignty zone (policies/data/zones.yaml), e.g. ca, eu.")
    sovereign: bool = Field(
        default=True, description="Data must stay in the zone; unresolvable regions fail."
    )
    air_gapped: bool = Field(
        default=False,
        description="No internet egress: no NAT, models and images from in-region stores only.",
    )


class LatencySpec(_Spec):
    """Latency objectives, checked by the SLO alerts at the 95th percentile."""

    ttft_p95_seconds: float = Field(
        default=2.0, gt=0, alias="ttftP95Seconds", description="Time to first token."
    )
    e2e_p95_seconds: float = Field(
        default=30.0, gt=0, alias="e2eP95Seconds", description="End-to-end request latency."
    )


class SlaSpec(_Spec):
    """The service level the stack promises."""

    availability: float = Field(ge=90, lt=100, description="Monthly availability target, %.")
    latency: LatencySpec = Field(default_factory=LatencySpec)
    window_days: int = Field(
        default=30,
        ge=7,
        le=90,
        alias="windowDays",
        description="SLO window the error budget is counted over, days (7-90).",
    )


class NetworkSpec(_Spec):
    """The VPC."""

    cidr: str = Field(default="10.40.0.0/16", description="VPC CIDR block, /16 to /20.")
    az_count: int = Field(default=3, ge=2, le=3, description="Availability zones (2-3).")

    @field_validator("cidr")
    @classmethod
    def _cidr(cls, value: str) -> str:
        try:
            network = ipaddress.IPv4Network(value)
        except ValueError as exc:
            raise ValueError(f"{value!r} is not an IPv4 CIDR block") from exc
        if not 16 <= network.prefixlen <= 20:
            raise ValueError(f"{value!r} must be a /16 to /20 block")
        return value


class ClusterSpec(_Spec):
    """The EKS control plane and its system node group."""

    kubernetes_version: str = Field(
        pattern=_K8S_VERSION,
        description='Pinned EKS version listed in policies/data/eks_versions.yaml, e.g. "1.35".',
    )
    endpoint_public_access_cidrs: list[str] = Field(
        default_factory=list,
        description="CIDRs allowed to reach the public API endpoint; empty keeps it private.",
    )
    system_node_instance_type: str = Field(default="m6i.large")
    system_node_count: int = Field(default=2, ge=1, le=10)

    @field_validator("kubernetes_version")
    @classmethod
    def _known_version(cls, value: str) -> str:
        known = catalog.eks_versions()
        if value not in known:
            listed = ", ".join(sorted(known, key=lambda v: tuple(int(p) for p in v.split("."))))
            raise ValueError(
                f"{value!r} has no EKS support dates in policies/data/eks_versions.yaml "
                f"(listed: {listed})"
            )
        return value

    @field_validator("endpoint_public_access_cidrs")
    @classmethod
    def _cidrs(cls, values: list[str]) -> list[str]:
        for value in values:
            try:
                network = ipaddress.IPv4Network(value)
            except ValueError as exc:
                raise ValueError(f"{value!r} is not an IPv4 CIDR block") from exc
            if network.prefixlen == 0:
                raise ValueError("0.0.0.0/0 would open the API endpoint to the internet")
        return values


class RegistrySpec(_Spec):
    """Where images and Helm charts come from (an in-region mirror when air-gapped)."""

    images: str | None = Field(
        default=None,
        description="Registry host prefixed to every image, e.g. an in-region ECR.",
    )
    charts: str | None = Field(
        default=None, description="oci:// base for Helm charts (in-region ECR when air-gapped)."
    )

    def image(self, reference: str) -> str:
        """An image reference as pulled: through the images mirror when one is set."""
        if not self.images:
            return reference
        first, slash, rest = reference.partition("/")
        if slash and ("." in first or ":" in first or first == "localhost"):
            reference = rest  # drop the public registry host: the mirror replaces it
        return f"{self.images.rstrip('/')}/{reference}"


class GpuPoolSpec(_Spec):
    """A managed node group of one GPU instance type."""

    name: str = Field(pattern=_NAME, max_length=30)
    instance_type: str = Field(description="Key of policies/data/gpu_instances.yaml.")
    capacity_type: Literal["on-demand", "spot", "capacity-reservation"] = "on-demand"
    capacity_reservation_id: str | None = None
    min_size: int = Field(default=1, ge=0, le=100)
    max_size: int = Field(default=2, ge=1, le=100)
    disk_gib: int = Field(
        default=200, ge=50, le=16000, alias="diskGiB", description="Root volume (model cache)."
    )

    @property
    def instance(self) -> catalog.GpuInstance:
        return catalog.gpu_instances()[self.instance_type]


class ReplicaSpec(_Spec):
    """Autoscaling bounds; the minimum is raised to the SLA's replica floor."""

    min: int = Field(default=1, ge=0, le=100)
    max: int = Field(default=2, ge=1, le=100)
    target_queue_depth: int = Field(
        default=5, ge=1, description="vllm:num_requests_waiting per replica that adds one."
    )


DEFAULT_CANARY_STEPS = (5, 25, 50, 100)
"""Traffic shares (%) of an analysed canary that declares no ``steps``."""


class CanarySpec(_Spec):
    """A second version of a model that takes a share of its traffic."""

    version: str = Field(pattern=_NAME, description="Label of the canary, e.g. v2.")
    source: str = Field(description="Weights location, as for the model.")
    image: str | None = Field(default=None, description="vLLM image; default the model's.")
    weight: int = Field(
        ge=1, le=50, description="Percent of the model's traffic (static split, no analysis)."
    )
    replicas: int = Field(default=1, ge=1, le=10)
    steps: list[int] | None = Field(
        default=None,
        description=(
            "Traffic shares (%) a progressive rollout moves through, each analysed before the "
            "next; rising, ending at 100. Default [5, 25, 50, 100] when analysed."
        ),
    )
    analysis: bool | None = Field(
        default=None,
        description=(
            "Roll out with Argo Rollouts, analysed on the SLO and rolled back on failure; "
            "default on in production stacks (environment prod*) with an SLA."
        ),
    )

    @field_validator("steps")
    @classmethod
    def _steps(cls, value: list[int] | None) -> list[int] | None:
        if value is None:
            return value
        if not value or any(not 1 <= step <= 100 for step in value):
            raise ValueError("steps must be percentages from 1 to 100")
        if any(later <= earlier for earlier, later in zip(value, value[1:], strict=False)):
            raise ValueError(f"steps {value} must rise")
        if value[-1] != 100:
            raise ValueError(f"steps {value} must end at 100")
        return value

    def rollout_steps(self) -> tuple[int, ...]:
        """The shares a progressive rollout moves through (:data:`DEFAULT_CANARY_STEPS`)."""
        return tuple(self.steps) if self.steps else DEFAULT_CANARY_STEPS


class ShadowSpec(_Spec):
    """A candidate version of a model that receives a mirrored copy of a share of the model's
    requests; its responses are discarded (components/shadow_mirror.py)."""

    version: str = Field(pattern=_NAME, description="Label of the candidate, e.g. v3.")
    source: str = Field(description="Weights location, as for the model.")
    image: str | None = Field(default=None, description="vLLM image; default the model's.")
    replicas: int = Field(
        default=1, ge=1, le=10, description="Pods; raised to the SLA's replica floor."
    )
    percent: int = Field(ge=1, le=100, description="Percent of the model's requests mirrored.")


class ModelSpec(_Spec):
    """One model served by vLLM's OpenAI-compatible server."""

    name: str = Field(pattern=_NAME, max_length=40)
    served_model_name: str = Field(description="Model id clients send in requests.")
    source: str = Field(
        description="s3://bucket/prefix, pvc://claim[/path] or hf://org/model (not air-gapped)."
    )
    pool: str
    image: str = Field(
        default=versions.image("vllm").reference,
        description=(
            "Pinned tag or digest (repo:tag@sha256:<64 hex>, required in sovereign stacks); "
            "default the vLLM pin of components/data/versions.yaml."
        ),
    )
    gpus_per_replica: int = Field(default=1, ge=1, le=8)
    tensor_parallel_size: int | None = Field(
        default=None, ge=1, le=8, description="vLLM's tensor parallelism; default gpusPerReplica."
    )
    max_model_len: int = Field(default=8192, ge=256, le=1_048_576)
    gpu_memory_utilization: float = Field(default=0.90, gt=0.1, le=0.98)
    quantization: Literal["awq", "gptq", "fp8"] | None = None
    enable_prefix_caching: bool = True
    max_num_seqs: int = Field(default=256, ge=1, le=4096)
    startup_budget_seconds: int = Field(
        default=900, ge=60, le=7200, description="Time allowed to load weights."
    )
    replicas: ReplicaSpec = Field(default_factory=ReplicaSpec)
    canary: CanarySpec | None = None
    shadow: ShadowSpec | None = None
    # Facts of a model the catalog (policies/data/models.yaml) does not list, from its config.json.
    parameters: int | None = Field(default=None, ge=1, description="Parameter count.")
    layers: int | None = Field(default=None, ge=1, description="num_hidden_layers.")
    attention_heads: int | None = Field(default=None, ge=1, description="num_attention_heads.")
    kv_heads: int | None = Field(default=None, ge=1, description="num_key_value_heads.")
    head_dim: int | None = Field(default=None, ge=1, description="head_dim.")
    max_context: int | None = Field(default=None, ge=1, description="max_position_embeddings.")

    @property
    def tensor_parallel(self) -> int:
        """vLLM's --tensor-parallel-size: as set, else one GPU of the replica each."""
        return self.tensor_parallel_size or self.gpus_per_replica

    def declared_facts(self) -> dict[str, int]:
        """The model facts this config declares itself (config.json names in camelCase)."""
        return {
            to_camel(name): value
            for name in MODEL_FACT_KEYS
            if (value := getattr(self, name)) is not None
        }

    def facts(self) -> catalog.ModelFacts | None:
        """The catalog's facts with the declared ones over them; None when some are missing."""
        known = catalog.models().get(self.served_model_name)
        declared = {name: getattr(self, name) for name in MODEL_FACT_KEYS}
        if known is None:
            if any(declared[name] is None for name in REQUIRED_MODEL_FACTS):
                return None
            return catalog.ModelFacts(
                **{k: v for k, v in declared.items() if v is not None},
                source="declared in the stack config",
            )
        return replace(known, **{k: v for k, v in declared.items() if v is not None})

    def fit_on(self, instance: catalog.GpuInstance) -> model_fit.Fit | None:
        """One replica of this model on ``instance``'s GPUs; None when its facts are missing."""
        facts = self.facts()
        if facts is None:
            return None
        return model_fit.estimate(
            self.served_model_name,
            facts,
            quantization=self.quantization,
            max_model_len=self.max_model_len,
            tensor_parallel=self.tensor_parallel,
            gpu_memory_gib=instance.gpu_memory_gib,
            gpu_memory_utilization=self.gpu_memory_utilization,
            gpu=instance.gpu,
        )

    @field_validator("source")
    @classmethod
    def _source(cls, value: str) -> str:
        if not re.match(
            r"^(s3://[a-z0-9.\-]{3,63}(/.*)?|pvc://[a-z0-9\-]+(/.*)?|hf://\S+)$", value
        ):
            raise ValueError(
                f"{value!r} is not a model source; use s3://bucket/prefix, pvc://claim or hf://org/model"
            )
        return value

    @field_validator("image")
    @classmethod
    def _image(cls, value: str) -> str:
        if "@" in value:
            if not _DIGEST.search(value):
                raise ValueError(
                    f"{value!r} has a malformed digest; write repo:tag@sha256:<64 hex digits>"
                )
            return value
        tag = value.rsplit("/", 1)[-1].partition(":")[2]
        if not tag or tag == "latest":
            raise ValueError(
                f"{value!r} must be pinned to an exact version or a digest, not latest"
            )
        return value


class RateLimitSpec(_Spec):
    """Per-client limits at the gateway."""

    requests_per_second: int = Field(default=20, ge=1, le=100_000)
    tokens_per_minute: int = Field(default=200_000, ge=1)


# A client id: the Secret key Envoy Gateway forwards in the client-id header.
CLIENT_ID = r"^[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$"


class ApiKeysSpec(_Spec):
    """Where the gateway's API keys come from."""

    source: Literal["secrets-manager", "pulumi-config"] = Field(
        description=(
            "secrets-manager: one AWS Secrets Manager secret per client in the stack's region, "
            "synced into the cluster by External Secrets Operator; pulumi-config: the secret "
            "config llm-serving:gatewayApiKeys (pulumi config set --secret)."
        )
    )
    clients: list[Annotated[str, Field(pattern=CLIENT_ID, max_length=63)]] = Field(
        default_factory=list,
        description="Client ids (secrets-manager only; pulumi-config takes them from its JSON).",
    )


class GatewaySpec(_Spec):
    """The one OpenAI-compatible entry point."""

    client_classifications: dict[Annotated[str, Field(pattern=CLIENT_ID, max_length=63)], str] = (
        Field(
            default_factory=dict,
            description=(
                "Client id (API-key client, or the OIDC subject) -> the lowest data classification "
                "its requests may claim in the x-data-classification header; requests of other "
                "clients, and requests without the header, are routed as the most restrictive "
                "class."
            ),
        )
    )

    hostname: str = Field(description="DNS name clients use.")
    internet_facing: bool = Field(default=False, description="Public load balancer.")
    replicas: int = Field(default=2, ge=1, le=20)
    auth: Literal["api-key", "oidc"] = "api-key"
    oidc_issuer: str | None = None
    tls_secret_name: str = Field(default="gateway-tls", pattern=_NAME)
    rate_limit: RateLimitSpec = Field(default_factory=RateLimitSpec)
    api_keys: ApiKeysSpec | None = None


class MonitoringSpec(_Spec):
    """Prometheus, Grafana and the GPU exporter."""

    prometheus_retention_days: int = Field(default=15, ge=1, le=400)
    grafana: bool = True
    runbook_base_url: str | None = Field(default=None, pattern=r"^https://[^\s]+$")
    """Where the runbooks (docs/runbooks/) are published; alerts' runbook_url points there.
    Without it, runbook_url is the pages' path in the repository."""


class PayloadSamplingSpec(_Spec):
    """Sampled capture of prompts and completions (the gateway's GenAI spans), redacted and
    stored in an in-zone S3 bucket (components/payload_capture.py)."""

    rate: float = Field(
        default=0.0,
        ge=0.0,
        le=1.0,
        description="Share of requests captured, 0 to 1; 0 (the default) captures nothing.",
    )
    retention_days: int | None = Field(
        default=None,
        ge=1,
        description=(
            "Days captured payloads are kept (S3 lifecycle expiration); at most the zone's "
            "payload_capture.max_retention_days in policies/data/pii_patterns.yaml, default "
            "its default_retention_days."
        ),
    )
    payloads: bool = Field(
        default=True,
        description="Spans carry the prompts and completions; false exports traces without them.",
    )

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def retention(self) -> int:
        """The retention the bucket gets: as declared, else the compliance default."""
        if self.retention_days is not None:
            return self.retention_days
        return int(catalog.payload_capture_limits()["default_retention_days"])


class ObservabilitySpec(_Spec):
    """Traces of the gateway beyond metrics."""

    payload_sampling: PayloadSamplingSpec = Field(default_factory=PayloadSamplingSpec)


class AuditSpec(_Spec):
    """The audit trail's retention."""

    log_retention_days: int = Field(default=365, ge=1, le=3653)
    object_lock_days: int = Field(default=365, ge=1, le=3653)


# Envoy AI Gateway v1.1.0's APISchema enum (api/v1alpha1/shared_types.go, VersionedAPISchema.Name;
# api/v1beta1 uses the same type), read 2026-12-01.
AI_GATEWAY_SCHEMAS = (
    "OpenAI",
    "Cohere",
    "AWSBedrock",
    "AzureOpenAI",
    "GCPVertexAI",
    "GCPAnthropic",
    "Anthropic",
    "AWSAnthropic",
)
# Schemas served by Amazon Bedrock's runtime endpoint: the endpoint is an AWS region.
AWS_SCHEMAS = frozenset({"AWSBedrock", "AWSAnthropic"})
# Schemas whose credentials servegate cannot source (GCP service accounts or federation).
UNSUPPORTED_SCHEMAS = frozenset({"GCPVertexAI", "GCPAnthropic"})
_AWS_REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-[0-9]$")
_HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]{2,63}$")
# Secrets Manager: a name (letters, digits, /_+=.@-) or a secret's ARN.
_SECRET_REF = re.compile(
    r"^(arn:aws[-a-z]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:)?[\w/+=.@-]{1,512}$"
)
# Keys under which a credential would be written into the config itself.
_LITERAL_KEYS = frozenset({"apiKey", "api_key", "key", "token", "value", "password", "secretValue"})


def bedrock_hostname(region: str) -> str:
    """Amazon Bedrock's runtime endpoint in ``region`` (the name its interface endpoint serves)."""
    return f"bedrock-runtime.{region}.amazonaws.com"


class BackendCredentialsSpec(_Spec):
    """Where an external backend's credential comes from; never the credential itself."""

    source: Literal["secrets-manager", "pod-identity"] = Field(
        description=(
            "secrets-manager: an AWS Secrets Manager secret holding the API key, synced into the "
            "cluster by External Secrets Operator; pod-identity (Amazon Bedrock): the gateway "
            "proxies' EKS Pod Identity role, allowed to invoke the backend's models only."
        )
    )
    secret: str | None = Field(
        default=None,
        description="secrets-manager: the secret's name or ARN in the stack's region.",
    )

    @field_validator("secret")
    @classmethod
    def _secret(cls, value: str | None) -> str | None:
        if value is not None and not _SECRET_REF.match(value):
            raise ValueError(f"{value!r} is not a Secrets Manager secret name or ARN")
        return value


class ExternalBackendSpec(_Spec):
    """A model API outside the cluster that the gateway may route to."""

    name: str = Field(pattern=_NAME, max_length=40)
    schema_: str = Field(
        alias="schema",
        description=f"The API it speaks (Envoy AI Gateway): {', '.join(AI_GATEWAY_SCHEMAS)}.",
    )
    endpoint: str = Field(
        description="Its hostname, or for AWSBedrock/AWSAnthropic the AWS region of Bedrock."
    )
    connectivity: Literal["privatelink", "internet"] = Field(
        description=(
            "privatelink: an interface VPC endpoint in the stack's VPC (Bedrock in the stack's "
            "region); internet: over the internet (through the egress firewall when sovereign)."
        )
    )
    classifications: Annotated[list[str], Field(min_length=1)] = Field(
        description="The data classifications it may receive."
    )
    credentials: BackendCredentialsSpec
    models: Annotated[dict[str, str], Field(min_length=1)] = Field(
        description="Model name clients send -> the backend's own model id."
    )
    processing_region: str | None = Field(
        default=None,
        description=(
            "Where it processes data (an AWS-style region); required when the endpoint is not "
            "in policies/data/external_endpoints.yaml, and reported as a declared claim."
        ),
    )

    @field_validator("credentials", mode="before")
    @classmethod
    def _no_literal(cls, value: object) -> object:
        if isinstance(value, str) or (
            isinstance(value, Mapping) and _LITERAL_KEYS & set(map(str, value))
        ):
            raise ValueError(
                "a credential written into the config is not allowed; use source: secrets-manager "
                "with secret: <name or ARN>, or source: pod-identity for Amazon Bedrock"
            )
        return value

    @field_validator("schema_")
    @classmethod
    def _schema(cls, value: str) -> str:
        if value not in AI_GATEWAY_SCHEMAS:
            raise ValueError(
                f"{value!r} is not an Envoy AI Gateway schema ({', '.join(AI_GATEWAY_SCHEMAS)})"
            )
        if value in UNSUPPORTED_SCHEMAS:
            raise ValueError(f"{value!r} needs GCP credentials, which servegate does not render")
        return value

    @property
    def on_bedrock(self) -> bool:
        return self.schema_ in AWS_SCHEMAS

    @property
    def hostname(self) -> str:
        """The host the gateway connects to."""
        return bedrock_hostname(self.endpoint) if self.on_bedrock else self.endpoint

    @property
    def region(self) -> str | None:
        """The AWS region of a Bedrock endpoint; None for other endpoints."""
        return self.endpoint if self.on_bedrock else None


class RouteSpec(_Spec):
    """One model name clients send and the backends that serve it, first choice first."""

    model: str = Field(min_length=1, description="The model name clients send.")
    backends: Annotated[list[str], Field(min_length=1)] = Field(
        description=(
            "Names of models[] (self-hosted) and externalBackends[], in priority order: each "
            "later one is a fallback of the ones before it."
        )
    )


class BudgetSpec(_Spec):
    """Monthly spending ceiling."""

    monthly_usd: float = Field(gt=0)


class StackSpec(_Spec):
    """The whole validated stack."""

    stack: str
    region: str
    environment: str = Field(pattern=_NAME)
    residency: ResidencySpec
    sla: SlaSpec | None = None
    network: NetworkSpec = Field(default_factory=NetworkSpec)
    cluster: ClusterSpec
    registry: RegistrySpec = Field(default_factory=RegistrySpec)
    gpu_pools: Annotated[list[GpuPoolSpec], Field(min_length=1)]
    models: Annotated[list[ModelSpec], Field(min_length=1)]
    gateway: GatewaySpec
    monitoring: MonitoringSpec = Field(default_factory=MonitoringSpec)
    observability: ObservabilitySpec = Field(default_factory=ObservabilitySpec)
    audit: AuditSpec = Field(default_factory=AuditSpec)
    tags: dict[str, str]
    budget: BudgetSpec | None = None
    data_classifications: list[str] | None = Field(
        default=None,
        description=(
            "The stack's data classifications, least to most restrictive, each from "
            "policies/data/classifications.yaml; default all of them."
        ),
    )
    external_backends: list[ExternalBackendSpec] = Field(default_factory=list)
    routes: list[RouteSpec] = Field(default_factory=list)
    enforcement: Literal["on", "off"] = Field(
        default=ENFORCEMENT_ON,
        description="In-program policy enforcement; off is reported by AUD-012 in every gate.",
    )

    @field_validator("enforcement", mode="before")
    @classmethod
    def _enforcement(cls, value: object) -> object:
        return enforcement_setting(value)

    @property
    def enforced(self) -> bool:
        """Whether the program enforces the policies itself (``llm-serving:enforcement``)."""
        return self.enforcement == ENFORCEMENT_ON

    @property
    def replica_floor(self) -> int:
        return catalog.replica_floor(self.sla.availability if self.sla else None)

    @property
    def production(self) -> bool:
        """An environment named ``prod*`` (as the SLA and capacity rules read it)."""
        return self.environment.startswith("prod")

    def analysed(self, model: ModelSpec) -> bool:
        """Whether ``model``'s canary rolls out progressively under analysis: as its
        ``canary.analysis`` says, else on in production stacks with an SLA."""
        if model.canary is None:
            return False
        if model.canary.analysis is not None:
            return model.canary.analysis
        return self.production and self.sla is not None

    def egress_allowlist(self) -> tuple[str, ...]:
        """The hosts a sovereign, non-air-gapped stack with internet backends reaches through
        its egress firewall: those backends' hosts and, with OIDC, the issuer the gateway's
        proxies fetch signing keys from. Empty when the stack has no egress firewall."""
        internet = {b.hostname for b in self.external_backends if b.connectivity == "internet"}
        if not internet or not self.residency.sovereign or self.residency.air_gapped:
            return ()
        if self.gateway.auth == "oidc" and self.gateway.oidc_issuer:
            internet.add(urlsplit(self.gateway.oidc_issuer).hostname or "")
        return tuple(sorted(internet - {""}))

    def pool(self, name: str) -> GpuPoolSpec:
        return next(p for p in self.gpu_pools if p.name == name)

    def image(self, reference: str) -> str:
        """An image reference as pulled: through the stack's registry mirror when one is set."""
        return self.registry.image(reference)

    @property
    def classifications(self) -> tuple[str, ...]:
        """The stack's data classifications, least to most restrictive."""
        if self.data_classifications is not None:
            return tuple(self.data_classifications)
        return catalog.classification_order()

    @property
    def most_restrictive(self) -> str:
        """The class a request without a (trusted) classification is routed as."""
        return self.classifications[-1]

    def declared(self) -> dict[str, Any]:
        """The facts a stack declares about itself, as the policy input's ``declared``."""
        return {
            "environment": self.environment,
            "residency": {
                "zone": self.residency.zone,
                "sovereign": self.residency.sovereign,
                "airGapped": self.residency.air_gapped,
            },
            "sla": (
                {
                    "availability": self.sla.availability,
                    "latency": self.sla.latency.model_dump(by_alias=True),
                }
                if self.sla
                else None
            ),
            "budget": {"monthlyUsd": self.budget.monthly_usd} if self.budget else None,
            # The classes the stack routes (least to most restrictive); unclassified requests
            # are routed as the last one.
            "dataClassifications": list(self.classifications),
            # AUD-012 reports "off": a plain `pulumi up` of this stack is judged by nothing.
            "enforcement": self.enforcement,
            "tags": dict(self.tags),
            "gateway": {"internetFacing": self.gateway.internet_facing},
            "registry": self.registry.model_dump(by_alias=True),
            # The share of requests whose payloads may be captured (RES-019 holds the
            # gateway's source sampler to it).
            "payloadSampling": {"rate": self.observability.payload_sampling.rate},
            # Facts of models the catalog does not list, by served model id (SLA-014 reads them).
            "models": {
                m.served_model_name: facts for m in self.models if (facts := m.declared_facts())
            },
        }


def enforcement_setting(value: object) -> object:
    """``llm-serving:enforcement`` as "on" or "off"; any other value is left for the error."""
    if isinstance(value, bool):
        return ENFORCEMENT_ON if value else ENFORCEMENT_OFF
    if isinstance(value, str):
        return _ENFORCEMENT_WORDS.get(value, value)
    return value


AIR_GAPPED = "air-gapped stacks load from s3:// or pvc://"
FIREWALLED = (
    "this sovereign stack reaches the internet only through its egress firewall, which allows "
    "exactly its internet backends' hosts; load from s3:// or pvc://"
)


def air_gapped_source_problems(
    model: ModelSpec, key: str, why: str = AIR_GAPPED
) -> list[ConfigProblem]:
    """The model's sources a stack without open internet egress cannot load (``hf://`` needs
    the internet): an air-gapped one, or a firewalled one (``why``)."""
    sources = [("source", model.source)]
    if model.canary:
        sources.append(("canary.source", model.canary.source))
    if model.shadow:
        sources.append(("shadow.source", model.shadow.source))
    return [
        ConfigProblem(key=f"{key}.{field}", message=f"{source!r} needs the internet; {why}")
        for field, source in sources
        if source.startswith("hf://")
    ]


def has_digest(image: str) -> bool:
    """Whether an image reference names its content by ``@sha256:`` digest."""
    return bool(_DIGEST.search(image))


def undigested_image_problems(model: ModelSpec, key: str) -> list[ConfigProblem]:
    """A sovereign stack's model images must be pinned by digest: a tag can be moved to other
    content after review, a digest cannot (RES-011 judges the rendered workloads the same way)."""
    images = [("image", model.image)]
    if model.canary and model.canary.image:
        images.append(("canary.image", model.canary.image))
    if model.shadow and model.shadow.image:
        images.append(("shadow.image", model.shadow.image))
    return [
        ConfigProblem(
            key=f"{key}.{field}",
            message=(
                f"{image!r} has no digest; sovereign stacks pull images by digest "
                "(repo:tag@sha256:<64 hex digits>, e.g. from `crane digest` on the mirrored image)"
            ),
        )
        for field, image in images
        if not has_digest(image)
    ]


def _model_fit_problems(
    model: ModelSpec, key: str, instance: catalog.GpuInstance
) -> Iterator[ConfigProblem]:
    fit = model.fit_on(instance)
    if fit is None:
        missing = [n for n in REQUIRED_MODEL_FACTS if getattr(model, n) is None]
        yield ConfigProblem(
            key=f"{key}.{to_camel(missing[0])}",
            message=(
                f"{model.served_model_name!r} is not in the model catalog "
                f"(policies/data/models.yaml); declare {', '.join(map(to_camel, missing))} "
                "from its config.json"
            ),
        )
        return
    for problem in fit.problems:
        yield ConfigProblem(key=f"{key}.{problem.field.value}", message=problem.message)


def _key(loc: tuple[int | str, ...]) -> str:
    text = f"{PROJECT}:"
    for index, part in enumerate(loc):
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += part if index == 0 else f".{part}"
    return text


def _describe(error: Mapping[str, Any]) -> str:
    return config_messages.describe(error, StackSpec, KNOWN_KEYS, _class_names(_Spec))


def _class_names(base: type[BaseModel]) -> frozenset[str]:
    names = {base.__name__}
    for sub in base.__subclasses__():
        names |= _class_names(sub)
    return frozenset(names)


def _api_key_problems(spec: StackSpec, secrets_set: Collection[str]) -> Iterator[ConfigProblem]:
    """``auth: api-key`` needs a key source: a gateway nobody can call, or one whose Secret
    somebody fills by hand outside any review, is not a deployable gateway."""
    gateway, key = spec.gateway, f"{PROJECT}:gateway.apiKeys"
    if gateway.auth != "api-key":
        return
    keys = gateway.api_keys
    if keys is None:
        yield ConfigProblem(
            key=key,
            message=(
                "is required when gateway.auth is api-key (source: secrets-manager with "
                f"clients, or source: pulumi-config with {PROJECT}:{API_KEYS_CONFIG} set by "
                "pulumi config set --secret)"
            ),
        )
    elif keys.source == "secrets-manager":
        if not keys.clients:
            yield ConfigProblem(
                key=f"{key}.clients",
                message="needs at least one client id when source is secrets-manager",
            )
        elif len(set(keys.clients)) != len(keys.clients):
            yield ConfigProblem(key=f"{key}.clients", message="lists a client id twice")
    else:
        if keys.clients:
            yield ConfigProblem(
                key=f"{key}.clients",
                message=(
                    "is for secrets-manager; pulumi-config takes the clients from "
                    f"{PROJECT}:{API_KEYS_CONFIG}"
                ),
            )
        if API_KEYS_CONFIG not in secrets_set:
            yield ConfigProblem(
                key=f"{PROJECT}:{API_KEYS_CONFIG}",
                message=(
                    "is required when gateway.apiKeys.source is pulumi-config: "
                    f'pulumi config set --secret {API_KEYS_CONFIG} \'{{"client-id": "<key>"}}\''
                ),
            )


def _classification_problems(spec: StackSpec) -> Iterator[ConfigProblem]:
    known = catalog.classification_order()
    key = f"{PROJECT}:dataClassifications"
    declared = spec.data_classifications
    if declared is not None:
        unknown = [c for c in declared if c not in known]
        if not declared:
            yield ConfigProblem(key=key, message="needs at least one classification")
        elif unknown:
            yield ConfigProblem(
                key=key,
                message=(
                    f"{unknown[0]!r} is not a classification of policies/data/"
                    f"classifications.yaml ({', '.join(known)})"
                ),
            )
        elif [known.index(c) for c in declared] != sorted({known.index(c) for c in declared}):
            yield ConfigProblem(
                key=key,
                message=(
                    "must list each classification once, least to most restrictive "
                    f"({' < '.join(known)})"
                ),
            )
    classes = spec.classifications
    for client, cls in spec.gateway.client_classifications.items():
        if cls not in classes:
            yield ConfigProblem(
                key=f"{PROJECT}:gateway.clientClassifications.{client}",
                message=f"{cls!r} is not a classification of this stack ({', '.join(classes)})",
            )


def _backend_problems(spec: StackSpec) -> Iterator[ConfigProblem]:
    classes = spec.classifications
    known_endpoints = catalog.external_endpoints()
    model_names = {m.name for m in spec.models}
    seen: set[str] = set()
    for index, backend in enumerate(spec.external_backends):
        key = f"{PROJECT}:externalBackends[{index}]"
        if backend.name in seen or backend.name in model_names:
            yield ConfigProblem(
                key=f"{key}.name",
                message=(
                    f"{backend.name!r} is already the name of a backend or model of this stack"
                ),
            )
        seen.add(backend.name)
        if backend.on_bedrock:
            if not _AWS_REGION.match(backend.endpoint):
                yield ConfigProblem(
                    key=f"{key}.endpoint",
                    message=f"{backend.endpoint!r} is not an AWS region ({backend.schema_} "
                    "endpoints are the region of Amazon Bedrock, e.g. ca-central-1)",
                )
            if backend.credentials.source != "pod-identity":
                yield ConfigProblem(
                    key=f"{key}.credentials.source",
                    message=(
                        f"{backend.schema_} signs requests with AWS credentials: use pod-identity"
                    ),
                )
        elif not _HOSTNAME.match(backend.endpoint):
            yield ConfigProblem(
                key=f"{key}.endpoint",
                message=f"{backend.endpoint!r} is not a hostname (e.g. api.openai.com)",
            )
        # A region outside the zone is reported once, as aws:region (its root cause).
        region_ok = spec.region in catalog.zones().get(spec.residency.zone, [])
        if backend.connectivity == "privatelink" and (
            not backend.on_bedrock or (region_ok and backend.endpoint != spec.region)
        ):
            yield ConfigProblem(
                key=f"{key}.connectivity",
                message=(
                    "privatelink is an interface endpoint of an AWS service in the stack's region "
                    f"({spec.region}): Amazon Bedrock there, or use internet"
                ),
            )
        creds = backend.credentials
        if creds.source == "pod-identity" and not backend.on_bedrock:
            yield ConfigProblem(
                key=f"{key}.credentials.source",
                message="pod-identity is for Amazon Bedrock; use secrets-manager with secret",
            )
        if creds.source == "secrets-manager" and not creds.secret:
            yield ConfigProblem(
                key=f"{key}.credentials.secret",
                message="is required when source is secrets-manager (a secret name or ARN)",
            )
        if creds.source == "pod-identity" and creds.secret:
            yield ConfigProblem(
                key=f"{key}.credentials.secret", message="is for source secrets-manager only"
            )
        for cls in backend.classifications:
            if cls not in classes:
                yield ConfigProblem(
                    key=f"{key}.classifications",
                    message=f"{cls!r} is not a classification of this stack ({', '.join(classes)})",
                )
        if backend.processing_region is None and backend.hostname not in known_endpoints:
            yield ConfigProblem(
                key=f"{key}.processingRegion",
                message=(
                    f"is required: {backend.hostname} is not in policies/data/"
                    "external_endpoints.yaml (declare where it processes data, e.g. eu-west-1)"
                ),
            )
        elif backend.processing_region is not None and not _AWS_REGION.match(
            backend.processing_region
        ):
            yield ConfigProblem(
                key=f"{key}.processingRegion",
                message=f"{backend.processing_region!r} is not a region (e.g. eu-west-1)",
            )
    by_name = {b.name: b for b in spec.external_backends}
    routed: set[str] = set()
    for index, route in enumerate(spec.routes):
        key = f"{PROJECT}:routes[{index}]"
        if route.model in routed:
            yield ConfigProblem(key=f"{key}.model", message=f"{route.model!r} has a route already")
        routed.add(route.model)
        if len(set(route.backends)) != len(route.backends):
            yield ConfigProblem(key=f"{key}.backends", message="lists a backend twice")
        for name in route.backends:
            listed = by_name.get(name)
            if listed is None and name not in model_names:
                allowed = ", ".join([m.name for m in spec.models] + list(by_name))
                yield ConfigProblem(
                    key=f"{key}.backends",
                    message=(
                        f"{name!r} is not a model or external backend of this stack ({allowed})"
                    ),
                )
            elif listed is not None and route.model not in listed.models:
                yield ConfigProblem(
                    key=f"{key}.backends",
                    message=(
                        f"external backend {name!r} has no model {route.model!r} in its models"
                    ),
                )


def _route_size_problems(spec: StackSpec) -> Iterator[ConfigProblem]:
    # Imported here: routing reads these specs.
    from components.routing import MAX_RULES, plan_routes

    rules = plan_routes(
        spec.models,
        spec.external_backends,
        spec.routes,
        spec.classifications,
        spec.gateway.client_classifications,
    )
    if len(rules) > MAX_RULES:
        yield ConfigProblem(
            key=f"{PROJECT}:routes",
            message=(
                f"the gateway route needs {len(rules)} rules (a catch-all per model name and one "
                "per classification routed differently); Envoy AI Gateway v1.1.0 allows "
                f"{MAX_RULES}: serve fewer model names or declare fewer classifications"
            ),
        )


def _capture_problems(spec: StackSpec) -> Iterator[ConfigProblem]:
    sampling = spec.observability.payload_sampling
    if not sampling.enabled:
        return
    key = f"{PROJECT}:observability.payloadSampling"
    zone = spec.residency.zone
    if zone not in catalog.zones():
        return  # reported once, as residency.zone
    longest = catalog.max_capture_retention_days(zone)
    if spec.residency.sovereign and longest is None:
        yield ConfigProblem(
            key=f"{key}.rate",
            message=(
                f"zone {zone!r} has no payload_capture.max_retention_days in "
                "policies/data/pii_patterns.yaml: a sovereign stack captures payloads only "
                "under a compliance limit (or set rate: 0)"
            ),
        )
    elif longest is not None and sampling.retention() > longest:
        yield ConfigProblem(
            key=f"{key}.retentionDays",
            message=(
                f"{sampling.retention()} is more than zone {zone!r} allows for captured "
                f"payloads ({longest} days, policies/data/pii_patterns.yaml)"
            ),
        )


def _cross_field_problems(
    spec: StackSpec, secrets_set: Collection[str] = ()
) -> Iterator[ConfigProblem]:
    yield from _capture_problems(spec)
    yield from _api_key_problems(spec, secrets_set)
    # The route can be planned only from valid classifications and backends.
    problems = [*_classification_problems(spec), *_backend_problems(spec)]
    yield from problems
    if not problems:
        yield from _route_size_problems(spec)
    known_zones = catalog.zones()
    zone = spec.residency.zone
    if zone not in known_zones:
        allowed = ", ".join(sorted(known_zones))
        yield ConfigProblem(
            key=f"{PROJECT}:residency.zone", message=f"{zone!r} is not a known zone ({allowed})"
        )
    elif spec.region not in known_zones[zone]:
        allowed = ", ".join(known_zones[zone])
        yield ConfigProblem(
            key="aws:region",
            message=f"{spec.region!r} is not in zone {zone!r} (allowed: {allowed})",
        )
    if spec.region not in catalog.availability_zones():
        yield ConfigProblem(
            key="aws:region",
            message=(
                f"{spec.region!r} has no availability-zone entry in components/data/regions.yaml"
            ),
        )
    missing = [tag for tag in REQUIRED_TAGS if not spec.tags.get(tag)]
    if missing:
        yield ConfigProblem(
            key=f"{PROJECT}:tags", message=f"missing required tags: {', '.join(missing)}"
        )
    autoscaler_minors = catalog.cluster_autoscaler_minors()
    if spec.cluster.kubernetes_version not in autoscaler_minors:
        yield ConfigProblem(
            key=f"{PROJECT}:cluster.kubernetesVersion",
            message=(
                f"{spec.cluster.kubernetes_version!r} has no Cluster Autoscaler release pinned "
                f"in components/data/versions.yaml (pinned: {', '.join(autoscaler_minors)})"
            ),
        )
    if spec.residency.air_gapped and not spec.registry.images:
        yield ConfigProblem(
            key=f"{PROJECT}:registry.images",
            message="is required when air-gapped (an in-region registry mirror)",
        )

    instances = catalog.gpu_instances()
    pools: dict[str, GpuPoolSpec] = {}
    for index, pool in enumerate(spec.gpu_pools):
        key = f"{PROJECT}:gpuPools[{index}]"
        if pool.name in pools:
            yield ConfigProblem(key=f"{key}.name", message=f"duplicate pool name {pool.name!r}")
        pools[pool.name] = pool
        if pool.instance_type not in instances:
            allowed = ", ".join(sorted(instances))
            yield ConfigProblem(
                key=f"{key}.instanceType",
                message=f"{pool.instance_type!r} is not a known GPU instance type ({allowed})",
            )
        if pool.min_size > pool.max_size:
            yield ConfigProblem(
                key=f"{key}.minSize",
                message=f"{pool.min_size} is greater than maxSize {pool.max_size}",
            )
        if pool.capacity_type == "capacity-reservation" and not pool.capacity_reservation_id:
            yield ConfigProblem(
                key=f"{key}.capacityReservationId",
                message="is required when capacityType is capacity-reservation",
            )

    names: set[str] = set()
    for index, model in enumerate(spec.models):
        key = f"{PROJECT}:models[{index}]"
        if model.name in names:
            yield ConfigProblem(key=f"{key}.name", message=f"duplicate model name {model.name!r}")
        names.add(model.name)
        if model.replicas.min > model.replicas.max:
            yield ConfigProblem(
                key=f"{key}.replicas.min",
                message=f"{model.replicas.min} is greater than replicas.max {model.replicas.max}",
            )
        if model.tensor_parallel != model.gpus_per_replica:
            yield ConfigProblem(
                key=f"{key}.tensorParallelSize",
                message=(
                    f"{model.tensor_parallel} must equal gpusPerReplica "
                    f"{model.gpus_per_replica} (vLLM shards a replica over all its GPUs; "
                    "leave it out to follow gpusPerReplica)"
                ),
            )
        if spec.residency.air_gapped:
            yield from air_gapped_source_problems(model, key)
        elif spec.egress_allowlist():
            yield from air_gapped_source_problems(model, key, FIREWALLED)
        if spec.residency.sovereign:
            yield from undigested_image_problems(model, key)
        model_pool = pools.get(model.pool)
        if model_pool is None:
            allowed = ", ".join(p.name for p in spec.gpu_pools)
            yield ConfigProblem(
                key=f"{key}.pool", message=f"{model.pool!r} is not a pool of this stack ({allowed})"
            )
            continue
        instance = instances.get(model_pool.instance_type)
        if instance and model.gpus_per_replica > instance.gpus:
            yield ConfigProblem(
                key=f"{key}.gpusPerReplica",
                message=(
                    f"{model.gpus_per_replica} does not fit pool {model_pool.name!r} "
                    f"({model_pool.instance_type} has {instance.gpus} GPU"
                    f"{'s' if instance.gpus != 1 else ''} per node)"
                ),
            )
        elif instance and model.tensor_parallel == model.gpus_per_replica:
            yield from _model_fit_problems(model, key, instance)


def parse_spec(stack: str, config: Mapping[str, Any], source: str | None = None) -> StackSpec:
    """Validate a stack's ``config:`` mapping (keys ``aws:region``, ``llm-serving:*``)."""
    problems: list[ConfigProblem] = []
    values: dict[str, Any] = {"stack": stack}
    secrets_set: set[str] = set()
    for full_key, value in config.items():
        namespace, _, key = str(full_key).partition(":")
        if namespace == PROJECT:
            if key in SECRET_KEYS:
                # Only whether it is set: the components read the value themselves.
                secrets_set.add(key)
                continue
            if key not in KNOWN_KEYS:
                problems.append(
                    ConfigProblem(
                        key=str(full_key), message=config_messages.unknown_key(key, KNOWN_KEYS)
                    )
                )
                continue
            if isinstance(value, str) and key not in {"environment"}:
                value = _maybe_json(value)
            values[key] = value
    region = config.get("aws:region")
    if not isinstance(region, str) or not region:
        problems.append(ConfigProblem(key="aws:region", message="is required (an AWS region)"))
    else:
        values["region"] = region
    if problems:
        raise ConfigError(problems, source)
    try:
        spec = StackSpec.model_validate(values)
    except ValidationError as exc:
        raise ConfigError(
            [ConfigProblem(key=_key(tuple(e["loc"])), message=_describe(e)) for e in exc.errors()],
            source,
        ) from None
    problems = list(_cross_field_problems(spec, secrets_set))
    if problems:
        raise ConfigError(problems, source)
    return spec


def _maybe_json(value: str) -> Any:
    # Pulumi hands object-valued config to programs as JSON text.
    if value[:1] in "[{":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def stack_file(stack: str, project_dir: Path | None = None) -> Path:
    return (project_dir or catalog.PROJECT_ROOT) / "stacks" / f"Pulumi.{stack}.yaml"


def read_stack_config(path: Path) -> dict[str, Any]:
    """The raw ``config:`` mapping of a stack file, with a one-line error for a bad file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            [ConfigProblem(key="stack", message=f"no stack file {path}")], None
        ) from None
    try:
        document = yaml_data.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "?"
        raise ConfigError(
            [ConfigProblem(key=where, message=f"not valid YAML ({getattr(exc, 'problem', exc)})")],
            str(path),
        ) from None
    if not isinstance(document, dict) or not isinstance(document.get("config"), dict):
        raise ConfigError(
            [ConfigProblem(key="config", message="the file needs a top-level config: mapping")],
            str(path),
        )
    config: dict[str, Any] = document["config"]
    return config


def load_stack(stack: str, project_dir: Path | None = None) -> StackSpec:
    """Read and validate ``stacks/Pulumi.<stack>.yaml``."""
    path = stack_file(stack, project_dir)
    return parse_spec(stack, read_stack_config(path), source=str(path))
