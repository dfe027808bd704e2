"""Node autoscaling of the shipped stacks, from the offline inventory (SDK mocks).

prod-ca and prod-eu run Cluster Autoscaler from their in-zone mirror; each GPU pool's Auto
Scaling group describes its future nodes (scale-from-zero templates), and every model pod
a model autoscaler adds fits such a node: the same labels, only tolerated taints, enough
GPUs, up to the pool's maxSize.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from components import catalog
from tests import stacks

RELEASE = "kubernetes:helm.sh/v3:Release"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
CLUSTER = "aws:eks/cluster:Cluster"
ASG_TAG = "aws:autoscaling/tag:Tag"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
SCALER = "kubernetes:keda.sh/v1alpha1:ScaledObject"
LABEL = "k8s.io/cluster-autoscaler/node-template/label/"
TAINT = "k8s.io/cluster-autoscaler/node-template/taint/"
GPU_RESOURCE = "k8s.io/cluster-autoscaler/node-template/resources/nvidia.com/gpu"
EKS_EFFECT = {"NO_SCHEDULE": "NoSchedule", "NO_EXECUTE": "NoExecute"}
PRODUCTION = ("prod-ca", "prod-eu")


def _autoscaler(stack: str) -> dict[str, Any]:
    (release,) = [
        r
        for r in stacks.of_type(stack, RELEASE)
        if str(r["props"]["chart"]).rsplit("/", 1)[-1] == "cluster-autoscaler"
    ]
    return release


def _node_template(stack: str, group: dict[str, Any]) -> dict[str, Any]:
    """What Cluster Autoscaler assumes a new node of the group is: its ASG's tags."""
    tags = {
        t["props"]["tag"]["key"]: t["props"]["tag"]["value"]
        for t in stacks.of_type(stack, ASG_TAG)
        if group["urn"] in t["deps"].get("autoscalingGroupName", [])
    }
    return {
        "labels": {k.removeprefix(LABEL): v for k, v in tags.items() if k.startswith(LABEL)},
        "taints": {
            (k.removeprefix(TAINT), *v.split(":")) for k, v in tags.items() if k.startswith(TAINT)
        },
        "gpus": int(tags[GPU_RESOURCE]),
    }


def _gpu_groups(stack: str) -> list[dict[str, Any]]:
    return [
        g
        for g in stacks.of_type(stack, NODE_GROUP)
        if g["props"]["labels"]["servegate.io/role"] == "gpu"
    ]


@pytest.mark.parametrize("stack", PRODUCTION)
def test_the_node_autoscaler_runs_from_the_zone_and_discovers_this_cluster(stack: str) -> None:
    spec = stacks.spec(stack)
    release = _autoscaler(stack)
    props = release["props"]
    values = props["values"]
    (cluster,) = stacks.of_type(stack, CLUSTER)
    assert values["autoDiscovery"]["clusterName"] == cluster["props"]["name"]
    assert values["awsRegion"] == spec.region
    assert spec.registry.charts and props["chart"].startswith(spec.registry.charts)
    assert spec.registry.images and values["image"]["repository"].startswith(spec.registry.images)
    region = re.search(r"\.ecr\.([a-z0-9-]+)\.amazonaws\.com", values["image"]["repository"])
    assert region and region.group(1) in catalog.zones()[spec.residency.zone]
    # The image's minor is the cluster's.
    assert values["image"]["tag"].startswith(f"v{spec.cluster.kubernetes_version}.")
    system = [g for g in stacks.of_type(stack, NODE_GROUP) if g not in _gpu_groups(stack)]
    assert values["nodeSelector"].items() <= system[0]["props"]["labels"].items()


@pytest.mark.parametrize("stack", PRODUCTION)
def test_every_node_the_autoscaler_adds_uses_imdsv2_and_encrypted_volumes(stack: str) -> None:
    # Added nodes come from the node group's launch template, as the first ones do.
    templates = {t["urn"]: t for t in stacks.of_type(stack, LAUNCH_TEMPLATE)}
    for group in _gpu_groups(stack):
        (urn,) = group["deps"]["launchTemplate"]
        props = templates[urn]["props"]
        assert props["metadataOptions"]["httpTokens"] == "required"
        (volume,) = props["blockDeviceMappings"]
        assert volume["ebs"]["encrypted"] == "true" and volume["ebs"]["kmsKeyId"]


@pytest.mark.parametrize("stack", PRODUCTION)
def test_each_pool_advertises_a_node_template_equal_to_its_nodes(stack: str) -> None:
    for group in _gpu_groups(stack):
        props = group["props"]
        template = _node_template(stack, group)
        assert template["labels"] == props["labels"]
        assert template["taints"] == {
            (t["key"], t["value"], EKS_EFFECT[t["effect"]]) for t in props["taints"]
        }
        assert template["gpus"] == catalog.gpu_instances()[props["instanceTypes"][0]].gpus


def _tolerates(tolerations: list[dict[str, Any]], taint: tuple[str, str, str]) -> bool:
    key, value, effect = taint
    return any(
        t.get("effect") in (None, "", effect)
        and t.get("key") in (None, "", key)
        and (t.get("operator") == "Exists" or t.get("value") == value)
        for t in tolerations
    )


@pytest.mark.parametrize("stack", PRODUCTION)
def test_scaled_out_pods_fit_a_node_template_within_max_size(stack: str) -> None:
    maxima = {
        s["props"]["spec"]["scaleTargetRef"]["name"]: s["props"]["spec"]["maxReplicaCount"]
        for s in stacks.of_type(stack, SCALER)
    }
    groups = {g["props"]["labels"]["servegate.io/pool"]: g for g in _gpu_groups(stack)}
    demand: dict[str, int] = dict.fromkeys(groups, 0)
    for deployment in stacks.of_type(stack, DEPLOYMENT):
        labels = deployment["props"]["metadata"].get("labels", {})
        if labels.get("servegate.io/role") != "model-server":
            continue
        pod = deployment["props"]["spec"]["template"]["spec"]
        name = deployment["props"]["metadata"]["name"]
        fitting = [
            pool
            for pool, group in groups.items()
            if pod["nodeSelector"].items() <= _node_template(stack, group)["labels"].items()
            and all(
                _tolerates(pod["tolerations"], taint)
                for taint in _node_template(stack, group)["taints"]
            )
        ]
        assert len(fitting) == 1, f"{name} fits the node templates of {fitting}"
        (pool,) = fitting
        gpus = int(pod["containers"][0]["resources"]["limits"]["nvidia.com/gpu"])
        assert gpus <= _node_template(stack, groups[pool])["gpus"]
        replicas = maxima.get(name, deployment["props"]["spec"]["replicas"])
        demand[pool] += replicas * gpus
    for pool, group in groups.items():
        scaling = group["props"]["scalingConfig"]
        per_node = _node_template(stack, group)["gpus"]
        # Every pod the model autoscalers can add has a node below the pool's maxSize.
        assert demand[pool] <= scaling["maxSize"] * per_node, (pool, demand[pool])


def test_a_pod_without_the_toleration_would_fit_no_template() -> None:
    (group, *_) = _gpu_groups("prod-eu")
    (taint,) = _node_template("prod-eu", group)["taints"]
    assert not _tolerates([], taint)
    assert not _tolerates([{"key": "other", "operator": "Exists"}], taint)
    assert _tolerates([{"key": taint[0], "operator": "Exists", "effect": "NoSchedule"}], taint)
