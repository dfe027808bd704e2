"""VllmDeployment on the Pulumi mock engine: what it declares for real stack configs."""

from __future__ import annotations

import json
import math
import re
from typing import Any

import pulumi
import pytest

from components import catalog
from components.config import ConfigError, ModelSpec, StackSpec, load_stack
from components.vllm import VllmDeployment, VllmDeploymentArgs
from tests import stacks
from tests.components.conftest import RecordingMocks

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
SERVICE = "kubernetes:core/v1:Service"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"
SCALED_OBJECT = "kubernetes:keda.sh/v1alpha1:ScaledObject"
SERVICE_MONITOR = "kubernetes:monitoring.coreos.com/v1:ServiceMonitor"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
NAMESPACE = "llm-serving"
OIDC_ARN = "arn:aws:iam::111122223333:oidc-provider/oidc.eks.example/id/X"

# Every flag the component may emit, checked against vLLM's arg_utils / api_server parser.
KNOWN_VLLM_FLAGS = {
    "--model",
    "--served-model-name",
    "--port",
    "--tensor-parallel-size",
    "--max-model-len",
    "--gpu-memory-utilization",
    "--max-num-seqs",
    "--enable-prefix-caching",
    "--no-enable-prefix-caching",
    "--quantization",
    "--download-dir",
    "--revision",
}


def _create(spec: StackSpec, model: ModelSpec) -> VllmDeployment:
    return VllmDeployment(
        model.name,
        VllmDeploymentArgs.for_model(
            spec,
            model,
            namespace=NAMESPACE,
            oidc_provider_arn=OIDC_ARN,
            oidc_provider_url="https://oidc.eks.example/id/X",
        ),
    )


def _static_canary(spec: StackSpec) -> StackSpec:
    """``spec`` with its first model's canary on a static weighted split (no analysis)."""
    model = spec.models[0]
    assert model.canary is not None
    canary = model.canary.model_copy(update={"analysis": False})
    models = [model.model_copy(update={"canary": canary}), *spec.models[1:]]
    return spec.model_copy(update={"models": models})


def _settled(component: VllmDeployment) -> pulumi.Output[list[Any]]:
    """Resolves once every child of the component has been registered with the mocks."""
    return pulumi.Output.all(*(r.urn for r in component.declared))


def _track(mocks: RecordingMocks, typ: str, track: str) -> list[dict[str, Any]]:
    return [
        r.inputs
        for r in mocks.of_type(typ)
        if r.inputs["metadata"]["labels"]["servegate.io/track"] == track
    ]


def _pod(deployment: dict[str, Any]) -> dict[str, Any]:
    pod: dict[str, Any] = deployment["spec"]["template"]["spec"]
    return pod


def _vllm(deployment: dict[str, Any]) -> dict[str, Any]:
    container: dict[str, Any] = next(
        c for c in _pod(deployment)["containers"] if c["name"] == "vllm"
    )
    return container


def _flags(container: dict[str, Any]) -> dict[str, str | None]:
    flags: dict[str, str | None] = {}
    for arg in container["args"]:
        flag, sep, value = arg.partition("=")
        flags[flag] = value if sep else None
    return flags


def _env(container: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e["value"] for e in container.get("env", [])}


@pytest.mark.parametrize("stack", stacks.SHIPPED)
@pulumi.runtime.test
def test_vllm_flags_are_real_and_built_from_the_model_spec(
    mocks: RecordingMocks, stack: str
) -> pulumi.Output[None]:
    spec = load_stack(stack)
    model = spec.models[-1]
    component = _create(spec, model)

    def check(_: list[Any]) -> None:
        (deployment,) = _track(mocks, DEPLOYMENT, "stable")
        container = _vllm(deployment)
        flags = _flags(container)
        assert set(flags) <= KNOWN_VLLM_FLAGS
        assert all(arg.startswith("--") for arg in container["args"])
        assert flags["--served-model-name"] == model.served_model_name
        assert flags["--tensor-parallel-size"] == str(model.tensor_parallel)
        assert flags["--max-model-len"] == str(model.max_model_len)
        assert float(flags["--gpu-memory-utilization"] or 0) == model.gpu_memory_utilization
        assert flags["--max-num-seqs"] == str(model.max_num_seqs)
        assert flags.get("--quantization") == model.quantization
        assert ("--enable-prefix-caching" in flags) is model.enable_prefix_caching
        assert flags["--port"] == "8000"
        if model.source.startswith("hf://"):
            assert flags["--model"] == model.source.removeprefix("hf://")
            assert "--download-dir" in flags
        else:
            assert flags["--model"] == f"/models/{model.name}"

    return _settled(component).apply(check)


