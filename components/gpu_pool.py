"""GPU capacity: one EKS managed node group per pool, and the NVIDIA device plugin."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components import versions
from components.cluster import node_launch_template
from components.config import GpuPoolSpec, RegistrySpec
from components.node_autoscaler import (
    ENABLED_TAG,
    GPU_LABEL,
    OWNER_TAG_PREFIX,
    scale_from_zero_tags,
)

GPU_AMI_TYPE = "AL2023_x86_64_NVIDIA"
GPU_TAINT = {"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}
_CAPACITY_TYPES = {"on-demand": "ON_DEMAND", "spot": "SPOT", "capacity-reservation": "ON_DEMAND"}

# Weights are read from the root volume at every model start: gp3's baseline of
# 125 MiB/s would turn a 100 GiB load into a quarter of an hour.
MODEL_CACHE_THROUGHPUT_MIBPS = 1000
MODEL_CACHE_IOPS = 6000

DEVICE_PLUGIN_CHART = versions.chart("nvidia-device-plugin")
DEVICE_PLUGIN_IMAGE = versions.image("nvidia-device-plugin")
DEVICE_PLUGIN_NAMESPACE = "kube-system"


def gpu_node_labels(pool: GpuPoolSpec) -> dict[str, str]:
    """The Kubernetes labels of a pool's nodes (docs/conventions.md)."""
    instance = pool.instance
    return {
        "servegate.io/role": "gpu",
        "servegate.io/pool": pool.name,
        "servegate.io/gpu": instance.gpu,
        "servegate.io/gpus-per-node": str(instance.gpus),
        # Schedules the device plugin without node-feature-discovery (the chart's
        # default affinity accepts this label).
        "nvidia.com/gpu.present": "true",
        GPU_LABEL: instance.gpu_product.lower(),
    }


@dataclass(frozen=True)
class GpuNodePoolArgs:
    """Inputs of :class:`GpuNodePool`."""

    pool: GpuPoolSpec
    """The pool this node group implements."""
    cluster_name: pulumi.Input[str]
    """The EKS cluster the nodes join."""
    node_role_arn: pulumi.Input[str]
    """The cluster's node role."""
    kms_key_arn: pulumi.Input[str]
    """The key encrypting the nodes' root volumes."""
    subnet_ids: pulumi.Input[list[str]]
    """Private subnets in every zone of the VPC."""


