"""ServingStack: the whole self-hosted serving stack of one environment, from its spec."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components import catalog, namespaces
from components.api_keys import GatewayApiKeys, GatewayApiKeysArgs
from components.audit import AuditTrail, AuditTrailArgs, log_retention_days
from components.cluster import SERVICE_CIDR, SYSTEM_NODE_LABELS, EksCluster, EksClusterArgs
from components.config import StackSpec
from components.external_backends import ExternalBackends, ExternalBackendsArgs
from components.gateway import (
    AI_GATEWAY_NAMESPACE,
    ENVOY_GATEWAY_NAMESPACE,
    LISTENER_PORT,
    ModelGateway,
    ModelGatewayArgs,
)
from components.gateway_telemetry import GatewayTelemetry
from components.gpu_pool import (
    GpuNodePool,
    GpuNodePoolArgs,
    NvidiaDevicePlugin,
    NvidiaDevicePluginArgs,
)
from components.monitoring import KEDA_NAMESPACE, Monitoring, MonitoringArgs
from components.network import SovereignNetwork, SovereignNetworkArgs
from components.network_policies import (
    NetworkPolicies,
    NetworkPoliciesArgs,
    proxy_pods,
    service_cluster_ip,
)
from components.node_autoscaler import NodeAutoscaler, NodeAutoscalerArgs
from components.payload_capture import PayloadCapture, PayloadCaptureArgs, extproc_env
from components.progressive_delivery import (
    ProgressiveDelivery,
    ProgressiveDeliveryArgs,
    RolloutTarget,
)
from components.routing import RouteRule, plan_routes
from components.slo_rules import Objectives, replica_prices
from components.vllm import PROMETHEUS_URL, VllmDeployment, VllmDeploymentArgs

if TYPE_CHECKING:
    from servegate.enforcement import ProgramGate

MODELS_NAMESPACE = namespaces.MODELS
GATEWAY_NAMESPACE = namespaces.GATEWAY
MONITORING_NAMESPACE = namespaces.MONITORING


def route_plan(spec: StackSpec) -> tuple[RouteRule, ...]:
    """The gateway route's rules: per model name and classification, and each catch-all."""
    return plan_routes(
        spec.models,
        spec.external_backends,
        spec.routes,
        spec.classifications,
        spec.gateway.client_classifications,
    )


def gateway_telemetry(name: str, spec: StackSpec) -> GatewayTelemetry:
    """How the gateway of the ServingStack ``name`` shows up in its metrics."""
    gateway_name = f"{name}-gateway"
    return GatewayTelemetry(
        proxy_namespace=ENVOY_GATEWAY_NAMESPACE,
        gateway_namespace=GATEWAY_NAMESPACE,
        gateway_name=gateway_name,
        # ModelGateway names its AIGatewayRoute "<name>-route" and gives it the rules of
        # route_plan, in order (tests/components/test_serving_stack.py).
        route_name=f"{gateway_name}-route",
        route_models=tuple(
            tuple(hop.backend for hop in rule.hops if not hop.external) for rule in route_plan(spec)
        ),
        scrape_namespace=MONITORING_NAMESPACE,
    )


