"""One model served by vLLM's OpenAI-compatible server, with its autoscaler, canary and shadow.

Weights always come from in-region storage in sovereign stacks: ``s3://`` sources are
copied by an init container (``aws s3 sync`` with the pod's IRSA role) into an emptyDir,
``pvc://`` sources are mounted read-only, and ``hf://`` (only when not air-gapped) lets
vLLM download from the Hugging Face hub into a cache volume.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
from pulumi import Input, Output, ResourceOptions

from components import canary_analysis, catalog, iam, k8s_labels, versions, vllm_metrics
from components.component_kit import DeclaresResources
from components.component_kit import problem as _problem
from components.config import (
    PROJECT,
    ConfigError,
    GpuPoolSpec,
    ModelSpec,
    RegistrySpec,
    ShadowSpec,
    StackSpec,
    air_gapped_source_problems,
)

VLLM_PORT = 8000
MODELS_DIR = "/models"
# Pinned in components/data/versions.yaml; mirrored into the stack's registry with the others.
AWS_CLI_IMAGE = versions.image("aws-cli").reference
PROMETHEUS_URL = "http://kube-prometheus-stack-prometheus.monitoring.svc:9090"
STARTUP_PROBE_PERIOD_SECONDS = 10
# Time allowed for `aws s3 sync` on top of the model's own startup budget.
WEIGHT_FETCH_ALLOWANCE_SECONDS = 900
# Share of a node's CPU and memory left to the kubelet, system daemons and DaemonSets.
NODE_HEADROOM = 0.25
# Weights fit in GPU memory; the local copy may be up to this much larger (tokenizer, configs).
WEIGHTS_DISK_FACTOR = 1.25
# The weights volume may use at most this share of the node's root volume (images, logs).
MAX_DISK_SHARE = 0.8
# vLLM runs as this non-root user and group (the image defines none: any non-zero id works, the
# writable paths below are emptyDirs owned through fsGroup). Above 10000, so that it can never
# be a user of the node (Checkov CKV_K8S_40).
VLLM_UID = 10001
# The root filesystem is read-only; everything vLLM and its libraries write goes to HOME, a
# per-pod emptyDir. Variable names and defaults from vllm/envs.py (get_default_cache_root:
# $XDG_CACHE_HOME or ~/.cache; VLLM_CACHE_ROOT = <that>/vllm, which also holds the torch.compile
# cache; VLLM_CONFIG_ROOT = $XDG_CONFIG_HOME/vllm; VLLM_RPC_BASE_PATH = tempfile.gettempdir()).
HOME_DIR = "/home/vllm"
CACHE_DIR = f"{HOME_DIR}/.cache"
TMP_DIR = "/tmp"
CACHE_VOLUME_GIB = 20
TMP_VOLUME_GIB = 1
CACHE_ENV = {
    "HOME": HOME_DIR,
    # getpass.getuser() (torch inductor's cache path) reads USER before the passwd entry the
    # image has no line for.
    "USER": "vllm",
    "XDG_CACHE_HOME": CACHE_DIR,
    "XDG_CONFIG_HOME": f"{HOME_DIR}/.config",
    "VLLM_CACHE_ROOT": f"{CACHE_DIR}/vllm",
    "VLLM_CONFIG_ROOT": f"{HOME_DIR}/.config/vllm",
    "VLLM_RPC_BASE_PATH": TMP_DIR,
    "HF_HOME": f"{CACHE_DIR}/huggingface",
    # Triton's kernel cache defaults to ~/.triton/cache, torch inductor's to
    # /tmp/torchinductor_<user>: both moved under the cache directory.
    "TRITON_CACHE_DIR": f"{CACHE_DIR}/triton",
    "TORCHINDUCTOR_CACHE_DIR": f"{CACHE_DIR}/torchinductor",
    "FLASHINFER_WORKSPACE_BASE": CACHE_DIR,
    "TMPDIR": TMP_DIR,
}


@dataclass(frozen=True)
class VllmDeploymentArgs:
    """Inputs of :class:`VllmDeployment` (:meth:`for_model` picks them out of a stack)."""

    model: ModelSpec
    """The model to serve, with its optional canary."""
    model_key: str
    """The model's config key (``llm-serving:models[0]``), for error messages."""
    pool: GpuPoolSpec
    """The GPU pool the model runs on."""
    pool_key: str
    """The pool's config key (``llm-serving:gpuPools[0]``)."""
    region: str
    """The stack's AWS region (the S3 weights and their IAM policy)."""
    air_gapped: bool
    """No internet: weights from in-region storage only, Hugging Face offline."""
    sla: bool
    """The stack declares an SLA: no scale-to-zero, a hard zone spread."""
    replica_floor: int
    """Minimum replicas of the SLA's tier."""
    registry: RegistrySpec
    """Where images are pulled from (the stack's in-region mirror, when set)."""
    namespace: str
    """Kubernetes namespace of the model servers."""
    oidc_provider_arn: Input[str]
    """ARN of the cluster's IAM OIDC provider (IRSA trust)."""
    oidc_provider_url: Input[str]
    """Issuer URL of that provider, with or without ``https://``."""
    models_kms_key_arn: Input[str] | None = None
    """KMS key encrypting the models bucket; grants kms:Decrypt via S3 when set."""
    analysed: bool = False
    """The canary rolls out progressively under analysis (Argo Rollouts takes over the
    Deployment, whose template carries the canary's version) instead of a static split."""

    @classmethod
    def for_model(
        cls,
        spec: StackSpec,
        model: ModelSpec,
        *,
        namespace: str,
        oidc_provider_arn: Input[str],
        oidc_provider_url: Input[str],
        models_kms_key_arn: Input[str] | None = None,
    ) -> VllmDeploymentArgs:
        """The arguments of one of ``spec``'s models."""
        pool = spec.pool(model.pool)
        names = [m.name for m in spec.models]
        position = names.index(model.name) if model.name in names else model.name
        return cls(
            model=model,
            model_key=f"{PROJECT}:models[{position}]",
            pool=pool,
            pool_key=f"{PROJECT}:gpuPools[{spec.gpu_pools.index(pool)}]",
            region=spec.region,
            air_gapped=spec.residency.air_gapped,
            sla=spec.sla is not None,
            replica_floor=spec.replica_floor,
            registry=spec.registry,
            namespace=namespace,
            oidc_provider_arn=oidc_provider_arn,
            oidc_provider_url=oidc_provider_url,
            models_kms_key_arn=models_kms_key_arn,
            analysed=spec.analysed(model),
        )

    def image(self, reference: str) -> str:
        return self.registry.image(reference)


