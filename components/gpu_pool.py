"""GPU capacity: one EKS managed node group per pool, and the NVIDIA device plugin."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components import versions
from components.cluster import EksCluster, node_launch_template
from components.config import GpuPoolSpec, RegistrySpec, StackSpec
from components.network import SovereignNetwork

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
    }


@dataclass(frozen=True)
class GpuNodePoolArgs:
    """Inputs of :class:`GpuNodePool`."""

    spec: StackSpec
    """The validated stack."""
    pool: GpuPoolSpec
    """The pool this node group implements."""
    cluster: EksCluster
    """The cluster the nodes join; provides the node role and the volume KMS key."""
    network: SovereignNetwork
    """The VPC; nodes go to its private subnets in every zone."""


class GpuNodePool(pulumi.ComponentResource):
    """An EKS managed node group of one GPU instance type, tainted for GPU workloads only.

    Nodes run the EKS NVIDIA AMI (driver and container toolkit included), spread over
    every private subnet, and cache model weights on an encrypted gp3 root volume of
    ``diskGiB``. Capacity reservations are targeted through the launch template; the
    reservation lives in one zone, so instances only launch there.
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

        self.launch_template = node_launch_template(
            f"{name}-nodes",
            disk_gib=pool.disk_gib,
            kms_key_arn=args.cluster.kms_key.arn,
            capacity_reservation_id=reservation,
            throughput_mibps=MODEL_CACHE_THROUGHPUT_MIBPS,
            iops=MODEL_CACHE_IOPS,
            opts=child,
        )
        self.node_group = aws.eks.NodeGroup(
            f"{name}-nodes",
            cluster_name=args.cluster.cluster_name,
            node_group_name=f"gpu-{pool.name}",
            node_role_arn=args.cluster.node_role.arn,
            subnet_ids=args.network.private_subnet_ids,
            ami_type=GPU_AMI_TYPE,
            instance_types=[pool.instance_type],
            capacity_type=_CAPACITY_TYPES[pool.capacity_type],
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                min_size=pool.min_size, max_size=pool.max_size, desired_size=pool.min_size
            ),
            labels=gpu_node_labels(pool),
            taints=[aws.eks.NodeGroupTaintArgs(**GPU_TAINT)],
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                id=self.launch_template.id, version=self.launch_template.latest_version.apply(str)
            ),
            update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=1),
            opts=child,
        )
        self.node_group_name: pulumi.Output[str] = self.node_group.node_group_name
        self.register_outputs({"node_group_name": self.node_group_name})


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
