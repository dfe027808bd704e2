"""NodeAutoscaler: Cluster Autoscaler, which adds GPU nodes when model pods stay Pending.

KEDA scales model servers up to ``replicas.max``; without a node autoscaler the extra pods
wait forever. Cluster Autoscaler discovers the stack's EKS managed node groups by the tags
EKS puts on their Auto Scaling groups and only moves each group's desired size between its
``minSize`` and ``maxSize``: the node group stays the one definition of the nodes (labels,
taints, launch template, subnets, bounds), so what the policies judge on the node group is
what every added node gets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components import catalog, iam, versions
from components.config import RegistrySpec

NAMESPACE = "kube-system"
SERVICE_ACCOUNT = "cluster-autoscaler"
RELEASE_NAME = "cluster-autoscaler"
# Auto-discovery tags EKS puts on the Auto Scaling group of every managed node group.
ENABLED_TAG = "k8s.io/cluster-autoscaler/enabled"
OWNER_TAG_PREFIX = "k8s.io/cluster-autoscaler/"
# Scale-from-zero templates Cluster Autoscaler reads from Auto Scaling group tags
# (cluster-autoscaler/cloudprovider/aws/README.md, "Auto-Discovery Setup").
NODE_TEMPLATE_LABEL = "k8s.io/cluster-autoscaler/node-template/label/"
NODE_TEMPLATE_TAINT = "k8s.io/cluster-autoscaler/node-template/taint/"
NODE_TEMPLATE_RESOURCE = "k8s.io/cluster-autoscaler/node-template/resources/"
# Cluster Autoscaler's AWS GPU label: a node carrying it whose device plugin has not yet
# advertised nvidia.com/gpu counts as still starting, so one Pending pod adds one node,
# not one per loop (cloudprovider/aws/aws_cloud_provider.go, GPULabel).
GPU_LABEL = "k8s.amazonaws.com/accelerator"
# EKS API taint effects and their Kubernetes names.
K8S_TAINT_EFFECTS = {
    "NO_SCHEDULE": "NoSchedule",
    "NO_EXECUTE": "NoExecute",
    "PREFER_NO_SCHEDULE": "PreferNoSchedule",
}


CHART_PIN = versions.chart("cluster-autoscaler")


def image_pin(kubernetes_version: str) -> versions.ImagePin:
    """The Cluster Autoscaler image for a cluster version ("1.35"); KeyError when unpinned.

    Its minor must match the cluster's: it simulates scheduling with the scheduler code of
    its own release.
    """
    return versions.image(f"{catalog.CLUSTER_AUTOSCALER_IMAGE_PREFIX}{kubernetes_version}")


def scale_from_zero_tags(
    labels: dict[str, str], taints: Sequence[dict[str, str]], gpus: int
) -> dict[str, str]:
    """Auto Scaling group tags describing a node before one exists (scale from zero).

    ``taints`` use the EKS API effect names (``NO_SCHEDULE``); the tags use Kubernetes'.
    """
    tags = {f"{NODE_TEMPLATE_LABEL}{key}": value for key, value in labels.items()}
    for taint in taints:
        tags[f"{NODE_TEMPLATE_TAINT}{taint['key']}"] = (
            f"{taint.get('value', '')}:{K8S_TAINT_EFFECTS[taint['effect']]}"
        )
    tags[f"{NODE_TEMPLATE_RESOURCE}nvidia.com/gpu"] = str(gpus)
    return tags


@dataclass(frozen=True)
class NodeAutoscalerArgs:
    """Inputs of :class:`NodeAutoscaler`."""

    cluster_name: pulumi.Input[str]
    """The EKS cluster whose node groups it discovers."""
    cluster_arn: pulumi.Input[str]
    """The cluster's ARN: the account of the Auto Scaling groups it may scale."""
    region: str
    """The stack's region: the AWS APIs it calls (through the VPC's endpoints)."""
    kubernetes_version: str
    """The cluster's Kubernetes minor, which selects the image."""
    registry: RegistrySpec
    """Image mirror and chart registry (in-region when air-gapped)."""
    oidc_provider_arn: pulumi.Input[str]
    oidc_provider_url: pulumi.Input[str]
    """The cluster's OIDC provider, for the IRSA role."""
    node_selector: dict[str, str]
    """Where it runs: the system nodes, never the GPU nodes it scales away."""