@dataclass(frozen=True)
class WeightSource:
    """A parsed model source: ``s3://bucket/prefix``, ``pvc://claim[/path]`` or ``hf://repo``."""

    scheme: str
    location: str
    path: str
    revision: str | None = None

    @classmethod
    def parse(cls, source: str) -> WeightSource:
        scheme, _, rest = source.partition("://")
        location, _, path = rest.partition("/")
        if scheme == "hf":
            repo, _, revision = rest.partition("@")
            return cls(scheme, repo, "", revision or None)
        return cls(scheme, location, path.strip("/"))

    @property
    def s3_object_key(self) -> str:
        """``bucket/prefix/*``: the objects under an S3 source, as in an ARN."""
        prefix = f"{self.path}/*" if self.path else "*"
        return f"{self.location}/{prefix}"


def min_replicas(args: VllmDeploymentArgs) -> int:
    """Autoscaler floor: the model's minimum raised to the SLA's floor, never 0 under an SLA."""
    floor = max(args.model.replicas.min, args.replica_floor)
    return max(floor, 1) if args.sla else floor


def server_name(model: ModelSpec) -> str:
    """The name of the model's stable Deployment, Service and PDB."""
    return f"vllm-{model.name}"


def shadow_name(model: ModelSpec, shadow: ShadowSpec) -> str:
    """The name of the shadow's Deployment, Service and PDB."""
    return f"{server_name(model)}-{shadow.version}-shadow"


def shadow_replicas(args: VllmDeploymentArgs) -> int:
    """Pods of the model's shadow: as declared, raised to the SLA's replica floor. A shadow is
    held to every rule a served model server is (the gate cannot tell from a Deployment that
    no user waits on it), so under an SLA it runs the floor across zones like the stable."""
    if args.model.shadow is None:
        return 0
    declared = args.model.shadow.replicas
    return max(declared, args.replica_floor) if args.sla else declared


def weights_size_gib(instance: catalog.GpuInstance, model: ModelSpec) -> int:
    """Local disk reserved for one replica's weights, from the GPU memory they must fit in."""
    return math.ceil(model.gpus_per_replica * instance.gpu_memory_gib * WEIGHTS_DISK_FACTOR)