@pytest.mark.parametrize("stack", stacks.SHIPPED)
@pulumi.runtime.test
def test_images_are_pinned_and_pulled_through_the_stacks_mirror(
    mocks: RecordingMocks, stack: str
) -> pulumi.Output[None]:
    spec = load_stack(stack)
    component = _create(spec, spec.models[0])

    def check(_: list[Any]) -> None:
        deployments = mocks.of_type(DEPLOYMENT)
        assert deployments
        for deployment in deployments:
            pod = _pod(deployment.inputs)
            for container in pod["containers"] + pod.get("initContainers", []):
                image = container["image"]
                tag = image.rsplit("/", 1)[-1].partition(":")[2]
                assert tag and tag != "latest", image
                if spec.registry.images:
                    assert image.startswith(spec.registry.images + "/"), image

    return _settled(component).apply(check)


@pulumi.runtime.test
def test_air_gapped_stack_loads_weights_from_s3_offline(
    mocks: RecordingMocks,
) -> pulumi.Output[None]:
    spec = _static_canary(load_stack("prod-ca"))
    model = spec.models[0]
    component = _create(spec, model)

    def check(_: list[Any]) -> None:
        (deployment,) = _track(mocks, DEPLOYMENT, "stable")
        pod = _pod(deployment)
        env = _env(_vllm(deployment))
        assert env["HF_HUB_OFFLINE"] == "1"
        assert env["TRANSFORMERS_OFFLINE"] == "1"
        (fetch,) = pod["initContainers"]
        assert fetch["name"] == "fetch-weights"
        command = fetch["command"] + fetch["args"]
        assert command[:3] == ["aws", "s3", "sync"]
        assert model.source in command
        assert f"/models/{model.name}" in command
        assert fetch["securityContext"]["runAsNonRoot"] is True
        weights = next(v for v in pod["volumes"] if v["name"] == "weights")
        size = int(weights["emptyDir"]["sizeLimit"].removesuffix("Gi"))
        instance = catalog.gpu_instances()[spec.pool(model.pool).instance_type]
        assert size >= instance.gpu_memory_gib * model.gpus_per_replica
        assert deployment["metadata"]["annotations"]["servegate.io/model-source"] == model.source
        assert pod["serviceAccountName"] == f"vllm-{model.name}"

    return _settled(component).apply(check)


@pulumi.runtime.test
def test_s3_weights_are_read_through_a_scoped_irsa_role(
    mocks: RecordingMocks,
) -> pulumi.Output[None]:
    spec = load_stack("prod-ca")
    model = spec.models[0]
    assert model.canary is not None
    component = _create(spec, model)

    def check(_: list[Any]) -> None:
        (role,) = mocks.of_type(ROLE)
        trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
        assert trust["Principal"]["Federated"] == OIDC_ARN
        condition = trust["Condition"]["StringEquals"]
        assert condition["oidc.eks.example/id/X:sub"] == (
            f"system:serviceaccount:{NAMESPACE}:vllm-{model.name}"
        )
        assert condition["oidc.eks.example/id/X:aud"] == "sts.amazonaws.com"

        (policy,) = mocks.of_type(ROLE_POLICY)
        statements = json.loads(policy.inputs["policy"])["Statement"]
        actions = {a for s in statements for a in s["Action"]}
        assert actions == {"s3:GetObject", "s3:ListBucket"}
        objects = next(s for s in statements if s["Action"] == ["s3:GetObject"])["Resource"]
        for source in (model.source, model.canary.source):
            assert f"arn:aws:s3:::{source.removeprefix('s3://')}/*" in objects
        listed = [s for s in statements if s["Action"] == ["s3:ListBucket"]]
        assert all("s3:prefix" in s["Condition"]["StringLike"] for s in listed)

        (account,) = mocks.of_type("kubernetes:core/v1:ServiceAccount")
        annotations = account.inputs["metadata"]["annotations"]
        assert annotations["eks.amazonaws.com/role-arn"].startswith("arn:aws:")

    return _settled(component).apply(check)


