"""GpuNodePool and NvidiaDevicePlugin on the Pulumi mock engine."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from components import gpu_pool
from components.audit import log_retention_days
from components.cluster import EksCluster, EksClusterArgs
from components.config import StackSpec, load_stack, parse_spec, read_stack_config, stack_file
from components.gpu_pool import (
    DEVICE_PLUGIN_CHART,
    DEVICE_PLUGIN_IMAGE,
    GpuNodePool,
    GpuNodePoolArgs,
    NvidiaDevicePlugin,
    NvidiaDevicePluginArgs,
)
from components.network import SovereignNetwork, SovereignNetworkArgs
from tests.components.conftest import RecordingMocks

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
RELEASE = "kubernetes:helm.sh/v3:Release"
ASG_TAG = "aws:autoscaling/tag:Tag"


def with_pool(stack: str, **pool: Any) -> StackSpec:
    """A repository stack whose first GPU pool has some fields replaced."""
    config = read_stack_config(stack_file(stack))
    pools = list(config["llm-serving:gpuPools"])
    pools[0] = {**pools[0], **pool}
    config["llm-serving:gpuPools"] = pools
    return parse_spec(stack, config)


def build_pools(spec: StackSpec) -> None:
    @pulumi.runtime.test
    def run() -> pulumi.Output[Any]:
        network = SovereignNetwork("net", SovereignNetworkArgs.of(spec))
        cluster = EksCluster(
            "eks",
            EksClusterArgs(
                region=spec.region,
                cluster=spec.cluster,
                log_retention_days=log_retention_days(spec.audit),
                private_subnet_ids=network.private_subnet_ids,
            ),
        )
        pools = [
            GpuNodePool(
                f"pool-{pool.name}",
                GpuNodePoolArgs(
                    pool=pool,
                    cluster_name=cluster.cluster_name,
                    node_role_arn=cluster.node_role.arn,
                    kms_key_arn=cluster.kms_key.arn,
                    subnet_ids=network.private_subnet_ids,
                ),
            )
            for pool in spec.gpu_pools
        ]
        return pulumi.Output.all(*[p.node_group_name for p in pools])

    run()


def build_device_plugin(spec: StackSpec) -> None:
    @pulumi.runtime.test
    def run() -> pulumi.Output[Any]:
        return NvidiaDevicePlugin(
            "nvidia", NvidiaDevicePluginArgs(registry=spec.registry)
        ).release.status

    run()


def gpu_groups(mocks: RecordingMocks) -> dict[str, dict[str, Any]]:
    return {
        r.inputs["labels"]["servegate.io/pool"]: r.inputs
        for r in mocks.of_type(NODE_GROUP)
        if r.inputs["labels"]["servegate.io/role"] == "gpu"
    }


def pool_template(mocks: RecordingMocks, pool: str) -> dict[str, Any]:
    (template,) = [r for r in mocks.of_type(LAUNCH_TEMPLATE) if r.name == f"pool-{pool}-nodes"]
    return dict(template.inputs)


def test_one_gpu_node_group_per_pool_with_labels_and_taint(mocks: RecordingMocks) -> None:
    spec = load_stack("prod-ca")
    build_pools(spec)
    groups = gpu_groups(mocks)
    assert set(groups) == {pool.name for pool in spec.gpu_pools}
    for pool in spec.gpu_pools:
        group = groups[pool.name]
        assert group["amiType"] == "AL2023_x86_64_NVIDIA"
        assert group["instanceTypes"] == [pool.instance_type]
        assert group["capacityType"] == "ON_DEMAND"
        assert group["labels"]["servegate.io/gpu"] == pool.instance.gpu
        assert group["labels"]["servegate.io/gpus-per-node"] == str(pool.instance.gpus)
        assert group["labels"]["nvidia.com/gpu.present"] == "true"
        assert group["taints"] == [
            {"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}
        ]
        assert group["scalingConfig"] == {
            "minSize": pool.min_size,
            "maxSize": pool.max_size,
            "desiredSize": pool.min_size,
        }
        assert len(group["subnetIds"]) == spec.network.az_count
        assert group["updateConfig"]["maxUnavailable"] == 1


def test_l40s_pool_advertises_four_gpus_per_node(mocks: RecordingMocks) -> None:
    build_pools(load_stack("prod-ca"))
    assert gpu_groups(mocks)["l40s"]["labels"]["servegate.io/gpus-per-node"] == "4"


def test_spot_pool(mocks: RecordingMocks) -> None:
    spec = load_stack("dev")
    assert spec.gpu_pools[0].capacity_type == "spot"
    build_pools(spec)
    assert gpu_groups(mocks)["l4"]["capacityType"] == "SPOT"
    assert "capacityReservationSpecification" not in pool_template(mocks, "l4")


def test_launch_template_requires_imdsv2_and_encrypts_the_model_cache(
    mocks: RecordingMocks,
) -> None:
    spec = load_stack("prod-ca")
    build_pools(spec)
    (key,) = [r for r in mocks.of_type("aws:kms/key:Key") if r.name == "eks-key"]
    for pool in spec.gpu_pools:
        template = pool_template(mocks, pool.name)
        assert template["metadataOptions"]["httpTokens"] == "required"
        assert template["metadataOptions"]["httpPutResponseHopLimit"] in (1, 2)
        (device,) = template["blockDeviceMappings"]
        assert device["ebs"]["encrypted"] == "true"
        assert device["ebs"]["volumeSize"] == pool.disk_gib
        assert device["ebs"]["volumeType"] == "gp3"
        assert device["ebs"]["throughput"] > 125  # above gp3's baseline: weights load fast
        assert device["ebs"]["kmsKeyId"] == f"arn:aws:mock:::{key.name}"
        group = gpu_groups(mocks)[pool.name]
        assert group["launchTemplate"] == {"id": f"pool-{pool.name}-nodes-id", "version": "1"}
        assert "diskSize" not in group  # the launch template owns the disk


def test_capacity_reservation_is_targeted_by_the_launch_template(mocks: RecordingMocks) -> None:
    spec = with_pool(
        "prod-ca", capacityType="capacity-reservation", capacityReservationId="cr-0123456789abcdef0"
    )
    build_pools(spec)
    assert gpu_groups(mocks)["l4"]["capacityType"] == "ON_DEMAND"
    reservation = pool_template(mocks, "l4")["capacityReservationSpecification"]
    assert reservation == {
        "capacityReservationTarget": {"capacityReservationId": "cr-0123456789abcdef0"}
    }
    assert "capacityReservationSpecification" not in pool_template(mocks, "l40s")


def test_device_plugin_from_the_stacks_chart_registry_and_image_mirror(
    mocks: RecordingMocks,
) -> None:
    spec = load_stack("prod-ca")
    assert spec.registry.charts and spec.registry.images
    build_device_plugin(spec)
    (release,) = mocks.of_type(RELEASE)
    inputs = release.inputs
    assert inputs["chart"] == f"{spec.registry.charts}/nvidia-device-plugin"
    assert inputs["version"] == DEVICE_PLUGIN_CHART.version == "0.20.0"
    assert "repositoryOpts" not in inputs
    values = inputs["values"]
    assert values["image"]["repository"].startswith(spec.registry.images + "/")
    # The chart prefixes its appVersion with "v" for the image tag; so does the pin.
    assert values["image"]["tag"] == DEVICE_PLUGIN_IMAGE.tag == f"v{DEVICE_PLUGIN_CHART.version}"
    assert values["nodeSelector"] == {"servegate.io/role": "gpu"}
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in values[
        "tolerations"
    ]


def test_device_plugin_from_nvidias_repository_without_a_mirror(mocks: RecordingMocks) -> None:
    spec = load_stack("dev")
    assert spec.registry.charts is None
    build_device_plugin(spec)
    (release,) = mocks.of_type(RELEASE)
    assert release.inputs["chart"] == "nvidia-device-plugin"
    assert release.inputs["repositoryOpts"]["repo"] == "https://nvidia.github.io/k8s-device-plugin"
    assert release.inputs["version"] == DEVICE_PLUGIN_CHART.version
    assert release.inputs["values"]["image"]["repository"] == "nvcr.io/nvidia/k8s-device-plugin"


def test_pool_children_are_named_under_the_component(mocks: RecordingMocks) -> None:
    build_pools(load_stack("prod-ca"))
    children = [
        r
        for r in mocks.resources
        if r.name.startswith("pool-") and not r.typ.startswith("servegate:")
    ]
    assert {r.typ for r in children} == {NODE_GROUP, LAUNCH_TEMPLATE, ASG_TAG}


def test_the_auto_scaling_group_describes_the_nodes_for_scale_from_zero(
    mocks: RecordingMocks,
) -> None:
    spec = load_stack("prod-ca")
    build_pools(spec)
    groups = gpu_groups(mocks)
    for pool in spec.gpu_pools:
        asg = f"eks-pool-{pool.name}-nodes"
        tags = {
            r.inputs["tag"]["key"]: r.inputs["tag"]["value"]
            for r in mocks.of_type(ASG_TAG)
            if r.inputs["autoscalingGroupName"] == asg
        }
        assert all(not r.inputs["tag"]["propagateAtLaunch"] for r in mocks.of_type(ASG_TAG))
        labels = {
            key.removeprefix("k8s.io/cluster-autoscaler/node-template/label/"): value
            for key, value in tags.items()
            if "/node-template/label/" in key
        }
        assert labels == groups[pool.name]["labels"]
        assert tags["k8s.io/cluster-autoscaler/node-template/taint/nvidia.com/gpu"] == (
            "true:NoSchedule"
        )
        assert tags["k8s.io/cluster-autoscaler/node-template/resources/nvidia.com/gpu"] == str(
            pool.instance.gpus
        )
        assert tags["k8s.io/cluster-autoscaler/enabled"] == "true"
        assert tags["k8s.io/cluster-autoscaler/eks"] == "owned"  # the cluster's name
        assert len(tags) == len(labels) + 4


def test_pulumi_leaves_the_desired_size_to_the_autoscaler(
    mocks: RecordingMocks, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, list[str] | None] = {}
    original = gpu_pool.aws.eks.NodeGroup

    def recording(name: str, *args: Any, **kwargs: Any) -> Any:
        seen[name] = kwargs["opts"].ignore_changes
        return original(name, *args, **kwargs)

    monkeypatch.setattr(gpu_pool.aws.eks, "NodeGroup", recording)
    build_pools(load_stack("prod-eu"))
    assert seen["pool-l4-nodes"] == ["scalingConfig.desiredSize"]
    # The system node group has a fixed size: Pulumi keeps it.
    assert seen["eks-system"] is None
