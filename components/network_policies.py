"""NetworkPolicies: default-deny ingress and egress in every namespace the stack creates, and
one allow per flow the stack needs.

Kubernetes NetworkPolicies are additive allows over a default: a pod selected by a policy of
a direction is isolated in that direction, and only what some policy's rule allows gets
through. Every namespace gets a ``default-deny`` policy selecting all its pods for Ingress
and Egress, then the policies below open exactly the flows of docs/design.md, "Network
isolation". The VPC CNI enforces them (components.cluster, ``enableNetworkPolicy``).

Pods of other projects are selected by the labels their own charts and controllers set,
read at the pinned releases (components/data/versions.yaml):

- Envoy Gateway v1.8.3: proxies ``EnvoyAppLabel`` plus the owning-Gateway labels
  (internal/infrastructure/kubernetes/proxy/resource.go), rate limit ``envoy-ratelimit``
  (internal/infrastructure/kubernetes/ratelimit/testdata/deployments/default.yaml),
  controller ``eg.selectorLabels`` + ``control-plane: envoy-gateway`` and certgen
  ``app: certgen`` (charts/gateway-helm/templates). Ports: xDS 18000, rate-limit xDS 18001,
  rate limit gRPC 8081, topology-injector webhook 9443, stats 19001; a listener port below
  1024 listens on port + 10000 (internal/gatewayapi/listener.go, wellKnownPortShift).
- Envoy AI Gateway v1.1.0: controller ``ai-gateway-helm.controller.selectorLabels``, ports
  9443 (webhook) and 1063 (extension server) (manifests/charts/ai-gateway-helm); the
  external processor's ``aigw-admin`` port 1064 in each proxy pod
  (internal/controller/extproc_builder.go).
- kube-prometheus-stack 88.5.3: Prometheus pods ``app.kubernetes.io/name: prometheus`` +
  ``operator.prometheus.io/name`` (templates/prometheus/service.yaml), the operator's
  admission webhook on 10250 (values.yaml prometheusOperator.tls.internalPort).
- KEDA 2.20.2: ``app.kubernetes.io/name`` keda-operator (metrics service 9666),
  keda-operator-metrics-apiserver (6443), keda-admission-webhooks (9443) (keda/templates).

The API server is reached at its private endpoint's ENIs, which EKS puts in the cluster's
subnets (inside the VPC CIDR), and at the ``kubernetes`` Service's ClusterIP: the VPC CNI
judges egress on the pod's interface, before kube-proxy rewrites the ClusterIP. Its webhook
calls come from those ENIs. With the VPC CNI every pod has a VPC address too, so an ipBlock
of the VPC CIDR is only ever opened on the few ports that need it (443 to the API server and
the interface endpoints, the webhook ports, the node scrape ports).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import pulumi
import pulumi_kubernetes as k8s

from components import gateway_telemetry as gw
from components import k8s_labels
from components.ratelimit_redis import REDIS_PORT
from components.vllm import VLLM_PORT

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
"""Set by the API server on every namespace (Kubernetes >= 1.22): selects one by name."""
KUBE_SYSTEM = "kube-system"
KUBE_DNS_PODS = {"k8s-app": "kube-dns"}
DNS_PORT = 53
HTTPS_PORT = 443
PROMETHEUS_PORT = 9090
# Envoy Gateway v1.8.3 (module docstring).
EG_CONTROLLER_PODS = {
    "control-plane": "envoy-gateway",
    "app.kubernetes.io/name": "gateway-helm",
    "app.kubernetes.io/instance": "eg",
}
EG_CERTGEN_PODS = {"app": "certgen"}
EG_RATELIMIT_PODS = {
    "app.kubernetes.io/name": "envoy-ratelimit",
    "app.kubernetes.io/component": "ratelimit",
    "app.kubernetes.io/managed-by": "envoy-gateway",
}
EG_XDS_PORT = 18000
EG_RATELIMIT_XDS_PORT = 18001
EG_WEBHOOK_PORT = 9443
EG_STATS_PORT = 19001
RATELIMIT_GRPC_PORT = 8081
WELL_KNOWN_PORT_SHIFT = 10000
# Envoy AI Gateway v1.1.0.
AI_GATEWAY_CONTROLLER_PODS = {
    "app.kubernetes.io/name": "ai-gateway-helm",
    "app.kubernetes.io/instance": "aieg",
}
AI_GATEWAY_WEBHOOK_PORT = 9443
AI_GATEWAY_EXTENSION_PORT = 1063
AI_GATEWAY_ADMIN_PORT = 1064
# kube-prometheus-stack 88.5.3 (fullnameOverride kube-prometheus-stack).
PROMETHEUS_PODS = {
    "app.kubernetes.io/name": "prometheus",
    "operator.prometheus.io/name": "kube-prometheus-stack-prometheus",
}
PROMETHEUS_OPERATOR_PODS = {"app": "kube-prometheus-stack-operator"}
PROMETHEUS_OPERATOR_WEBHOOK_PORT = 10250
# What Prometheus scrapes on the nodes: kubelet, node-exporter (host network), kube-proxy.
NODE_SCRAPE_PORTS = (10250, 9100, 10249)
COREDNS_METRICS_PORT = 9153
# KEDA 2.20.2.
KEDA_OPERATOR_PODS = {"app.kubernetes.io/name": "keda-operator"}
# Argo Rollouts chart 2.41.0 (templates/controller/deployment.yaml, _helpers.tpl selectorLabels):
# the controller queries Prometheus for its canary analyses.
ARGO_ROLLOUTS_CONTROLLER_PODS = {
    "app.kubernetes.io/name": "argo-rollouts",
    "app.kubernetes.io/component": "rollouts-controller",
}
KEDA_METRICS_SERVER_PODS = {"app.kubernetes.io/name": "keda-operator-metrics-apiserver"}
KEDA_WEBHOOK_PODS = {"app.kubernetes.io/name": "keda-admission-webhooks"}
KEDA_METRICS_SERVICE_PORT = 9666
KEDA_METRICS_SERVER_PORT = 6443
KEDA_WEBHOOK_PORT = 9443
REDIS_PODS = {"app.kubernetes.io/component": "ratelimit-redis"}
MODEL_SERVER_PODS = {"app.kubernetes.io/name": k8s_labels.MODEL_SERVER_APP}
# The EKS Pod Identity agent serves credentials on this node-local address and port
# (aws/eks-pod-identity-agent, the address the pod identity webhook injects as
# AWS_CONTAINER_CREDENTIALS_FULL_URI).
POD_IDENTITY_AGENT = "169.254.170.23/32"
POD_IDENTITY_AGENT_PORT = 80
DEFAULT_DENY = "default-deny"
ALLOW_DNS = "allow-dns"

Rule = dict[str, Any]


@dataclass(frozen=True)
class NetworkPoliciesArgs:
    """Inputs of :class:`NetworkPolicies`: the namespaces and the addresses the flows use."""

    models_namespace: str
    """The model servers."""
    gateway_namespace: str
    """The Gateway and the rate-limit Redis."""
    monitoring_namespace: str
    """Prometheus, Grafana, the exporters."""
    proxy_namespace: str
    """Envoy Gateway's controller, the Gateway's proxies and the rate-limit service."""
    ai_gateway_namespace: str
    """Envoy AI Gateway's controller."""
    keda_namespace: str
    """KEDA."""
    gateway_name: str
    """The stack's Gateway: its proxies carry it in their owning-gateway label."""
    listener_port: int
    """The Gateway listener's port (443); the proxy listens on it, shifted below 1024."""
    internet_facing: bool
    """Clients come from anywhere (a public load balancer), else from inside the VPC."""
    vpc_cidr: str
    """The VPC: nodes, the API server's ENIs, the interface endpoints (STS, ECR, ...)."""
    api_server_ip: str
    """The ClusterIP of the ``kubernetes`` Service (the first address of the service CIDR)."""
    s3_cidrs: pulumi.Input[Sequence[str]]
    """The CIDRs of the region's S3 prefix list, as the S3 gateway endpoint reports them."""
    models_reach_internet: bool
    """A model downloads its weights from the internet (an ``hf://`` source)."""
    proxies_reach_internet: bool
    """The proxies fetch an OIDC issuer's signing keys (``gateway.auth: oidc``), or call an
    ``internet`` external backend (through the egress firewall when sovereign)."""
    backend_endpoint_cidrs: Sequence[str] = ()
    """The subnets of the ``privatelink`` external backends' interface endpoints (only those
    endpoints live there): the proxies call the backends there."""
    proxies_use_pod_identity: bool = False
    """The proxies take AWS credentials from the node's EKS Pod Identity agent (Bedrock)."""
    argo_rollouts_namespace: str | None = None
    """Argo Rollouts' namespace (its controller queries Prometheus for canary analyses)."""


