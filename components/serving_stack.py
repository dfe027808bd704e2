"""ServingStack: the whole self-hosted serving stack of one environment, from its spec."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.audit import AuditTrail, AuditTrailArgs
from components.cluster import EksCluster, EksClusterArgs
from components.config import StackSpec
from components.gateway import ModelGateway, ModelGatewayArgs
from components.gpu_pool import (
    GpuNodePool,
    GpuNodePoolArgs,
    NvidiaDevicePlugin,
    NvidiaDevicePluginArgs,
)
from components.monitoring import Monitoring, MonitoringArgs
from components.network import SovereignNetwork, SovereignNetworkArgs
from components.vllm import VllmDeployment, VllmDeploymentArgs

MODELS_NAMESPACE = "llm-serving"
GATEWAY_NAMESPACE = "llm-gateway"
MONITORING_NAMESPACE = "monitoring"


@dataclass(frozen=True)
class ServingStackArgs:
    spec: StackSpec
    """The validated stack config (components.config.load_stack / parse_spec)."""


class ServingStack(pulumi.ComponentResource):
    """Network, cluster, GPU pools, vLLM per model, gateway, monitoring and audit trail.

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
            f"{name}-eks", EksClusterArgs(spec=spec, network=self.network), on_aws
        )
        self.pools = [
            GpuNodePool(
                f"{name}-pool-{pool.name}",
                GpuNodePoolArgs(spec=spec, pool=pool, cluster=self.cluster, network=self.network),
                on_aws,
            )
            for pool in spec.gpu_pools
        ]
        self.audit = AuditTrail(f"{name}-audit", AuditTrailArgs.of(spec), on_aws)

        in_cluster = pulumi.ResourceOptions(
            parent=self,
            providers={"aws": aws_provider, "kubernetes": self.cluster.k8s_provider},
        )
        namespaces = {
            ns: k8s.core.v1.Namespace(
                f"{name}-ns-{ns}",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=ns, labels={"app.kubernetes.io/part-of": "servegate"}
                ),
                opts=in_cluster,
            )
            for ns in (MODELS_NAMESPACE, GATEWAY_NAMESPACE, MONITORING_NAMESPACE)
        }

        def after(*deps: pulumi.Resource) -> pulumi.ResourceOptions:
            return pulumi.ResourceOptions.merge(
                in_cluster, pulumi.ResourceOptions(depends_on=list(deps))
            )

        self.device_plugin = NvidiaDevicePlugin(
            f"{name}-nvidia", NvidiaDevicePluginArgs(registry=spec.registry), after(*self.pools)
        )
        self.monitoring = Monitoring(
            f"{name}-monitoring",
            MonitoringArgs(spec=spec, namespace=MONITORING_NAMESPACE, models=spec.models),
            after(namespaces[MONITORING_NAMESPACE]),
        )
        self.models = [
            VllmDeployment(
                f"{name}-{model.name}",
                VllmDeploymentArgs(
                    spec=spec,
                    model=model,
                    namespace=MODELS_NAMESPACE,
                    oidc_provider_arn=self.cluster.oidc_provider_arn,
                    oidc_provider_url=self.cluster.oidc_provider_url,
                ),
                after(namespaces[MODELS_NAMESPACE], self.monitoring, self.device_plugin),
            )
            for model in spec.models
        ]
        self.gateway = ModelGateway(
            f"{name}-gateway",
            ModelGatewayArgs(
                gateway=spec.gateway,
                registry=spec.registry,
                models=self.models,
                namespace=GATEWAY_NAMESPACE,
                models_namespace=MODELS_NAMESPACE,
            ),
            after(namespaces[GATEWAY_NAMESPACE]),
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
