"""The shipped stacks run offline: the kinds a serving stack needs are there, counts follow
the config, and every model pod lands on exactly one GPU pool it fits."""

from __future__ import annotations

from typing import Any

import pytest

from components import catalog
from tests import stacks

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
SERVICE = "kubernetes:core/v1:Service"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"
SCALER = "kubernetes:keda.sh/v1alpha1:ScaledObject"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
EKS_EFFECT = {
    "NO_SCHEDULE": "NoSchedule",
    "NO_EXECUTE": "NoExecute",
    "PREFER_NO_SCHEDULE": "PreferNoSchedule",
}

KINDS = [
    "aws:ec2/vpc:Vpc",
    "aws:ec2/subnet:Subnet",
    "aws:ec2/vpcEndpoint:VpcEndpoint",
    "aws:ec2/flowLog:FlowLog",
    "aws:kms/key:Key",
    "aws:eks/cluster:Cluster",
    NODE_GROUP,
    "aws:ec2/launchTemplate:LaunchTemplate",
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
    "aws:cloudtrail/trail:Trail",
    "aws:s3/bucket:Bucket",
    "aws:cloudwatch/logGroup:LogGroup",
    DEPLOYMENT,
    SERVICE,
    PDB,
    SCALER,
    "kubernetes:core/v1:ServiceAccount",
    "kubernetes:monitoring.coreos.com/v1:ServiceMonitor",
    "kubernetes:monitoring.coreos.com/v1:PrometheusRule",
    "kubernetes:helm.sh/v3:Release",
    "kubernetes:gateway.networking.k8s.io/v1:Gateway",
    "kubernetes:aigateway.envoyproxy.io/v1beta1:AIGatewayRoute",
    "kubernetes:gateway.envoyproxy.io/v1alpha1:SecurityPolicy",
    "kubernetes:gateway.envoyproxy.io/v1alpha1:BackendTrafficPolicy",
    "kubernetes:core/v1:ConfigMap",
]


def _labels(resource: dict[str, Any]) -> dict[str, str]:
    labels: dict[str, str] = resource["props"].get("metadata", {}).get("labels", {})
    return labels


def _model_objects(stack: str, type_token: str) -> list[dict[str, Any]]:
    return [
        r
        for r in stacks.of_type(stack, type_token)
        if _labels(r).get("servegate.io/role") == "model-server"
    ]


@pytest.mark.parametrize("stack", stacks.SHIPPED)
def test_the_stack_holds_every_kind(stack: str) -> None:
    types = set(stacks.inventory(stack)["by_type"])
    assert [kind for kind in KINDS if kind not in types] == []


@pytest.mark.parametrize("stack", stacks.SHIPPED)
def test_counts_follow_the_config(stack: str) -> None:
    spec = stacks.spec(stack)
    # An analysed canary is the next version of its model's one Deployment (under a Rollout);
    # a shadow has its own Deployment, Service and PDB, and no autoscaler.
    tracks = len(spec.models) + sum(1 for m in spec.models if m.canary and not spec.analysed(m))
    tracks += sum(1 for m in spec.models if m.shadow)
    assert len(_model_objects(stack, DEPLOYMENT)) == tracks
    assert len(_model_objects(stack, SERVICE)) == tracks
    assert len(_model_objects(stack, PDB)) == tracks
    assert len(_model_objects(stack, SCALER)) == len(spec.models)
    gpu_groups = [
        g
        for g in stacks.of_type(stack, NODE_GROUP)
        if g["props"]["labels"].get("servegate.io/role") == "gpu"
    ]
    assert len(gpu_groups) == len(spec.gpu_pools)
    subnets = stacks.of_type(stack, "aws:ec2/subnet:Subnet")
    private = [s for s in subnets if s["props"]["tags"]["servegate.io/tier"] == "private"]
    assert len(private) == spec.network.az_count


def test_prod_ca_has_two_models_and_an_analysed_canary() -> None:
    deployments = _model_objects("prod-ca", DEPLOYMENT)
    tracks = sorted(
        (_labels(d)["servegate.io/model"], _labels(d)["servegate.io/track"]) for d in deployments
    )
    assert tracks == [("llama-8b", "stable"), ("mixtral-8x7b", "stable")]
    (rollout,) = stacks.of_type("prod-ca", "kubernetes:argoproj.io/v1alpha1:Rollout")
    assert rollout["props"]["spec"]["workloadRef"]["name"] == "vllm-llama-8b"
    (route,) = stacks.of_type(
        "prod-ca", "kubernetes:aigateway.envoyproxy.io/v1beta1:AIGatewayRoute"
    )
    # The Rollout moves the traffic by replicas: the route sends each model to one backend.
    weights = [
        [ref.get("weight") for ref in rule["backendRefs"]]
        for rule in route["props"]["spec"]["rules"]
    ]
    # Rule i is the catch-all of model i; the later rules (per classification, and the Bedrock
    # model's) reach each self-hosted model through that same single backend.
    assert weights[:2] == [[100], [100]]
    assert {w for rule in weights for w in rule} == {100, None}


@pytest.mark.parametrize("stack", stacks.SHIPPED)
def test_every_model_pod_matches_exactly_one_pool_and_fits_it(stack: str) -> None:
    pools = []
    for group in stacks.of_type(stack, NODE_GROUP):
        props = group["props"]
        taints = {
            (t["key"], t.get("value"), EKS_EFFECT[t["effect"]]) for t in props.get("taints", [])
        }
        pools.append((props["labels"], taints, props["instanceTypes"][0]))
    for deployment in _model_objects(stack, DEPLOYMENT):
        pod = deployment["props"]["spec"]["template"]["spec"]
        selector = pod["nodeSelector"]
        tolerated = {(t["key"], t.get("value"), t["effect"]) for t in pod.get("tolerations", [])}
        matches = [
            (labels, instance)
            for labels, taints, instance in pools
            if all(labels.get(k) == v for k, v in selector.items()) and taints <= tolerated
        ]
        name = deployment["name"]
        assert len(matches) == 1, f"{name} matches {len(matches)} pools"
        labels, instance_type = matches[0]
        instance = catalog.gpu_instances()[instance_type]
        gpus = int(pod["containers"][0]["resources"]["limits"]["nvidia.com/gpu"])
        assert int(pod["containers"][0]["resources"]["requests"]["nvidia.com/gpu"]) == gpus
        assert gpus <= instance.gpus, f"{name} asks {gpus} GPUs of a {instance_type}"
        assert labels["servegate.io/gpu"] == instance.gpu  # hardware transparency


def test_the_pool_gpu_is_visible_in_the_inventory() -> None:
    spec = stacks.spec("prod-ca")
    groups = {
        g["props"]["labels"].get("servegate.io/pool"): g
        for g in stacks.of_type("prod-ca", NODE_GROUP)
    }
    for pool in spec.gpu_pools:
        assert groups[pool.name]["props"]["labels"]["servegate.io/gpu"] == pool.instance.gpu