@pulumi.runtime.test
def test_hub_model_gets_no_iam_role_and_no_offline_mode(
    mocks: RecordingMocks,
) -> pulumi.Output[None]:
    spec = load_stack("dev")
    component = _create(spec, spec.models[0])

    def check(_: list[Any]) -> None:
        assert mocks.of_type(ROLE) == []
        (deployment,) = _track(mocks, DEPLOYMENT, "stable")
        assert "HF_HUB_OFFLINE" not in _env(_vllm(deployment))
        assert _pod(deployment).get("initContainers", []) == []

    return _settled(component).apply(check)


@pulumi.runtime.test
def test_gpus_are_requested_and_limited_on_the_models_pool(
    mocks: RecordingMocks,
) -> pulumi.Output[None]:
    spec = load_stack("prod-ca")
    model = next(m for m in spec.models if m.gpus_per_replica > 1)
    pool = spec.pool(model.pool)
    instance = catalog.gpu_instances()[pool.instance_type]
    component = _create(spec, model)

    def check(_: list[Any]) -> None:
        (deployment,) = _track(mocks, DEPLOYMENT, "stable")
        pod = _pod(deployment)
        resources = _vllm(deployment)["resources"]
        gpus = str(model.gpus_per_replica)
        assert resources["requests"]["nvidia.com/gpu"] == gpus
        assert resources["limits"]["nvidia.com/gpu"] == gpus
        share = model.gpus_per_replica / instance.gpus
        assert 1 <= int(resources["requests"]["cpu"]) < instance.vcpu * share
        memory = int(resources["requests"]["memory"].removesuffix("Gi"))
        assert memory < instance.memory_gib * share
        assert pod["nodeSelector"] == {"servegate.io/pool": pool.name, "servegate.io/gpu": "L40S"}
        assert pod["tolerations"] == [
            {"key": "nvidia.com/gpu", "operator": "Equal", "value": "true", "effect": "NoSchedule"}
        ]
        (spread,) = pod["topologySpreadConstraints"]
        assert spread["topologyKey"] == "topology.kubernetes.io/zone"
        assert spread["maxSkew"] == 1
        # An SLA is declared: the stable track must really span zones (SLA-003).
        assert spread["whenUnsatisfiable"] == "DoNotSchedule"
        shm = next(v for v in pod["volumes"] if v["name"] == "dshm")
        assert shm["emptyDir"]["medium"] == "Memory"
        mounts = {m["mountPath"] for m in _vllm(deployment)["volumeMounts"]}
        assert "/dev/shm" in mounts

    return _settled(component).apply(check)


@pytest.mark.parametrize("stack", ["dev", "prod-ca"])
@pulumi.runtime.test
def test_probes_cover_the_startup_budget_and_rollouts_keep_capacity(
    mocks: RecordingMocks, stack: str
) -> pulumi.Output[None]:
    spec = load_stack(stack)
    model = max(spec.models, key=lambda m: m.startup_budget_seconds)
    component = _create(spec, model)

    def check(_: list[Any]) -> None:
        for deployment in mocks.of_type(DEPLOYMENT):
            container = _vllm(deployment.inputs)
            startup = container["startupProbe"]
            assert startup["httpGet"]["path"] == "/health"
            window = startup["failureThreshold"] * startup["periodSeconds"]
            assert window >= model.startup_budget_seconds
            assert container["readinessProbe"]["httpGet"]["path"] == "/v1/models"
            assert container["livenessProbe"]["httpGet"]["path"] == "/health"
            strategy = deployment.inputs["spec"]["strategy"]
            assert strategy["type"] == "RollingUpdate"
            assert strategy["rollingUpdate"]["maxUnavailable"] == 0
            assert strategy["rollingUpdate"]["maxSurge"] == 1
            security = container["securityContext"]
            assert security["privileged"] is False
            assert security["allowPrivilegeEscalation"] is False
            assert _pod(deployment.inputs)["hostNetwork"] is False

    return _settled(component).apply(check)


