"""Argo Rollouts: analysed canaries of the models that declare one, rolled back on the SLO.

One Argo Rollouts controller (Helm, pinned in components/data/versions.yaml, chart and image
through the stack's mirrors) and, per analysed model, an AnalysisTemplate holding the model's
gateway SLIs to its SLO (components/canary_analysis.py) and a Rollout that takes over the
model's Deployment (``workloadRef``): the Deployment's pod template, which carries the
canary's version, is what the Rollout rolls out, in the canary's steps, each followed by the
analysis. The Deployment stays in the plan for every workload rule to judge; the controller
scales it to zero once the Rollout is healthy (``scaleDown: onsuccess``, docs/migrating.md at
argoproj/argo-rollouts v1.9.1) and KEDA scales the Rollout.

No traffic router: the gateway's model routes are AIGatewayRoutes, which no Argo Rollouts
traffic-router plugin drives (the Gateway API plugin sets HTTPRoute weights, and Envoy AI
Gateway regenerates the HTTPRoute of an AIGatewayRoute from it). Without one, Argo Rollouts
sets a step's weight by replica count (utils/replicaset/canary.go,
CalculateReplicaCountsForBasicCanary): the canary's real share is its pods over all the
model's pods behind its one Service, which :func:`replica_share` bounds.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
from pulumi import ResourceOptions

from components import canary_analysis, k8s_labels, namespaces, versions
from components.config import ModelSpec, RegistrySpec
from components.gateway_telemetry import GatewayTelemetry
from components.slo_rules import Objectives
from components.vllm import RolloutWorkload

CHART = versions.chart("argo-rollouts")
IMAGE = versions.image("argo-rollouts")
NAMESPACE = namespaces.ARGO_ROLLOUTS
RELEASE_NAME = "argo-rollouts"
WORKLOAD_SCALE_DOWN = "onsuccess"
# A canary replica more than the Rollout's count while a step starts, none fewer: GPU replicas
# are scarce, but an SLA-bound model must not lose capacity during a rollout.
MAX_SURGE = 1
MAX_UNAVAILABLE = 0
REVISION_HISTORY = 3


@dataclass(frozen=True)
class RolloutTarget:
    """One analysed model: what its Rollout takes over and how it rolls out."""

    model: ModelSpec
    """The model (its served name selects its gateway SLIs)."""
    steps: tuple[int, ...]
    """Traffic shares (%) of the canary, each analysed before the next."""
    workload: RolloutWorkload
    """The model's Deployment, selector, replica floor and progress deadline."""


@dataclass(frozen=True)
class ProgressiveDeliveryArgs:
    """Inputs of :class:`ProgressiveDelivery`."""

    targets: Sequence[RolloutTarget]
    namespace: str
    """Namespace of the model servers (Rollouts and AnalysisTemplates go beside them)."""
    objectives: Objectives
    """The SLO the analyses hold each model to."""
    gateway: GatewayTelemetry
    """How the gateway names the models' SLIs."""
    prometheus_url: str
    """Where the analyses query the SLIs."""
    registry: RegistrySpec
    """The stack's chart and image mirrors."""
    node_selector: Mapping[str, str]
    """Nodes the controller runs on (the system nodes)."""


def replica_share(weight: int, replicas: int) -> float:
    """The most traffic (%) a step of ``weight`` gives the canary at ``replicas`` pods.

    Argo Rollouts without a traffic router runs ceil(replicas * weight / 100) canary pods
    out of ``replicas`` (or floor, or one surge pod more, whichever lands nearer the
    weight); ceil over ``replicas`` is the largest of these shares.
    """
    if replicas <= 0:
        return 100.0
    return 100 * math.ceil(replicas * weight / 100) / replicas


