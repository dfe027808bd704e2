"""ServingStack: the whole self-hosted serving stack of one environment, from its spec."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components import namespaces
from components.audit import AuditTrail, AuditTrailArgs, log_retention_days
from components.cluster import SYSTEM_NODE_LABELS, EksCluster, EksClusterArgs
from components.config import StackSpec
from components.gateway import ENVOY_GATEWAY_NAMESPACE, ModelGateway, ModelGatewayArgs
from components.gateway_telemetry import GatewayTelemetry
from components.gpu_pool import (
    GpuNodePool,
    GpuNodePoolArgs,
    NvidiaDevicePlugin,
    NvidiaDevicePluginArgs,
)
from components.monitoring import Monitoring, MonitoringArgs
from components.network import SovereignNetwork, SovereignNetworkArgs
from components.node_autoscaler import NodeAutoscaler, NodeAutoscalerArgs
from components.slo_rules import Objectives, replica_prices
from components.vllm import VllmDeployment, VllmDeploymentArgs

MODELS_NAMESPACE = namespaces.MODELS
GATEWAY_NAMESPACE = namespaces.GATEWAY
MONITORING_NAMESPACE = namespaces.MONITORING


def gateway_telemetry(name: str, spec: StackSpec) -> GatewayTelemetry:
    """How the gateway of the ServingStack ``name`` shows up in its metrics."""
    gateway_name = f"{name}-gateway"
    return GatewayTelemetry(
        proxy_namespace=ENVOY_GATEWAY_NAMESPACE,
        gateway_namespace=GATEWAY_NAMESPACE,
        gateway_name=gateway_name,
        # ModelGateway names its AIGatewayRoute "<name>-route" and gives it one rule per
        # model, in the order of spec.models (tests/components/test_serving_stack.py).
        route_name=f"{gateway_name}-route",
        route_models=tuple(model.name for model in spec.models),
        scrape_namespace=MONITORING_NAMESPACE,
    )


@dataclass(frozen=True)
class ServingStackArgs:
    spec: StackSpec
    """The validated stack config (components.config.load_stack / parse_spec)."""


class ServingStack(pulumi.ComponentResource):
    """Network, cluster, GPU pools and their autoscaler, vLLM per model, gateway, monitoring, audit.

    Every AWS resource goes through one provider pinned to the stack's region whose
    default tags carry the required tags: residency and tagging hold by construction.
    """

    def __init__(
        self, name: str, args: ServingStackArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("servegate:index:ServingStack", name, None, opts)
        spec = args.spec
        aws_provider = aws.Provider(
            f"{name}-aws",
            region=spec.region,
            default_tags=aws.ProviderDefaultTagsArgs(tags=dict(spec.tags)),
            opts=pulumi.ResourceOptions(parent=self),
        )
        on_aws = pulumi.ResourceOptions(parent=self, providers={"aws": aws_provider})

        self.network = SovereignNetwork(f"{name}-net", SovereignNetworkArgs.of(spec), on_aws)
        self.cluster = EksCluster(
            f"{name}-eks",
            EksClusterArgs(
                region=spec.region,
                cluster=spec.cluster,
                log_retention_days=log_retention_days(spec.audit),
                private_subnet_ids=self.network.private_subnet_ids,
            ),
            on_aws,
        )
        self.pools = [
            GpuNodePool(
                f"{name}-pool-{pool.name}",
                GpuNodePoolArgs(
                    pool=pool,
                    cluster_name=self.cluster.cluster_name,
                    node_role_arn=self.cluster.node_role.arn,
                    kms_key_arn=self.cluster.kms_key.arn,
                    subnet_ids=self.network.private_subnet_ids,
                ),
                on_aws,
            )
            for pool in spec.gpu_pools
        ]
        self.audit = AuditTrail(f"{name}-audit", AuditTrailArgs.of(spec), on_aws)

        in_cluster = pulumi.ResourceOptions(
            parent=self,
            providers={"aws": aws_provider, "kubernetes": self.cluster.k8s_provider},
        )
        # Every namespace the stack's pods run in, declared here (not left to Helm's
        # create_namespace) so each carries its Pod Security admission labels.
        version = spec.cluster.kubernetes_version
        created = {
            ns.name: k8s.core.v1.Namespace(
                f"{name}-ns-{ns.name}",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=ns.name, labels=ns.labels(version)),
                opts=in_cluster,
            )
            for ns in namespaces.NAMESPACES
        }

        def after(*deps: pulumi.Resource) -> pulumi.ResourceOptions:
            return pulumi.ResourceOptions.merge(
                in_cluster, pulumi.ResourceOptions(depends_on=list(deps))
            )

        self.device_plugin = NvidiaDevicePlugin(
            f"{name}-nvidia", NvidiaDevicePluginArgs(registry=spec.registry), after(*self.pools)
        )
        self.node_autoscaler = NodeAutoscaler(
            f"{name}-autoscaler",
            NodeAutoscalerArgs(
                cluster_name=self.cluster.cluster_name,
                cluster_arn=self.cluster.cluster_arn,
                region=spec.region,
                kubernetes_version=spec.cluster.kubernetes_version,
                registry=spec.registry,
                oidc_provider_arn=self.cluster.oidc_provider_arn,
                oidc_provider_url=self.cluster.oidc_provider_url,
                node_selector=dict(SYSTEM_NODE_LABELS),
            ),
            after(*self.pools),
        )
        gateway = gateway_telemetry(name, spec)
        self.monitoring = Monitoring(
            f"{name}-monitoring",
            MonitoringArgs(
                namespace=MONITORING_NAMESPACE,
                settings=spec.monitoring,
                registry=spec.registry,
                objectives=Objectives.of(spec.sla),
                models=spec.models,
                gateway=gateway,
                replica_usd_per_hour=replica_prices(spec),
            ),
            after(created[MONITORING_NAMESPACE], created[namespaces.KEDA]),
        )
        self.models = [
            VllmDeployment(
                f"{name}-{model.name}",
                VllmDeploymentArgs.for_model(
                    spec,
                    model,
                    namespace=MODELS_NAMESPACE,
                    oidc_provider_arn=self.cluster.oidc_provider_arn,
                    oidc_provider_url=self.cluster.oidc_provider_url,
                ),
                after(created[MODELS_NAMESPACE], self.monitoring, self.device_plugin),
            )
            for model in spec.models
        ]
        self.gateway = ModelGateway(
            gateway.gateway_name,
            ModelGatewayArgs(
                gateway=spec.gateway,
                registry=spec.registry,
                models=self.models,
                namespace=GATEWAY_NAMESPACE,
                models_namespace=MODELS_NAMESPACE,
            ),
            after(
                created[GATEWAY_NAMESPACE],
                created[namespaces.ENVOY_GATEWAY],
                created[namespaces.AI_GATEWAY],
            ),
        )

        self.endpoint = self.gateway.endpoint
        self.cluster_name = self.cluster.cluster_name
        self.dashboards = self.monitoring.dashboards
        self.register_outputs(
            {
                "endpoint": self.endpoint,
                "cluster_name": self.cluster_name,
                "dashboards": self.dashboards,
            }
        )