def autoscaler_values(args: NodeAutoscalerArgs, role_arn: pulumi.Input[str]) -> dict[str, Any]:
    """Helm values of the pinned chart (every key exists in its values.yaml).

    Outputs stay at the leaves, so a preview knows every value but the role's ARN.
    """
    image = image_pin(args.kubernetes_version)
    return {
        "cloudProvider": "aws",
        # AWS_REGION for the SDK: without it the region comes from instance metadata,
        # which pods cannot reach (hop limit 1, components.cluster.node_launch_template).
        "awsRegion": args.region,
        # Credentials from the in-region STS endpoint (the VPC's interface endpoint), as
        # cloudprovider/aws/README.md advises; the global one is outside an air gap.
        "extraEnv": {"AWS_STS_REGIONAL_ENDPOINTS": "regional"},
        # The chart's default tags: the two EKS puts on every managed node group.
        "autoDiscovery": {
            "clusterName": args.cluster_name,
            "tags": [ENABLED_TAG, pulumi.Output.concat(OWNER_TAG_PREFIX, args.cluster_name)],
        },
        "image": {"repository": args.registry.image(image.image), "tag": image.tag},
        "rbac": {
            "serviceAccount": {
                "create": True,
                "name": SERVICE_ACCOUNT,
                "annotations": {"eks.amazonaws.com/role-arn": role_arn},
            }
        },
        "extraArgs": {
            # Model pods keep their weights in a disk-backed emptyDir, which by default
            # blocks every scale-down (utils/drain/drain.go isLocalVolume); the weights
            # are a copy of the in-region store, fetched again on the next node.
            "skip-nodes-with-local-storage": "false",
            # Several pools may fit one pod; prefer the one left least idle.
            "expander": "least-waste",
        },
        "nodeSelector": dict(args.node_selector),
        "priorityClassName": "system-cluster-critical",
        "resources": {
            "requests": {"cpu": "100m", "memory": "300Mi"},
            "limits": {"memory": "600Mi"},
        },
    }


class NodeAutoscaler(pulumi.ComponentResource):
    """Cluster Autoscaler (Helm, pinned) with an IRSA role limited to the cluster's node groups.

    Install it once per cluster (pass the cluster's Kubernetes provider and the stack's AWS
    provider in ``opts``). The chart comes from ``registry.charts`` (an ``oci://``
    registry) when the stack has one, else from the Kubernetes autoscaler Helm repository;
    the image comes through ``registry.images`` when set.
    """

    def __init__(
        self, name: str, args: NodeAutoscalerArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("servegate:index:NodeAutoscaler", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        region = args.region

        self.role = aws.iam.Role(
            f"{name}-irsa",
            assume_role_policy=pulumi.Output.all(
                args.oidc_provider_arn, args.oidc_provider_url
            ).apply(
                lambda values: iam.irsa_trust(values[0], values[1], NAMESPACE, SERVICE_ACCOUNT)
            ),
            description=f"{NAMESPACE}/{SERVICE_ACCOUNT} (IRSA)",
            opts=child,
        )
        self.policy = aws.iam.RolePolicy(
            f"{name}-scaling",
            role=self.role.id,
            policy=pulumi.Output.all(args.cluster_arn, args.cluster_name).apply(
                lambda values: iam.cluster_autoscaler_policy(
                    region, iam.account_of(values[0]), values[1]
                )
            ),
            opts=child,
        )
        self.release = k8s.helm.v3.Release(
            f"{name}-release",
            name=RELEASE_NAME,
            version=CHART_PIN.version,
            **CHART_PIN.release_source(args.registry.charts),
            namespace=NAMESPACE,
            values=autoscaler_values(args, self.role.arn),
            atomic=True,
            cleanup_on_fail=True,
            opts=pulumi.ResourceOptions.merge(
                child, pulumi.ResourceOptions(depends_on=[self.policy])
            ),
        )
        self.register_outputs({"role_arn": self.role.arn, "release_status": self.release.status})