def service_cluster_ip(service_cidr: str) -> str:
    """The ClusterIP of the ``kubernetes`` Service: the first address of the service CIDR."""
    return str(next(ipaddress.IPv4Network(service_cidr).hosts()))


def proxy_container_port(listener_port: int) -> int:
    """The port Envoy Gateway's proxy listens on for a Gateway listener port."""
    return listener_port + WELL_KNOWN_PORT_SHIFT if listener_port < 1024 else listener_port


def pods(namespace: str, labels: Mapping[str, str]) -> dict[str, Any]:
    """A peer: the pods with ``labels`` in the namespace named ``namespace``."""
    return {
        "namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: namespace}},
        "podSelector": {"matchLabels": dict(labels)},
    }


def cidr(block: str) -> dict[str, Any]:
    return {"ipBlock": {"cidr": block}}


def tcp(*numbers: int) -> list[dict[str, Any]]:
    return [{"protocol": "TCP", "port": number} for number in numbers]


def default_deny() -> dict[str, Any]:
    """Selects every pod of the namespace for both directions and allows nothing."""
    return {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}


def allow_dns() -> dict[str, Any]:
    """Every pod may resolve names at the cluster DNS (kube-dns in kube-system, UDP and TCP)."""
    return {
        "podSelector": {},
        "policyTypes": ["Egress"],
        "egress": [
            {
                "to": [pods(KUBE_SYSTEM, KUBE_DNS_PODS)],
                "ports": [
                    {"protocol": "UDP", "port": DNS_PORT},
                    {"protocol": "TCP", "port": DNS_PORT},
                ],
            }
        ],
    }