def start_enforcement(spec: StackSpec) -> ProgramGate | None:
    """Judge every resource declared from now on with the gate's policies (servegate.enforcement).

    None when the stack config switches it off (``llm-serving:enforcement: off``, which AUD-012
    reports) or when the offline gate runs the program: it judges the whole run afterwards.
    """
    # Imported here: the policy engine is needed only when the program enforces.
    from servegate.enforcement import EnforcementSettings, StackFacts, enforce, stand_aside
    from servegate.plan.offline import gating_offline

    if not spec.enforced or gating_offline():
        stand_aside()
        return None
    facts = StackFacts(
        stack=pulumi.get_stack(),
        project=pulumi.get_project(),
        declared=spec.declared(),
        region=spec.region,
        config={"aws:region": spec.region},
    )
    # Pulumi runs the program in the project's folder.
    return enforce(facts, EnforcementSettings.from_environment(Path.cwd()))


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
        # Before super().__init__: each resource copies the transformations registered at its
        # construction, and this component's children inherit its copy.
        gate = start_enforcement(args.spec)
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
        targets = [
            RolloutTarget(model, model.canary.rollout_steps(), served.rollout)
            for model, served in zip(spec.models, self.models, strict=True)
            if served.rollout is not None and model.canary is not None
        ]
        self.progressive_delivery: ProgressiveDelivery | None = None
        if targets:
            self.progressive_delivery = ProgressiveDelivery(
                f"{name}-rollouts",
                ProgressiveDeliveryArgs(
                    targets=targets,
                    namespace=MODELS_NAMESPACE,
                    objectives=Objectives.of(spec.sla),
                    gateway=gateway,
                    prometheus_url=PROMETHEUS_URL,
                    registry=spec.registry,
                    node_selector=dict(SYSTEM_NODE_LABELS),
                ),
                after(created[namespaces.ARGO_ROLLOUTS], *self.models),
            )
        gateway_deps: list[pulumi.Resource] = [
            created[GATEWAY_NAMESPACE],
            created[namespaces.ENVOY_GATEWAY],
            created[namespaces.AI_GATEWAY],
        ]
        api_keys_secret = None
        if spec.gateway.auth == "api-key" and spec.gateway.api_keys is not None:
            self.api_keys = GatewayApiKeys(
                f"{gateway.gateway_name}-api-keys",
                GatewayApiKeysArgs(
                    source=spec.gateway.api_keys,
                    stack=spec.stack,
                    region=spec.region,
                    namespace=GATEWAY_NAMESPACE,
                    secret_name=f"{gateway.gateway_name}-api-keys",
                    registry=spec.registry,
                    kms_key_arn=self.cluster.kms_key.arn,
                    oidc_provider_arn=self.cluster.oidc_provider_arn,
                    oidc_provider_url=self.cluster.oidc_provider_url,
                ),
                after(created[GATEWAY_NAMESPACE]),
            )
            api_keys_secret = self.api_keys.secret_name
            gateway_deps.append(self.api_keys)
        sampling = spec.observability.payload_sampling
        bedrock = any(b.credentials.source == "pod-identity" for b in spec.external_backends)
        proxy_account = f"{gateway.gateway_name}-proxy" if bedrock else None
        self.external_backends: ExternalBackends | None = None
        if spec.external_backends:
            eso_installed = spec.gateway.auth == "api-key" and (
                spec.gateway.api_keys is not None
                and spec.gateway.api_keys.source == "secrets-manager"
            )
            self.external_backends = ExternalBackends(
                f"{gateway.gateway_name}-external",
                ExternalBackendsArgs(
                    backends=spec.external_backends,
                    gateway_name=gateway.gateway_name,
                    namespace=GATEWAY_NAMESPACE,
                    known_endpoints=frozenset(catalog.external_endpoints()),
                    region=spec.region,
                    registry=spec.registry,
                    install_operator=not eso_installed,
                    kms_key_arn=self.cluster.kms_key.arn,
                    oidc_provider_arn=self.cluster.oidc_provider_arn,
                    oidc_provider_url=self.cluster.oidc_provider_url,
                    cluster_name=self.cluster.cluster_name,
                    proxy_namespace=ENVOY_GATEWAY_NAMESPACE,
                    proxy_service_account=f"{gateway.gateway_name}-proxy",
                ),
                after(*gateway_deps),
            )
            gateway_deps.append(self.external_backends)
        self.gateway = ModelGateway(
            gateway.gateway_name,
            ModelGatewayArgs(
                gateway=spec.gateway,
                registry=spec.registry,
                models=self.models,
                namespace=GATEWAY_NAMESPACE,
                models_namespace=MODELS_NAMESPACE,
                api_keys_secret=api_keys_secret,
                rules=route_plan(spec),
                external_backends=(
                    self.external_backends.names if self.external_backends else None
                ),
                proxy_service_account=proxy_account,
                extproc_env=extproc_env(sampling) if sampling.enabled else (),
            ),
            after(*gateway_deps),
        )
        self.payload_capture: PayloadCapture | None = None
        if sampling.enabled:
            self.payload_capture = PayloadCapture(
                f"{name}-capture",
                PayloadCaptureArgs(
                    stack=spec.stack,
                    region=spec.region,
                    sampling=sampling,
                    registry=spec.registry,
                    kms_key_arn=self.cluster.kms_key.arn,
                    oidc_provider_arn=self.cluster.oidc_provider_arn,
                    oidc_provider_url=self.cluster.oidc_provider_url,
                    kubernetes_version=spec.cluster.kubernetes_version,
                    node_selector=dict(SYSTEM_NODE_LABELS),
                    proxy_namespace=ENVOY_GATEWAY_NAMESPACE,
                    proxy_pods=proxy_pods(gateway.gateway_name, GATEWAY_NAMESPACE),
                    vpc_cidr=spec.network.cidr,
                    s3_cidrs=self.network.s3_cidr_blocks,
                ),
                after(*created.values(), self.gateway),
            )

        # After the releases that create the Envoy Gateway, AI Gateway and KEDA namespaces.
        self.network_policies = NetworkPolicies(
            f"{name}-netpol",
            NetworkPoliciesArgs(
                models_namespace=MODELS_NAMESPACE,
                gateway_namespace=GATEWAY_NAMESPACE,
                monitoring_namespace=MONITORING_NAMESPACE,
                proxy_namespace=ENVOY_GATEWAY_NAMESPACE,
                ai_gateway_namespace=AI_GATEWAY_NAMESPACE,
                keda_namespace=KEDA_NAMESPACE,
                # Every stack creates the namespace, so every stack isolates it.
                argo_rollouts_namespace=namespaces.ARGO_ROLLOUTS,
                gateway_name=gateway.gateway_name,
                listener_port=LISTENER_PORT,
                internet_facing=spec.gateway.internet_facing,
                vpc_cidr=spec.network.cidr,
                api_server_ip=service_cluster_ip(SERVICE_CIDR),
                s3_cidrs=self.network.s3_cidr_blocks,
                models_reach_internet=any(
                    source.startswith("hf://")
                    for model in spec.models
                    for source in (
                        model.source,
                        *([model.canary.source] if model.canary else []),
                        *([model.shadow.source] if model.shadow else []),
                    )
                ),
                proxies_reach_internet=spec.gateway.auth == "oidc"
                or any(b.connectivity == "internet" for b in spec.external_backends),
                backend_endpoint_cidrs=tuple(self.network.backend_endpoint_cidrs),
                proxies_use_pod_identity=bedrock,
            ),
            after(*created.values(), self.gateway, self.monitoring),
        )

        self.endpoint = self.gateway.endpoint
        self.cluster_name = self.cluster.cluster_name
        self.dashboards = self.monitoring.dashboards
        outputs: dict[str, pulumi.Input[object]] = {
            "endpoint": self.endpoint,
            "cluster_name": self.cluster_name,
            "dashboards": self.dashboards,
        }
        # The stack-scope rules, once every resource above is judged: Pulumi waits for this
        # output before the program (the preview included) ends, and a violation fails it.
        self.policy_verdict: pulumi.Output[str] | None = None
        if gate is not None:
            self.policy_verdict = gate.verdict()
            outputs["policy_verdict"] = self.policy_verdict
        self.register_outputs(outputs)