@pytest.mark.parametrize(("stack", "floor"), [("dev", 1), ("prod-ca", 2), ("prod-eu", 3)])
@pulumi.runtime.test
def test_autoscaler_never_drops_below_the_sla_floor(
    mocks: RecordingMocks, stack: str, floor: int
) -> pulumi.Output[None]:
    spec = load_stack(stack)
    assert spec.replica_floor == floor
    model = spec.models[0].model_copy(
        update={"replicas": spec.models[0].replicas.model_copy(update={"min": 0, "max": 1})}
    )
    component = _create(spec, model)

    def check(_: list[Any]) -> None:
        (scaled,) = mocks.of_type(SCALED_OBJECT)
        so = scaled.inputs["spec"]
        assert so["minReplicaCount"] >= floor >= 1
        assert so["maxReplicaCount"] >= so["minReplicaCount"]
        assert so["scaleTargetRef"]["name"] == f"vllm-{model.name}"
        (trigger,) = so["triggers"]
        assert trigger["type"] == "prometheus"
        metadata = trigger["metadata"]
        assert "vllm:num_requests_waiting" in metadata["query"]
        assert f'model_name="{model.served_model_name}"' in metadata["query"]
        assert metadata["serverAddress"].startswith(
            "http://kube-prometheus-stack-prometheus.monitoring.svc:9090"
        )
        assert metadata["threshold"] == str(model.replicas.target_queue_depth)
        (deployment,) = _track(mocks, DEPLOYMENT, "stable")
        assert deployment["spec"]["replicas"] == so["minReplicaCount"]
        (pdb,) = _track(mocks, PDB, "stable")
        assert pdb["spec"]["minAvailable"] >= 1
        assert (
            pdb["spec"]["selector"]["matchLabels"] == deployment["spec"]["selector"]["matchLabels"]
        )

    return _settled(component).apply(check)


@pulumi.runtime.test
def test_service_and_service_monitor_expose_http_and_metrics(
    mocks: RecordingMocks,
) -> pulumi.Output[None]:
    spec = load_stack("prod-eu")
    model = spec.models[0]
    component = _create(spec, model)

    def check(values: list[Any]) -> None:
        (service,) = _track(mocks, SERVICE, "stable")
        assert service["spec"]["type"] == "ClusterIP"
        (port,) = service["spec"]["ports"]
        assert (port["name"], port["port"]) == ("http", 8000)
        assert service["metadata"]["labels"]["servegate.io/role"] == "model-server"
        (monitor,) = mocks.of_type(SERVICE_MONITOR)
        (endpoint,) = monitor.inputs["spec"]["endpoints"]
        assert (endpoint["port"], endpoint["path"]) == ("http", "/metrics")
        selected = monitor.inputs["spec"]["selector"]["matchLabels"]
        assert selected.items() <= service["metadata"]["labels"].items()
        assert values[1] == service["metadata"]["name"]
        assert values[2] == f"vllm-{model.name}"
        assert component.canary_weight == 0
        assert component.canary_service_name is None

    return pulumi.Output.all(
        _settled(component), component.service_name, component.deployment_name
    ).apply(check)


@pulumi.runtime.test
def test_canary_runs_beside_stable_with_its_own_source_and_weight(
    mocks: RecordingMocks,
) -> pulumi.Output[None]:
    spec = _static_canary(load_stack("prod-ca"))
    model = spec.models[0]
    canary = model.canary
    assert canary is not None
    component = _create(spec, model)

    def check(values: list[Any]) -> None:
        _, service_name, canary_service_name = values
        (deployment,) = _track(mocks, DEPLOYMENT, "canary")
        assert deployment["spec"]["replicas"] == canary.replicas
        assert deployment["metadata"]["annotations"]["servegate.io/model-source"] == (canary.source)
        fetch = _pod(deployment)["initContainers"][0]
        assert canary.source in fetch["args"]
        assert _flags(_vllm(deployment))["--served-model-name"] == model.served_model_name
        assert len(_track(mocks, SERVICE, "canary")) == 1
        assert len(_track(mocks, PDB, "canary")) == 1
        assert canary_service_name != service_name
        assert re.fullmatch(r"[a-z0-9-]{1,63}", canary_service_name)
        assert component.canary_weight == canary.weight
        # Only the stable track autoscales; the canary keeps its fixed size.
        (scaled,) = mocks.of_type(SCALED_OBJECT)
        assert scaled.inputs["metadata"]["labels"]["servegate.io/track"] == "stable"

    assert component.canary_service_name is not None
    return pulumi.Output.all(
        _settled(component), component.service_name, component.canary_service_name
    ).apply(check)