def check_model(args: VllmDeploymentArgs) -> None:
    """Problems only visible once the model meets its pool, as one-line ConfigErrors."""
    model, pool = args.model, args.pool
    if args.air_gapped and (problems := air_gapped_source_problems(model, args.model_key)):
        raise ConfigError(problems[:1])
    weights = weights_size_gib(catalog.gpu_instances()[pool.instance_type], model)
    if weights > pool.disk_gib * MAX_DISK_SHARE:
        raise _problem(
            f"{args.pool_key}.diskGiB",
            f"{pool.disk_gib} GiB cannot hold model {model.name!r} (~{weights} GiB of weights, "
            f"at most {MAX_DISK_SHARE:.0%} of the disk); raise diskGiB to at least "
            f"{math.ceil(weights / MAX_DISK_SHARE)}",
        )


def vllm_args(model: ModelSpec, model_ref: str, source: WeightSource) -> list[str]:
    """vLLM OpenAI-server flags (``vllm/engine/arg_utils.py``), all taken from the model spec."""
    args = [
        f"--model={model_ref}",
        f"--served-model-name={model.served_model_name}",
        f"--port={VLLM_PORT}",
        f"--tensor-parallel-size={model.tensor_parallel}",
        f"--max-model-len={model.max_model_len}",
        f"--gpu-memory-utilization={model.gpu_memory_utilization}",
        f"--max-num-seqs={model.max_num_seqs}",
        "--enable-prefix-caching" if model.enable_prefix_caching else "--no-enable-prefix-caching",
    ]
    if model.quantization:
        args.append(f"--quantization={model.quantization}")
    if source.scheme == "hf":
        args.append(f"--download-dir={MODELS_DIR}/cache")
        if source.revision:
            args.append(f"--revision={source.revision}")
    return args


def s3_read_policy(sources: list[WeightSource], kms_key_arn: str | None, region: str) -> str:
    """Read-only access to the weights' S3 prefixes (and their KMS key, through S3 only)."""
    arn = f"arn:{iam.partition(region)}:s3:::"
    statements: list[iam.Statement] = [
        {
            "Sid": "ReadModelObjects",
            "Effect": "Allow",
            "Action": ["s3:GetObject"],
            "Resource": sorted({arn + s.s3_object_key for s in sources}),
        }
    ]
    for index, source in enumerate(sources):
        statement: iam.Statement = {
            "Sid": f"ListModelPrefix{index}",
            "Effect": "Allow",
            "Action": ["s3:ListBucket"],
            "Resource": arn + source.location,
        }
        if source.path:
            statement["Condition"] = {
                "StringLike": {"s3:prefix": [source.path, f"{source.path}/*"]}
            }
        statements.append(statement)
    if kms_key_arn:
        statements.append(
            {
                "Sid": "DecryptModelObjects",
                "Effect": "Allow",
                "Action": ["kms:Decrypt"],
                "Resource": kms_key_arn,
                "Condition": {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}},
            }
        )
    return iam.document(statements)


@dataclass(frozen=True)
class RolloutWorkload:
    """The Deployment an analysed canary's Rollout takes over, and how it may scale."""

    deployment_name: Output[str]
    selector: dict[str, str]
    replicas: int
    """The model's replica floor."""
    progress_deadline_seconds: int


@dataclass(frozen=True)
class _Track:
    """What differs between the stable, canary and shadow servers of one model."""

    track: k8s_labels.Track
    name: str
    source: str
    image: str
    replicas: int