def policy(
    selected: Mapping[str, str],
    *,
    ingress: Sequence[Rule] = (),
    egress: Sequence[Rule] = (),
) -> dict[str, Any]:
    """A policy for the pods with ``selected`` labels: only the directions it has rules for."""
    spec: dict[str, Any] = {"podSelector": {"matchLabels": dict(selected)}, "policyTypes": []}
    if ingress:
        spec["policyTypes"].append("Ingress")
        spec["ingress"] = list(ingress)
    if egress:
        spec["policyTypes"].append("Egress")
        spec["egress"] = list(egress)
    return spec


def proxy_pods(gateway_name: str, gateway_namespace: str) -> dict[str, str]:
    """The labels of the proxy pods Envoy Gateway runs for one Gateway."""
    return {
        **gw.PROXY_POD_LABELS,
        gw.OWNING_GATEWAY_NAME_LABEL: gateway_name,
        gw.OWNING_GATEWAY_NAMESPACE_LABEL: gateway_namespace,
    }


class Flows:
    """The policy specs of every namespace, by namespace and policy name (no Outputs but the
    S3 CIDRs, which stay at their leaves)."""

    def __init__(self, args: NetworkPoliciesArgs) -> None:
        self._args = args
        self.proxy_pods = proxy_pods(args.gateway_name, args.gateway_namespace)

    def api_server(self) -> Rule:
        """Egress to the API server: its private endpoint's ENIs and its ClusterIP."""
        return {
            "to": [cidr(self._args.vpc_cidr), cidr(f"{self._args.api_server_ip}/32")],
            "ports": tcp(HTTPS_PORT),
        }

    def internet(self) -> Rule:
        """HTTPS to anywhere outside the VPC (public endpoints: a model hub, an OIDC issuer)."""
        return {
            "to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": [self._args.vpc_cidr]}}],
            "ports": tcp(HTTPS_PORT),
        }

    def from_api_server(self, *ports: int) -> Rule:
        """Ingress of the API server's webhook calls (from its ENIs in the VPC)."""
        return {"from": [cidr(self._args.vpc_cidr)], "ports": tcp(*ports)}

    def prometheus(self) -> dict[str, Any]:
        return pods(self._args.monitoring_namespace, PROMETHEUS_PODS)

    def by_namespace(self) -> dict[str, dict[str, dict[str, Any]]]:
        a = self._args
        return {
            a.models_namespace: self.models(),
            a.gateway_namespace: self.gateway(),
            a.proxy_namespace: self.proxies(),
            a.ai_gateway_namespace: self.ai_gateway(),
            a.keda_namespace: self.keda(),
            a.monitoring_namespace: self.monitoring(),
            **(
                {a.argo_rollouts_namespace: self.argo_rollouts()}
                if a.argo_rollouts_namespace
                else {}
            ),
        }

    def argo_rollouts(self) -> dict[str, dict[str, Any]]:
        """The controller: the API server (Rollouts, ReplicaSets) and Prometheus (analyses)."""
        return {
            "rollouts-controller": policy(
                ARGO_ROLLOUTS_CONTROLLER_PODS,
                egress=[
                    self.api_server(),
                    {"to": [self.prometheus()], "ports": tcp(PROMETHEUS_PORT)},
                ],
            )
        }

    def models(self) -> dict[str, dict[str, Any]]:
        a = self._args

        # Weights: `aws s3 sync` with the pod's IRSA role, so STS (an interface endpoint in
        # the VPC) and S3 (the gateway endpoint's prefix list) on 443. Without the prefix
        # list's CIDRs there is no S3 rule at all: an empty `to` would allow every address.
        def egress(blocks: Sequence[str] | None) -> list[Rule]:
            rules: list[Rule] = [{"to": [cidr(a.vpc_cidr)], "ports": tcp(HTTPS_PORT)}]
            if blocks:
                rules.append({"to": [cidr(block) for block in blocks], "ports": tcp(HTTPS_PORT)})
            if a.models_reach_internet:
                rules.append(self.internet())
            return rules

        return {
            "model-servers": {
                "podSelector": {"matchLabels": dict(MODEL_SERVER_PODS)},
                "policyTypes": ["Ingress", "Egress"],
                "ingress": [
                    {
                        "from": [pods(a.proxy_namespace, self.proxy_pods)],
                        "ports": tcp(VLLM_PORT),
                    },
                    {"from": [self.prometheus()], "ports": tcp(VLLM_PORT)},
                ],
                "egress": pulumi.Output.from_input(a.s3_cidrs).apply(egress),
            }
        }

    def gateway(self) -> dict[str, dict[str, Any]]:
        a = self._args
        return {
            "ratelimit-redis": policy(
                REDIS_PODS,
                ingress=[
                    {
                        "from": [pods(a.proxy_namespace, EG_RATELIMIT_PODS)],
                        "ports": tcp(REDIS_PORT),
                    }
                ],
            )
        }

    def proxies(self) -> dict[str, dict[str, Any]]:
        a = self._args
        clients = "0.0.0.0/0" if a.internet_facing else a.vpc_cidr
        same = a.proxy_namespace
        return {
            "gateway-proxies": policy(
                self.proxy_pods,
                ingress=[
                    # The load balancer's targets are the pod IPs (nlb-target-type ip).
                    {"from": [cidr(clients)], "ports": tcp(proxy_container_port(a.listener_port))},
                    {
                        "from": [self.prometheus()],
                        "ports": tcp(EG_STATS_PORT, AI_GATEWAY_ADMIN_PORT),
                    },
                ],
                egress=[
                    {"to": [pods(a.models_namespace, MODEL_SERVER_PODS)], "ports": tcp(VLLM_PORT)},
                    {"to": [pods(same, EG_CONTROLLER_PODS)], "ports": tcp(EG_XDS_PORT)},
                    {"to": [pods(same, EG_RATELIMIT_PODS)], "ports": tcp(RATELIMIT_GRPC_PORT)},
                    *([self.internet()] if a.proxies_reach_internet else []),
                    *(
                        [
                            {
                                "to": [cidr(block) for block in a.backend_endpoint_cidrs],
                                "ports": tcp(HTTPS_PORT),
                            }
                        ]
                        if a.backend_endpoint_cidrs
                        else []
                    ),
                    *(
                        [{"to": [cidr(POD_IDENTITY_AGENT)], "ports": tcp(POD_IDENTITY_AGENT_PORT)}]
                        if a.proxies_use_pod_identity
                        else []
                    ),
                ],
            ),
            "ratelimit": policy(
                EG_RATELIMIT_PODS,
                ingress=[
                    {"from": [pods(same, self.proxy_pods)], "ports": tcp(RATELIMIT_GRPC_PORT)},
                ],
                egress=[
                    {"to": [pods(a.gateway_namespace, REDIS_PODS)], "ports": tcp(REDIS_PORT)},
                    {
                        "to": [pods(same, EG_CONTROLLER_PODS)],
                        "ports": tcp(EG_RATELIMIT_XDS_PORT),
                    },
                ],
            ),
            "envoy-gateway": policy(
                EG_CONTROLLER_PODS,
                ingress=[
                    {"from": [pods(same, self.proxy_pods)], "ports": tcp(EG_XDS_PORT)},
                    {
                        "from": [pods(same, EG_RATELIMIT_PODS)],
                        "ports": tcp(EG_RATELIMIT_XDS_PORT),
                    },
                    self.from_api_server(EG_WEBHOOK_PORT),
                ],
                egress=[
                    self.api_server(),
                    {
                        "to": [pods(a.ai_gateway_namespace, AI_GATEWAY_CONTROLLER_PODS)],
                        "ports": tcp(AI_GATEWAY_EXTENSION_PORT),
                    },
                ],
            ),
            "certgen": policy(EG_CERTGEN_PODS, egress=[self.api_server()]),
        }

    def ai_gateway(self) -> dict[str, dict[str, Any]]:
        a = self._args
        return {
            "ai-gateway-controller": policy(
                AI_GATEWAY_CONTROLLER_PODS,
                ingress=[
                    {
                        "from": [pods(a.proxy_namespace, EG_CONTROLLER_PODS)],
                        "ports": tcp(AI_GATEWAY_EXTENSION_PORT),
                    },
                    self.from_api_server(AI_GATEWAY_WEBHOOK_PORT),
                ],
                egress=[self.api_server()],
            )
        }

    def keda(self) -> dict[str, dict[str, Any]]:
        a = self._args
        same = a.keda_namespace
        return {
            "keda-operator": policy(
                KEDA_OPERATOR_PODS,
                ingress=[
                    {
                        "from": [pods(same, KEDA_METRICS_SERVER_PODS)],
                        "ports": tcp(KEDA_METRICS_SERVICE_PORT),
                    }
                ],
                egress=[
                    self.api_server(),
                    {"to": [self.prometheus()], "ports": tcp(PROMETHEUS_PORT)},
                ],
            ),
            "keda-metrics-server": policy(
                KEDA_METRICS_SERVER_PODS,
                ingress=[self.from_api_server(KEDA_METRICS_SERVER_PORT)],
                egress=[
                    self.api_server(),
                    {
                        "to": [pods(same, KEDA_OPERATOR_PODS)],
                        "ports": tcp(KEDA_METRICS_SERVICE_PORT),
                    },
                ],
            ),
            "keda-webhooks": policy(
                KEDA_WEBHOOK_PODS,
                ingress=[self.from_api_server(KEDA_WEBHOOK_PORT)],
                egress=[self.api_server()],
            ),
        }

    def monitoring(self) -> dict[str, dict[str, Any]]:
        a = self._args
        same_namespace: dict[str, Any] = {"podSelector": {}}
        return {
            # Grafana -> Prometheus, Prometheus -> Alertmanager, kube-state-metrics and the
            # GPU exporter: the monitoring pods talk among themselves.
            "monitoring-internal": {
                "podSelector": {},
                "policyTypes": ["Ingress", "Egress"],
                "ingress": [{"from": [same_namespace]}],
                "egress": [{"to": [same_namespace]}],
            },
            # The operator, kube-state-metrics, Grafana's dashboard sidecar and Prometheus's
            # service discovery all watch the API.
            "monitoring-api-server": {
                "podSelector": {},
                "policyTypes": ["Egress"],
                "egress": [self.api_server()],
            },
            "prometheus-operator": policy(
                PROMETHEUS_OPERATOR_PODS,
                ingress=[self.from_api_server(PROMETHEUS_OPERATOR_WEBHOOK_PORT)],
            ),
            "prometheus": policy(
                PROMETHEUS_PODS,
                ingress=[
                    {
                        "from": [
                            pods(a.keda_namespace, KEDA_OPERATOR_PODS),
                            *(
                                [pods(a.argo_rollouts_namespace, ARGO_ROLLOUTS_CONTROLLER_PODS)]
                                if a.argo_rollouts_namespace
                                else []
                            ),
                        ],
                        "ports": tcp(PROMETHEUS_PORT),
                    }
                ],
                egress=[
                    {"to": [pods(a.models_namespace, MODEL_SERVER_PODS)], "ports": tcp(VLLM_PORT)},
                    {
                        "to": [pods(a.proxy_namespace, self.proxy_pods)],
                        "ports": tcp(EG_STATS_PORT, AI_GATEWAY_ADMIN_PORT),
                    },
                    {
                        "to": [pods(KUBE_SYSTEM, KUBE_DNS_PODS)],
                        "ports": tcp(COREDNS_METRICS_PORT),
                    },
                    {"to": [cidr(a.vpc_cidr)], "ports": tcp(*NODE_SCRAPE_PORTS)},
                ],
            ),
        }


class NetworkPolicies(pulumi.ComponentResource):
    """Default-deny ingress and egress in each namespace, plus the allows of :class:`Flows`."""

    policies: list[k8s.networking.v1.NetworkPolicy]

    def __init__(
        self, name: str, args: NetworkPoliciesArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("servegate:index:NetworkPolicies", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.policies = []
        for namespace, specs in Flows(args).by_namespace().items():
            every = {DEFAULT_DENY: default_deny(), ALLOW_DNS: allow_dns(), **specs}
            for policy_name, spec in every.items():
                self.policies.append(
                    k8s.networking.v1.NetworkPolicy(
                        f"{name}-{namespace}-{policy_name}",
                        metadata=k8s.meta.v1.ObjectMetaArgs(
                            name=policy_name,
                            namespace=namespace,
                            labels=k8s_labels.common("network-policy"),
                        ),
                        # Plain camelCase mappings, as the API documents them (the SDK's
                        # TypedDicts would spell the same object in snake_case).
                        spec=cast(Any, spec),
                        opts=child,
                    )
                )
        self.register_outputs({"policies": [p.metadata.name for p in self.policies]})