def test_weights_that_do_not_fit_the_pool_disk_are_one_clear_error() -> None:
    spec = load_stack("prod-ca")
    model = next(m for m in spec.models if m.gpus_per_replica > 1)
    pool = spec.pool(model.pool)
    small = spec.model_copy(
        update={
            "gpu_pools": [
                p.model_copy(update={"disk_gib": 100}) if p is pool else p for p in spec.gpu_pools
            ]
        }
    )
    with pytest.raises(ConfigError) as error:
        _create(small, model)
    message = str(error.value)
    assert "\n" not in message
    index = spec.gpu_pools.index(pool)
    assert message.startswith(f"llm-serving:gpuPools[{index}].diskGiB: 100 GiB")
    instance = catalog.gpu_instances()[pool.instance_type]
    assert str(math.ceil(model.gpus_per_replica * instance.gpu_memory_gib * 1.25)) in message


@pytest.mark.parametrize("stack", ["dev", "prod-ca"])
@pulumi.runtime.test
def test_core_objects_are_valid_kubernetes(
    mocks: RecordingMocks, stack: str
) -> pulumi.Output[None]:
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    spec = load_stack(stack)
    component = _create(spec, spec.models[0])
    version = f"{spec.cluster.kubernetes_version}.0"

    def check(_: list[Any]) -> None:
        kinds = {DEPLOYMENT, SERVICE, PDB, "kubernetes:core/v1:ServiceAccount"}
        objects = [r.inputs for r in mocks.resources if r.typ in kinds]
        assert len(objects) >= 4
        for obj in objects:
            kubernetes_validate.validate(obj, version, strict=True)

    return _settled(component).apply(check)


@pulumi.runtime.test
def test_an_analysed_canary_is_the_deployments_next_version_under_a_rollout(
    mocks: RecordingMocks,
) -> pulumi.Output[None]:
    spec = load_stack("prod-ca")
    model = spec.models[0]
    canary = model.canary
    assert canary is not None and spec.analysed(model)
    component = _create(spec, model)

    def check(values: list[Any]) -> None:
        (deployment,) = _track(mocks, DEPLOYMENT, "stable")
        # The Rollout rolls out the Deployment's template: the canary's version.
        annotations = deployment["metadata"]["annotations"]
        assert annotations["servegate.io/model-source"] == canary.source
        assert canary.source in _pod(deployment)["initContainers"][0]["args"]
        # No second track: traffic moves by the Rollout's replica counts behind one Service.
        assert _track(mocks, DEPLOYMENT, "canary") == []
        assert _track(mocks, SERVICE, "canary") == []
        assert component.canary_service_name is None
        assert component.canary_weight == 0
        # KEDA scales the Rollout, never the Deployment the controller keeps at zero.
        (scaled,) = mocks.of_type(SCALED_OBJECT)
        assert scaled.inputs["spec"]["scaleTargetRef"] == {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Rollout",
            "name": values[1],
        }
        assert component.rollout is not None
        assert component.rollout.replicas == 2

    return pulumi.Output.all(_settled(component), component.deployment_name).apply(check)


@pulumi.runtime.test
def test_the_role_still_reads_the_stable_source_under_a_rollout(
    mocks: RecordingMocks,
) -> pulumi.Output[None]:
    spec = load_stack("prod-ca")
    model = spec.models[0]
    assert model.canary is not None
    component = _create(spec, model)

    def check(_: list[Any]) -> None:
        (policy,) = mocks.of_type(ROLE_POLICY)
        statements = json.loads(policy.inputs["policy"])["Statement"]
        objects = next(s for s in statements if s["Action"] == ["s3:GetObject"])["Resource"]
        # The stable revision's pods fetch the model's weights again when they restart.
        for source in (model.source, model.canary.source):
            assert f"arn:aws:s3:::{source.removeprefix('s3://')}/*" in objects

    return _settled(component).apply(check)