def controller_values(args: ProgressiveDeliveryArgs) -> dict[str, Any]:
    """Values of the argo-rollouts chart: pinned image, no dashboard, on the system nodes."""
    registry, _, repository = IMAGE.image.partition("/")
    if args.registry.images:
        registry = args.registry.images.rstrip("/")
    return {
        "installCRDs": True,
        "controller": {
            "image": {"registry": registry, "repository": repository, "tag": IMAGE.tag},
            "nodeSelector": dict(args.node_selector),
            "resources": {
                "requests": {"cpu": "100m", "memory": "256Mi"},
                "limits": {"memory": "512Mi"},
            },
        },
        # The dashboard is an unauthenticated UI that can promote and abort rollouts.
        "dashboard": {"enabled": False},
    }


def template_name(model: ModelSpec) -> str:
    return f"vllm-{model.name}-slo"


def rollout_spec(target: RolloutTarget, deployment_name: str) -> dict[str, Any]:
    """``spec`` of the model's Rollout (argoproj.io/v1alpha1)."""
    workload = target.workload
    return {
        "replicas": workload.replicas,
        "revisionHistoryLimit": REVISION_HISTORY,
        "selector": {"matchLabels": dict(workload.selector)},
        "workloadRef": {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": deployment_name,
            "scaleDown": WORKLOAD_SCALE_DOWN,
        },
        "progressDeadlineSeconds": workload.progress_deadline_seconds,
        # A canary that never gets ready is rolled back too, not left half-deployed.
        "progressDeadlineAbort": True,
        "strategy": {
            "canary": {
                "maxSurge": MAX_SURGE,
                "maxUnavailable": MAX_UNAVAILABLE,
                "steps": canary_analysis.canary_steps(target.steps, template_name(target.model)),
            }
        },
    }


class ProgressiveDelivery(pulumi.ComponentResource):
    """The Argo Rollouts controller and, per analysed model, its AnalysisTemplate and Rollout."""

    release: k8s.helm.v3.Release
    rollouts: dict[str, k8s.apiextensions.CustomResource]
    """Each analysed model's Rollout, by model name."""

    def __init__(
        self, name: str, args: ProgressiveDeliveryArgs, opts: ResourceOptions | None = None
    ) -> None:
        super().__init__("servegate:index:ProgressiveDelivery", name, None, opts)
        child = ResourceOptions(parent=self)
        self.release = k8s.helm.v3.Release(
            f"{name}-argo-rollouts",
            k8s.helm.v3.ReleaseArgs(
                name=RELEASE_NAME,
                namespace=NAMESPACE,
                version=CHART.version,
                values=controller_values(args),
                atomic=True,
                cleanup_on_fail=True,
                **CHART.release_source(args.registry.charts),
            ),
            opts=child,
        )
        after_crds = ResourceOptions(parent=self, depends_on=[self.release])
        self.rollouts = {}
        for target in args.targets:
            model = target.model
            labels = k8s_labels.model_server(model.name, "stable")
            metrics = canary_analysis.analysis_metrics(args.objectives, model, args.gateway)
            template = k8s.apiextensions.CustomResource(
                f"{name}-{model.name}-analysis",
                api_version=canary_analysis.ARGO_API,
                kind="AnalysisTemplate",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=template_name(model), namespace=args.namespace, labels=labels
                ),
                spec=canary_analysis.analysis_template_spec(metrics, args.prometheus_url),
                opts=after_crds,
            )
            self.rollouts[model.name] = k8s.apiextensions.CustomResource(
                f"{name}-{model.name}-rollout",
                api_version=canary_analysis.ARGO_API,
                kind="Rollout",
                # The Deployment's name: KEDA scales the Rollout under it
                # (components/vllm.py, VllmDeployment._scaled_object).
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=target.workload.deployment_name,
                    namespace=args.namespace,
                    labels=labels,
                ),
                spec=target.workload.deployment_name.apply(functools.partial(rollout_spec, target)),
                opts=ResourceOptions(parent=self, depends_on=[self.release, template]),
            )
        self.register_outputs(
            {
                "release_status": self.release.status,
                "rollouts": {key: r.id for key, r in self.rollouts.items()},
            }
        )