class GpuNodePool(pulumi.ComponentResource):
    """An EKS managed node group of one GPU instance type, tainted for GPU workloads only.

    Nodes run the EKS NVIDIA AMI (driver and container toolkit included), spread over
    every private subnet, and cache model weights on an encrypted gp3 root volume of
    ``diskGiB``. Capacity reservations are targeted through the launch template; the
    reservation lives in one zone, so instances only launch there.

    A node autoscaler moves the desired size between ``minSize`` and ``maxSize``; Pulumi
    sets it only at creation and then leaves it alone. The Auto Scaling group carries the
    cluster's auto-discovery tags, and the nodes' labels, taints and GPU count as
    scale-from-zero templates, so the autoscaler knows what a new node will be while the
    group has none.
    """

    def __init__(
        self, name: str, args: GpuNodePoolArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("servegate:index:GpuNodePool", name, None, opts)
        pool = args.pool
        child = pulumi.ResourceOptions(parent=self)
        reservation = (
            pool.capacity_reservation_id if pool.capacity_type == "capacity-reservation" else None
        )

        labels = gpu_node_labels(pool)
        self.launch_template = node_launch_template(
            f"{name}-nodes",
            disk_gib=pool.disk_gib,
            kms_key_arn=args.kms_key_arn,
            capacity_reservation_id=reservation,
            throughput_mibps=MODEL_CACHE_THROUGHPUT_MIBPS,
            iops=MODEL_CACHE_IOPS,
            opts=child,
        )
        self.node_group = aws.eks.NodeGroup(
            f"{name}-nodes",
            cluster_name=args.cluster_name,
            node_group_name=f"gpu-{pool.name}",
            node_role_arn=args.node_role_arn,
            subnet_ids=args.subnet_ids,
            ami_type=GPU_AMI_TYPE,
            instance_types=[pool.instance_type],
            capacity_type=_CAPACITY_TYPES[pool.capacity_type],
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                min_size=pool.min_size, max_size=pool.max_size, desired_size=pool.min_size
            ),
            labels=labels,
            taints=[aws.eks.NodeGroupTaintArgs(**GPU_TAINT)],
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                id=self.launch_template.id, version=self.launch_template.latest_version.apply(str)
            ),
            update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=1),
            opts=pulumi.ResourceOptions.merge(
                child, pulumi.ResourceOptions(ignore_changes=["scalingConfig.desiredSize"])
            ),
        )
        self.node_group_name: pulumi.Output[str] = self.node_group.node_group_name
        self.autoscaling_group_name: pulumi.Output[str] = self.node_group.resources.apply(
            _autoscaling_group_name
        )
        # Discovery tags (EKS sets the same two; declaring them keeps discovery by
        # construction) and the scale-from-zero node template.
        asg_tags: list[tuple[str, pulumi.Input[str], str]] = [
            ("enabled", ENABLED_TAG, "true"),
            ("owner", pulumi.Output.concat(OWNER_TAG_PREFIX, args.cluster_name), "owned"),
        ]
        asg_tags += [
            (key.removeprefix(OWNER_TAG_PREFIX).replace("/", "-"), key, value)
            for key, value in sorted(
                scale_from_zero_tags(labels, [GPU_TAINT], pool.instance.gpus).items()
            )
        ]
        self.autoscaling_group_tags = [
            aws.autoscaling.Tag(
                f"{name}-asg-{slug}",
                autoscaling_group_name=self.autoscaling_group_name,
                tag=aws.autoscaling.TagTagArgs(key=key, value=value, propagate_at_launch=False),
                opts=child,
            )
            for slug, key, value in asg_tags
        ]
        self.register_outputs(
            {
                "node_group_name": self.node_group_name,
                "autoscaling_group_name": self.autoscaling_group_name,
            }
        )


def _autoscaling_group_name(resources: Any) -> str:
    # Mapping access: the SDK hands nested outputs over as dicts (typed or plain).
    groups = resources[0]["autoscaling_groups"] if resources else None
    name: str | None = groups[0]["name"] if groups else None
    if not name:
        raise ValueError("the EKS node group reported no Auto Scaling group")
    return name


@dataclass(frozen=True)
class NvidiaDevicePluginArgs:
    """Inputs of :class:`NvidiaDevicePlugin`."""

    registry: RegistrySpec
    """The stack's image mirror and chart registry."""


def device_plugin_values(registry: RegistrySpec) -> dict[str, Any]:
    """Helm values: run only on GPU nodes, tolerate their taint, pull through the mirror."""
    return {
        "image": {
            "repository": registry.image(DEVICE_PLUGIN_IMAGE.image),
            "tag": DEVICE_PLUGIN_IMAGE.tag,
        },
        "nodeSelector": {"servegate.io/role": "gpu"},
        "tolerations": [
            {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"},
            {"key": "CriticalAddonsOnly", "operator": "Exists"},
        ],
        "priorityClassName": "system-node-critical",
        "gfd": {"enabled": False},
    }


class NvidiaDevicePlugin(pulumi.ComponentResource):
    """The NVIDIA device plugin DaemonSet, which advertises ``nvidia.com/gpu`` on GPU nodes.

    Install it once per cluster (pass the cluster's Kubernetes provider in ``opts``).
    The chart comes from ``registry.charts`` (an ``oci://`` registry) when the stack has
    one, else from NVIDIA's Helm repository; the version is pinned either way.
    """

    def __init__(
        self, name: str, args: NvidiaDevicePluginArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("servegate:index:NvidiaDevicePlugin", name, None, opts)
        self.release = k8s.helm.v3.Release(
            f"{name}-release",
            name="nvidia-device-plugin",
            version=DEVICE_PLUGIN_CHART.version,
            **DEVICE_PLUGIN_CHART.release_source(args.registry.charts),
            namespace=DEVICE_PLUGIN_NAMESPACE,
            values=device_plugin_values(args.registry),
            atomic=True,
            cleanup_on_fail=True,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"release_status": self.release.status})