class VllmDeployment(DeclaresResources, pulumi.ComponentResource):
    """vLLM serving one model: IRSA role, ServiceAccount, Deployment, Service, PDB,
    KEDA ScaledObject on the request queue, ServiceMonitor, an optional canary and an optional
    shadow (its own Deployment, Service and PDB at fixed replicas; the gateway mirrors to it)."""

    service_name: Output[str]
    canary_service_name: Output[str] | None
    canary_weight: int
    shadow_service_name: Output[str] | None
    """The shadow's Service, None without one."""
    shadow_percent: int
    """Percent of the model's requests the gateway mirrors to the shadow (0 without one)."""
    rollout: RolloutWorkload | None
    """What an analysed canary's Rollout takes over; None for a static split or no canary."""
    served_model_name: str
    deployment_name: Output[str]
    model_name: str
    declared: list[pulumi.Resource]
    """Every resource this component declared (dependents and tests wait on them)."""

    def __init__(
        self, name: str, args: VllmDeploymentArgs, opts: ResourceOptions | None = None
    ) -> None:
        check_model(args)
        super().__init__("servegate:index:VllmDeployment", name, None, opts)
        self.declared = []
        model = args.model
        self._args, self._model, self._namespace = args, model, args.namespace
        self._pool = args.pool
        self._instance = catalog.gpu_instances()[self._pool.instance_type]
        self._weights_gib = weights_size_gib(self._instance, model)

        base = server_name(model)
        floor = min_replicas(args)
        stable = _Track("stable", base, model.source, model.image, floor)
        tracks = [stable]
        if model.canary:
            canary = model.canary
            tracks.append(
                _Track(
                    "canary",
                    f"{base}-{canary.version}",
                    canary.source,
                    canary.image or model.image,
                    canary.replicas,
                )
            )

        shadow = None
        if model.shadow:
            shadow = _Track(
                "shadow",
                shadow_name(model, model.shadow),
                model.shadow.source,
                model.shadow.image or model.image,
                shadow_replicas(args),
            )

        # Every source: under a Rollout the stable revision's pods still read the model's.
        self._service_account = self._irsa(
            name, base, args, [*tracks, *([shadow] if shadow else [])]
        )

        # An analysed canary is the Deployment's next version: the Rollout that takes the
        # Deployment over rolls it out in steps and keeps the previous one as its stable.
        served = stable
        if args.analysed and model.canary:
            served = _Track("stable", base, tracks[1].source, tracks[1].image, floor)
        stable_deployment, stable_service = self._serve(
            name, served, ResourceOptions(parent=self, ignore_changes=["spec.replicas"])
        )
        self.rollout = None
        if args.analysed and model.canary:
            self.rollout = RolloutWorkload(
                deployment_name=stable_deployment.metadata.name,
                selector=k8s_labels.model_server_selector(model.name, "stable"),
                replicas=floor,
                progress_deadline_seconds=self._progress_deadline(),
            )
        self._scaled_object(name, stable, stable_deployment, floor, rollout=self.rollout)
        self._service_monitor(name, base)

        self.canary_service_name = None
        self.canary_weight = 0
        if model.canary and self.rollout is None:
            _, canary_service = self._serve(
                f"{name}-canary", tracks[1], ResourceOptions(parent=self)
            )
            self.canary_service_name = canary_service.metadata.name
            self.canary_weight = model.canary.weight

        self.shadow_service_name = None
        self.shadow_percent = 0
        if shadow is not None and model.shadow is not None:
            _, shadow_service = self._serve(f"{name}-shadow", shadow, ResourceOptions(parent=self))
            self.shadow_service_name = shadow_service.metadata.name
            self.shadow_percent = model.shadow.percent

        self.model_name = model.name
        self.served_model_name = model.served_model_name
        self.service_name = stable_service.metadata.name
        self.deployment_name = stable_deployment.metadata.name
        self.register_outputs(
            {
                "service_name": self.service_name,
                "canary_service_name": self.canary_service_name,
                "canary_weight": self.canary_weight,
                "shadow_service_name": self.shadow_service_name,
                "shadow_percent": self.shadow_percent,
                "served_model_name": self.served_model_name,
                "deployment_name": self.deployment_name,
            }
        )

    def _irsa(
        self, name: str, account: str, args: VllmDeploymentArgs, tracks: list[_Track]
    ) -> k8s.core.v1.ServiceAccount:
        """The model's ServiceAccount, bound to a read-only S3 role when weights are in S3."""
        s3_sources = [
            parsed for t in tracks if (parsed := WeightSource.parse(t.source)).scheme == "s3"
        ]
        annotations: dict[str, Input[str]] = {}
        if s3_sources:
            role = self._own(
                aws.iam.Role(
                    f"{name}-irsa",
                    description=f"vLLM {self._model.name}: read its weights from S3",
                    assume_role_policy=Output.all(
                        args.oidc_provider_arn, args.oidc_provider_url
                    ).apply(
                        lambda values: iam.irsa_trust(
                            values[0], values[1].removeprefix("https://"), args.namespace, account
                        )
                    ),
                    opts=ResourceOptions(parent=self),
                )
            )
            region = self._args.region
            self._own(
                aws.iam.RolePolicy(
                    f"{name}-weights-read",
                    role=role.id,
                    policy=Output.from_input(args.models_kms_key_arn).apply(
                        lambda key: s3_read_policy(s3_sources, key, region)
                    ),
                    opts=ResourceOptions(parent=self),
                )
            )
            annotations["eks.amazonaws.com/role-arn"] = role.arn
        return self._own(
            k8s.core.v1.ServiceAccount(
                f"{name}-service-account",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=account,
                    namespace=args.namespace,
                    labels=k8s_labels.model_server(self._model.name, "stable"),
                    annotations=annotations,
                ),
                automount_service_account_token=False,
                opts=ResourceOptions(parent=self),
            )
        )

    def _serve(
        self, name: str, track: _Track, opts: ResourceOptions
    ) -> tuple[k8s.apps.v1.Deployment, k8s.core.v1.Service]:
        """Deployment, Service and PodDisruptionBudget of one track."""
        labels = k8s_labels.model_server(self._model.name, track.track)
        selector = k8s_labels.model_server_selector(self._model.name, track.track)
        annotations = {"servegate.io/model-source": track.source}
        budget = self._progress_deadline()
        wait = f"{math.ceil(budget / 60) + 5}m"
        deployment = self._own(
            k8s.apps.v1.Deployment(
                f"{name}-deployment",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=track.name,
                    namespace=self._namespace,
                    labels=labels,
                    annotations=annotations,
                ),
                spec=k8s.apps.v1.DeploymentSpecArgs(
                    replicas=track.replicas,
                    selector=k8s.meta.v1.LabelSelectorArgs(match_labels=selector),
                    strategy=k8s.apps.v1.DeploymentStrategyArgs(
                        type="RollingUpdate",
                        rolling_update=k8s.apps.v1.RollingUpdateDeploymentArgs(
                            max_unavailable=0, max_surge=1
                        ),
                    ),
                    progress_deadline_seconds=budget,
                    template=k8s.core.v1.PodTemplateSpecArgs(
                        metadata=k8s.meta.v1.ObjectMetaArgs(labels=labels, annotations=annotations),
                        spec=self._pod_spec(track, selector),
                    ),
                ),
                opts=ResourceOptions.merge(
                    opts, ResourceOptions(custom_timeouts=pulumi.CustomTimeouts(wait, wait))
                ),
            )
        )
        service = self._own(
            k8s.core.v1.Service(
                f"{name}-service",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=track.name, namespace=self._namespace, labels=labels
                ),
                spec=k8s.core.v1.ServiceSpecArgs(
                    type="ClusterIP",
                    selector=selector,
                    ports=[
                        k8s.core.v1.ServicePortArgs(
                            name="http", port=VLLM_PORT, target_port="http", protocol="TCP"
                        )
                    ],
                ),
                opts=ResourceOptions(parent=self),
            )
        )
        # Always keep at least one pod through voluntary disruptions (drains, upgrades): with
        # several replicas one may go at a time; a single replica blocks the drain until an
        # operator scales up, which is the right trade for a serving endpoint.
        self._own(
            k8s.policy.v1.PodDisruptionBudget(
                f"{name}-pdb",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=track.name, namespace=self._namespace, labels=labels
                ),
                spec=k8s.policy.v1.PodDisruptionBudgetSpecArgs(
                    min_available=max(1, track.replicas - 1),
                    selector=k8s.meta.v1.LabelSelectorArgs(match_labels=selector),
                ),
                opts=ResourceOptions(parent=self),
            )
        )
        return deployment, service

    def _progress_deadline(self) -> int:
        """Seconds a new replica may take to become ready: loading plus fetching weights."""
        return self._model.startup_budget_seconds + WEIGHT_FETCH_ALLOWANCE_SECONDS

    def _pod_spec(self, track: _Track, selector: dict[str, str]) -> k8s.core.v1.PodSpecArgs:
        model, args = self._model, self._args
        source = WeightSource.parse(track.source)
        model_dir = f"{MODELS_DIR}/{model.name}"
        volumes = [
            k8s.core.v1.VolumeArgs(
                name="dshm",
                empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs(
                    medium="Memory", size_limit=f"{self._shm_gib()}Gi"
                ),
            )
        ]
        volumes += [
            k8s.core.v1.VolumeArgs(
                name="home",
                empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs(size_limit=f"{CACHE_VOLUME_GIB}Gi"),
            ),
            k8s.core.v1.VolumeArgs(
                name="tmp",
                empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs(size_limit=f"{TMP_VOLUME_GIB}Gi"),
            ),
        ]
        mounts = [
            k8s.core.v1.VolumeMountArgs(name="dshm", mount_path="/dev/shm"),
            k8s.core.v1.VolumeMountArgs(name="home", mount_path=HOME_DIR),
            k8s.core.v1.VolumeMountArgs(name="tmp", mount_path=TMP_DIR),
        ]
        init_containers: list[k8s.core.v1.ContainerArgs] = []
        env = [
            # vLLM reports usage statistics to an external server unless told not to.
            k8s.core.v1.EnvVarArgs(name="VLLM_NO_USAGE_STATS", value="1"),
            k8s.core.v1.EnvVarArgs(name="DO_NOT_TRACK", value="1"),
            *(k8s.core.v1.EnvVarArgs(name=key, value=value) for key, value in CACHE_ENV.items()),
        ]
        if args.air_gapped:
            env += [
                k8s.core.v1.EnvVarArgs(name="HF_HUB_OFFLINE", value="1"),
                k8s.core.v1.EnvVarArgs(name="TRANSFORMERS_OFFLINE", value="1"),
            ]
        scratch = k8s.core.v1.VolumeArgs(
            name="weights",
            empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs(size_limit=f"{self._weights_gib}Gi"),
        )
        if source.scheme == "s3":
            model_ref = model_dir
            volumes += [
                scratch,
                k8s.core.v1.VolumeArgs(
                    name="fetch-tmp", empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs()
                ),
            ]
            mounts.append(
                k8s.core.v1.VolumeMountArgs(name="weights", mount_path=MODELS_DIR, read_only=True)
            )
            init_containers.append(self._fetch_weights(track.source, model_dir))
        elif source.scheme == "pvc":
            model_ref = f"{model_dir}/{source.path}" if source.path else model_dir
            volumes.append(
                k8s.core.v1.VolumeArgs(
                    name="weights",
                    persistent_volume_claim=k8s.core.v1.PersistentVolumeClaimVolumeSourceArgs(
                        claim_name=source.location, read_only=True
                    ),
                )
            )
            mounts.append(
                k8s.core.v1.VolumeMountArgs(name="weights", mount_path=model_dir, read_only=True)
            )
        else:
            model_ref = source.location
            volumes.append(scratch)
            mounts.append(k8s.core.v1.VolumeMountArgs(name="weights", mount_path=MODELS_DIR))

        http_get = k8s.core.v1.HTTPGetActionArgs
        return k8s.core.v1.PodSpecArgs(
            service_account_name=self._service_account.metadata.name,
            automount_service_account_token=False,
            enable_service_links=False,
            host_network=False,
            host_pid=False,
            host_ipc=False,
            # Long generations finish (or stream out) before the pod goes away.
            termination_grace_period_seconds=120,
            security_context=k8s.core.v1.PodSecurityContextArgs(
                run_as_non_root=True,
                run_as_user=VLLM_UID,
                run_as_group=VLLM_UID,
                fs_group=VLLM_UID,
                seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
            ),
            node_selector=k8s_labels.gpu_node_selector(self._pool.name, self._instance.gpu),
            tolerations=[
                k8s.core.v1.TolerationArgs(
                    key="nvidia.com/gpu", operator="Equal", value="true", effect="NoSchedule"
                )
            ],
            # Under an SLA the stable track (and a shadow, held to the same rules) must survive
            # a zone outage, so the spread is hard (SLA-003): a replica waits for capacity in
            # another zone rather than sharing one. Without an SLA, and for canaries, a soft
            # spread keeps scheduling flexible.
            topology_spread_constraints=[
                k8s.core.v1.TopologySpreadConstraintArgs(
                    max_skew=1,
                    topology_key="topology.kubernetes.io/zone",
                    when_unsatisfiable=(
                        "DoNotSchedule"
                        if args.sla and track.track != "canary"
                        else "ScheduleAnyway"
                    ),
                    label_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=selector),
                )
            ],
            init_containers=init_containers,
            containers=[
                k8s.core.v1.ContainerArgs(
                    name="vllm",
                    image=args.image(track.image),
                    # The supported entrypoint of the vllm-openai image (vLLM v0.33 deprecates
                    # `python -m vllm.entrypoints.openai.api_server`).
                    command=["vllm", "serve"],
                    args=vllm_args(model, model_ref, source),
                    ports=[
                        k8s.core.v1.ContainerPortArgs(
                            name="http", container_port=VLLM_PORT, protocol="TCP"
                        )
                    ],
                    env=env,
                    resources=self._resources(source),
                    volume_mounts=mounts,
                    startup_probe=k8s.core.v1.ProbeArgs(
                        http_get=http_get(path="/health", port="http"),
                        period_seconds=STARTUP_PROBE_PERIOD_SECONDS,
                        failure_threshold=math.ceil(
                            model.startup_budget_seconds / STARTUP_PROBE_PERIOD_SECONDS
                        ),
                        timeout_seconds=5,
                    ),
                    readiness_probe=k8s.core.v1.ProbeArgs(
                        http_get=http_get(path=vllm_metrics.READINESS_PATH, port="http"),
                        period_seconds=10,
                        failure_threshold=3,
                        timeout_seconds=5,
                    ),
                    liveness_probe=k8s.core.v1.ProbeArgs(
                        http_get=http_get(path="/health", port="http"),
                        period_seconds=15,
                        failure_threshold=4,
                        timeout_seconds=10,
                    ),
                    lifecycle=k8s.core.v1.LifecycleArgs(
                        # Lets endpoints and the gateway drop the pod before vLLM stops.
                        pre_stop=k8s.core.v1.LifecycleHandlerArgs(
                            exec_=k8s.core.v1.ExecActionArgs(command=["sleep", "15"])
                        )
                    ),
                    # The official image would run as root and write its caches under /root:
                    # here it runs as VLLM_UID and writes only to the HOME and /tmp emptyDirs.
                    security_context=k8s.core.v1.SecurityContextArgs(
                        privileged=False,
                        run_as_non_root=True,
                        read_only_root_filesystem=True,
                        allow_privilege_escalation=False,
                        capabilities=k8s.core.v1.CapabilitiesArgs(drop=["ALL"]),
                    ),
                )
            ],
            volumes=volumes,
        )

    def _fetch_weights(self, source: str, model_dir: str) -> k8s.core.v1.ContainerArgs:
        """Init container copying the weights from in-region S3 with the pod's IRSA role."""
        region = self._args.region
        return k8s.core.v1.ContainerArgs(
            name="fetch-weights",
            image=self._args.image(AWS_CLI_IMAGE),
            command=["aws", "s3", "sync", "--only-show-errors", "--region", region],
            args=[source, model_dir],
            env=[
                k8s.core.v1.EnvVarArgs(name="AWS_REGION", value=region),
                k8s.core.v1.EnvVarArgs(name="AWS_STS_REGIONAL_ENDPOINTS", value="regional"),
                k8s.core.v1.EnvVarArgs(name="HOME", value="/tmp"),
            ],
            resources=k8s.core.v1.ResourceRequirementsArgs(
                requests={"cpu": "1", "memory": "1Gi"}, limits={"memory": "2Gi"}
            ),
            volume_mounts=[
                k8s.core.v1.VolumeMountArgs(name="weights", mount_path=MODELS_DIR),
                k8s.core.v1.VolumeMountArgs(name="fetch-tmp", mount_path="/tmp"),
            ],
            security_context=k8s.core.v1.SecurityContextArgs(
                run_as_non_root=True,
                run_as_user=VLLM_UID,
                run_as_group=VLLM_UID,
                read_only_root_filesystem=True,
                privileged=False,
                allow_privilege_escalation=False,
                capabilities=k8s.core.v1.CapabilitiesArgs(drop=["ALL"]),
            ),
        )

    def _node_share(self) -> float:
        return self._model.gpus_per_replica / self._instance.gpus * (1 - NODE_HEADROOM)

    def _memory_gib(self) -> int:
        return max(4, math.floor(self._instance.memory_gib * self._node_share()))

    def _shm_gib(self) -> int:
        # NCCL and the tokenizer workers use /dev/shm; it counts against the memory limit.
        return max(1, min(8, self._memory_gib() // 4))

    def _resources(self, source: WeightSource) -> k8s.core.v1.ResourceRequirementsArgs:
        """GPU requests = limits; CPU and memory the replica's share of the node minus headroom.

        Memory limit = request (weights are staged through host memory; an overcommitted node
        would OOM-kill a neighbour). No CPU limit: throttling only slows tokenization.
        """
        gpus = str(self._model.gpus_per_replica)
        cpu = max(1, math.floor(self._instance.vcpu * self._node_share()))
        memory = f"{self._memory_gib()}Gi"
        requests = {"cpu": str(cpu), "memory": memory, "nvidia.com/gpu": gpus}
        scratch_gib = CACHE_VOLUME_GIB + TMP_VOLUME_GIB
        if source.scheme != "pvc":
            scratch_gib += self._weights_gib
        requests["ephemeral-storage"] = f"{scratch_gib}Gi"
        return k8s.core.v1.ResourceRequirementsArgs(
            requests=requests, limits={"memory": memory, "nvidia.com/gpu": gpus}
        )

    def _scaled_object(
        self,
        name: str,
        track: _Track,
        deployment: k8s.apps.v1.Deployment,
        floor: int,
        rollout: RolloutWorkload | None = None,
    ) -> None:
        """KEDA scales the stable track on vLLM's request queue, within [floor, max]: its
        Deployment, or the Rollout that took the Deployment over (of the same name; the
        controller keeps the Deployment at zero, and KEDA scaling it would run pods outside
        the analysis)."""
        model = self._model
        query = (
            f'sum(vllm:num_requests_waiting{{model_name="{model.served_model_name}",'
            f'namespace="{self._namespace}",service="{track.name}"}})'
        )
        self._own(
            k8s.apiextensions.CustomResource(
                f"{name}-scaledobject",
                api_version="keda.sh/v1alpha1",
                kind="ScaledObject",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=track.name,
                    namespace=self._namespace,
                    labels=k8s_labels.model_server(model.name, track.track),
                ),
                spec={
                    "scaleTargetRef": (
                        {"name": deployment.metadata.name}
                        if rollout is None
                        else {
                            "apiVersion": canary_analysis.ARGO_API,
                            "kind": "Rollout",
                            "name": deployment.metadata.name,
                        }
                    ),
                    "minReplicaCount": floor,
                    "maxReplicaCount": max(model.replicas.max, floor),
                    "pollingInterval": 15,
                    # Without Prometheus, hold the floor rather than guess.
                    "fallback": {"failureThreshold": 3, "replicas": floor},
                    "advanced": {
                        "horizontalPodAutoscalerConfig": {
                            "behavior": {
                                # GPU replicas take minutes to start: shed them one at a time.
                                "scaleDown": {
                                    "stabilizationWindowSeconds": 600,
                                    "policies": [
                                        {"type": "Pods", "value": 1, "periodSeconds": 300}
                                    ],
                                }
                            }
                        }
                    },
                    "triggers": [
                        {
                            "type": "prometheus",
                            "metadata": {
                                "serverAddress": PROMETHEUS_URL,
                                "query": query,
                                "threshold": str(model.replicas.target_queue_depth),
                            },
                        }
                    ],
                },
                opts=ResourceOptions(parent=self),
            )
        )

    def _service_monitor(self, name: str, base: str) -> None:
        """One ServiceMonitor scraping /metrics of every track of the model."""
        self._own(
            k8s.apiextensions.CustomResource(
                f"{name}-servicemonitor",
                api_version="monitoring.coreos.com/v1",
                kind="ServiceMonitor",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=base,
                    namespace=self._namespace,
                    labels=k8s_labels.model_server(self._model.name, "stable"),
                ),
                spec={
                    "selector": {"matchLabels": k8s_labels.model_selector(self._model.name)},
                    "namespaceSelector": {"matchNames": [self._namespace]},
                    # Each series names the ReplicaSet of the pod it came from: a Rollout's
                    # analysis measures its canary's pods by it (components/canary_analysis.py).
                    "podTargetLabels": [k8s_labels.ROLLOUT_POD_TEMPLATE_HASH],
                    "endpoints": [
                        {
                            "port": "http",
                            "path": "/metrics",
                            "interval": "15s",
                            # Every series names its track (stable, canary, shadow) from the
                            # Service's label: the SLO records leave the shadow out and the
                            # dashboards set it beside the stable.
                            "relabelings": [
                                {
                                    "sourceLabels": [
                                        "__meta_kubernetes_service_label_"
                                        + k8s_labels.scraped_label(k8s_labels.TRACK_LABEL)
                                    ],
                                    "targetLabel": k8s_labels.SERIES_TRACK_LABEL,
                                    "action": "replace",
                                }
                            ],
                        }
                    ],
                },
                opts=ResourceOptions(parent=self),
            )
        )
