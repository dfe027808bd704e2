"""Network isolation, end to end: the NetworkPolicies prod-ca and prod-eu render allow each
flow the stack needs and nothing an arbitrary pod would use, and the cluster enforces them.

The pods are written out with the labels their own charts and controllers give them at the
pinned releases (components/network_policies.py names each source), not read back from the
component, so a selector that misses a real pod fails here.
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any

import kubernetes_validate
import pytest

from components.network import plan_subnets
from servegate.k8s_manifests import manifests
from tests import stacks
from tests.network_policy_sim import Cluster, External, Pod, Policy, selects

ACCEPTANCE = ("prod-ca", "prod-eu")
SERVEGATE_NAMESPACES = (
    "llm-serving",
    "llm-gateway",
    "monitoring",
    "envoy-gateway-system",
    "envoy-ai-gateway-system",
    "keda",
)
API_SERVER_CLUSTER_IP = "172.20.0.1"  # first address of the cluster's service CIDR
# The offline engine reports this documentation block as the S3 gateway endpoint's
# prefix-list CIDRs (servegate/plan/offline.py).
S3_ADDRESS = "198.51.100.20"
INTERNET_ADDRESS = "203.0.113.9"


def _policies(stack: str) -> list[dict[str, Any]]:
    return [m.body for m in manifests(stacks.inventory(stack)) if m.kind == "NetworkPolicy"]


def _cluster(stack: str) -> Cluster:
    return Cluster(Policy.of(body) for body in _policies(stack))


class Addresses:
    """Pod and node addresses inside the stack's VPC (the VPC CNI gives pods VPC IPs)."""

    def __init__(self, stack: str) -> None:
        self._hosts = ipaddress.IPv4Network(stacks.spec(stack).network.cidr).hosts()

    def next(self) -> str:
        return str(next(self._hosts))


def _pods(stack: str) -> dict[str, Pod]:
    ip = Addresses(stack)
    gateway = f"{stack}-gateway"
    return {
        # ServingStack's model servers (components/k8s_labels.model_server).
        "vllm": Pod(
            "llm-serving",
            {
                "app.kubernetes.io/name": "vllm",
                "app.kubernetes.io/part-of": "servegate",
                "servegate.io/role": "model-server",
                "servegate.io/model": "m",
                "servegate.io/track": "stable",
            },
            ip.next(),
            {"http": (8000, "TCP")},
        ),
        # Envoy Gateway v1.8.3: proxy.EnvoyAppLabel + owning-gateway labels.
        "proxy": Pod(
            "envoy-gateway-system",
            {
                "app.kubernetes.io/name": "envoy",
                "app.kubernetes.io/component": "proxy",
                "app.kubernetes.io/managed-by": "envoy-gateway",
                "gateway.envoyproxy.io/owning-gateway-name": gateway,
                "gateway.envoyproxy.io/owning-gateway-namespace": "llm-gateway",
            },
            ip.next(),
        ),
        "ratelimit": Pod(
            "envoy-gateway-system",
            {
                "app.kubernetes.io/name": "envoy-ratelimit",
                "app.kubernetes.io/component": "ratelimit",
                "app.kubernetes.io/managed-by": "envoy-gateway",
            },
            ip.next(),
        ),
        "eg-controller": Pod(
            "envoy-gateway-system",
            {
                "control-plane": "envoy-gateway",
                "app.kubernetes.io/name": "gateway-helm",
                "app.kubernetes.io/instance": "eg",
            },
            ip.next(),
        ),
        "aieg-controller": Pod(
            "envoy-ai-gateway-system",
            {"app.kubernetes.io/name": "ai-gateway-helm", "app.kubernetes.io/instance": "aieg"},
            ip.next(),
        ),
        "redis": Pod(
            "llm-gateway",
            {
                "app.kubernetes.io/name": "model-gateway",
                "app.kubernetes.io/part-of": "servegate",
                "app.kubernetes.io/component": "ratelimit-redis",
            },
            ip.next(),
        ),
        # kube-prometheus-stack 88.5.3: the Prometheus the operator runs.
        "prometheus": Pod(
            "monitoring",
            {
                "app.kubernetes.io/name": "prometheus",
                "operator.prometheus.io/name": "kube-prometheus-stack-prometheus",
                "prometheus": "kube-prometheus-stack-prometheus",
            },
            ip.next(),
        ),
        "grafana": Pod("monitoring", {"app.kubernetes.io/name": "grafana"}, ip.next()),
        "prometheus-operator": Pod(
            "monitoring", {"app": "kube-prometheus-stack-operator"}, ip.next()
        ),
        # KEDA 2.20.2.
        "keda-operator": Pod(
            "keda", {"app": "keda-operator", "app.kubernetes.io/name": "keda-operator"}, ip.next()
        ),
        "keda-metrics": Pod(
            "keda", {"app.kubernetes.io/name": "keda-operator-metrics-apiserver"}, ip.next()
        ),
        # Argo Rollouts chart 2.41.0 (prod-ca analyses its canary).
        "argo-rollouts": Pod(
            "argo-rollouts",
            {
                "app.kubernetes.io/name": "argo-rollouts",
                "app.kubernetes.io/component": "rollouts-controller",
            },
            ip.next(),
        ),
        "coredns": Pod("kube-system", {"k8s-app": "kube-dns"}, ip.next()),
        # Pods nobody allowed anything: one beside the stack, one inside each namespace.
        "stranger": Pod("default", {"app": "debug"}, ip.next()),
        "stranger-in-gateway-ns": Pod("llm-gateway", {"app": "debug"}, ip.next()),
        "stranger-in-proxy-ns": Pod("envoy-gateway-system", {"app": "debug"}, ip.next()),
        "stranger-in-models-ns": Pod("llm-serving", {"app": "debug"}, ip.next()),
        "api-server-eni": External(ip.next()),
        "node": External(ip.next()),
        "client": External(ip.next()),
    }


# Every flow the stack needs: (source, destination, port, protocol).
NEEDED = [
    ("proxy", "vllm", 8000, "TCP"),
    ("prometheus", "vllm", 8000, "TCP"),
    ("prometheus", "proxy", 19001, "TCP"),
    ("prometheus", "proxy", 1064, "TCP"),
    ("prometheus", "node", 10250, "TCP"),
    ("prometheus", "node", 9100, "TCP"),
    ("grafana", "prometheus", 9090, "TCP"),
    ("ratelimit", "redis", 6379, "TCP"),
    ("proxy", "ratelimit", 8081, "TCP"),
    ("proxy", "eg-controller", 18000, "TCP"),
    ("ratelimit", "eg-controller", 18001, "TCP"),
    ("eg-controller", "aieg-controller", 1063, "TCP"),
    ("keda-operator", "prometheus", 9090, "TCP"),
    ("keda-metrics", "keda-operator", 9666, "TCP"),
    ("argo-rollouts", "prometheus", 9090, "TCP"),
    ("client", "proxy", 10443, "TCP"),
    ("api-server-eni", "aieg-controller", 9443, "TCP"),
    ("api-server-eni", "eg-controller", 9443, "TCP"),
    ("api-server-eni", "keda-metrics", 6443, "TCP"),
    ("api-server-eni", "prometheus-operator", 10250, "TCP"),
]
CONTROLLERS = [
    "eg-controller",
    "aieg-controller",
    "keda-operator",
    "prometheus-operator",
    "argo-rollouts",
]
EVERY_STACK_POD = ["vllm", "proxy", "ratelimit", "redis", "prometheus", "keda-operator"]

# Flows nothing may use.
FORBIDDEN = [
    ("stranger", "vllm", 8000, "TCP"),
    ("stranger-in-gateway-ns", "vllm", 8000, "TCP"),
    ("stranger-in-proxy-ns", "vllm", 8000, "TCP"),
    ("stranger-in-models-ns", "vllm", 8000, "TCP"),
    ("redis", "vllm", 8000, "TCP"),
    ("grafana", "vllm", 8000, "TCP"),
    ("stranger", "redis", 6379, "TCP"),
    ("stranger-in-gateway-ns", "redis", 6379, "TCP"),
    ("proxy", "redis", 6379, "TCP"),
    ("vllm", "redis", 6379, "TCP"),
    ("stranger", "prometheus", 9090, "TCP"),
    ("stranger", "eg-controller", 18000, "TCP"),
    ("client", "vllm", 8000, "TCP"),
    ("vllm", "proxy", 10443, "TCP"),
    ("vllm", "api-server-eni", 6443, "TCP"),
    ("proxy", "api-server-eni", 443, "TCP"),
    ("argo-rollouts", "vllm", 8000, "TCP"),
    ("stranger", "argo-rollouts", 8090, "TCP"),
]


@pytest.fixture(scope="module", params=ACCEPTANCE)
def stack(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def cluster(stack: str) -> Cluster:
    return _cluster(stack)


@pytest.fixture(scope="module")
def pods(stack: str) -> dict[str, Pod]:
    return _pods(stack)


def _created_namespaces(stack: str) -> set[str]:
    """The Namespaces the stack's plan creates."""
    return {
        m.body["metadata"]["name"]
        for m in manifests(stacks.inventory(stack))
        if m.kind == "Namespace"
    }


def test_every_servegate_namespace_denies_by_default(stack: str) -> None:
    deny_all = {
        body["metadata"]["namespace"]
        for body in _policies(stack)
        if body["spec"].get("podSelector") == {}
        and set(body["spec"].get("policyTypes", [])) == {"Ingress", "Egress"}
        and not body["spec"].get("ingress")
        and not body["spec"].get("egress")
    }
    assert set(SERVEGATE_NAMESPACES) <= _created_namespaces(stack)
    assert deny_all == _created_namespaces(stack)


def test_network_policies_validate_strictly(stack: str) -> None:
    policies = _policies(stack)
    assert len(policies) >= 2 * len(SERVEGATE_NAMESPACES)
    version = f"{stacks.spec(stack).cluster.kubernetes_version}.0"
    for body in policies:
        kubernetes_validate.validate(body, version, strict=True)


@pytest.mark.parametrize(("source", "destination", "port", "protocol"), NEEDED)
def test_each_needed_flow_is_allowed(
    cluster: Cluster, pods: dict[str, Pod], source: str, destination: str, port: int, protocol: str
) -> None:
    assert cluster.allows(pods[source], pods[destination], port, protocol)


@pytest.mark.parametrize(("source", "destination", "port", "protocol"), FORBIDDEN)
def test_flows_nobody_needs_are_denied(
    cluster: Cluster, pods: dict[str, Pod], source: str, destination: str, port: int, protocol: str
) -> None:
    assert not cluster.allows(pods[source], pods[destination], port, protocol)


@pytest.mark.parametrize("name", [*EVERY_STACK_POD, "stranger-in-models-ns"])
def test_every_pod_resolves_names_over_udp_and_tcp(
    cluster: Cluster, pods: dict[str, Pod], name: str
) -> None:
    for protocol in ("UDP", "TCP"):
        assert cluster.allows(pods[name], pods["coredns"], 53, protocol)
    assert not cluster.allows(pods[name], pods["coredns"], 53, "SCTP")
    assert not cluster.allows(pods[name], External("8.8.8.8"), 53, "UDP")


@pytest.mark.parametrize("name", CONTROLLERS)
def test_controllers_reach_the_api_server(
    cluster: Cluster, pods: dict[str, Pod], name: str
) -> None:
    assert cluster.allows(pods[name], pods["api-server-eni"], 443)
    assert cluster.allows(pods[name], External(API_SERVER_CLUSTER_IP), 443)


def test_model_servers_download_weights_from_s3_and_nowhere_else(
    cluster: Cluster, pods: dict[str, Pod]
) -> None:
    vllm = pods["vllm"]
    assert cluster.allows(vllm, External(S3_ADDRESS), 443)
    # STS (IRSA) is an interface endpoint inside the VPC.
    assert cluster.allows(vllm, pods["api-server-eni"], 443)
    assert not cluster.allows(vllm, External(S3_ADDRESS), 80)
    assert not cluster.allows(vllm, External(INTERNET_ADDRESS), 443)


def test_pods_nobody_allowed_anything_are_cut_off(cluster: Cluster, pods: dict[str, Pod]) -> None:
    for name in ("stranger-in-models-ns", "stranger-in-gateway-ns", "stranger-in-proxy-ns"):
        pod = pods[name]
        assert not cluster.allows(pod, External(INTERNET_ADDRESS), 443)
        assert not cluster.allows(pod, External(S3_ADDRESS), 443)
        assert not cluster.allows(pods["stranger"], pod, 8080)


def test_the_cluster_enforces_network_policies(stack: str) -> None:
    addons = stacks.of_type(stack, "aws:eks/addon:Addon")
    (cni,) = [a for a in addons if a["props"]["addonName"] == "vpc-cni"]
    assert json.loads(cni["props"]["configurationValues"])["enableNetworkPolicy"] == "true"
    major, minor, *_ = cni["props"]["addonVersion"].lstrip("v").split(".")
    assert (int(major), int(minor)) >= (1, 14)  # the first VPC CNI enforcing policies
    (cluster,) = stacks.of_type(stack, "aws:eks/cluster:Cluster")
    network = cluster["props"]["kubernetesNetworkConfig"]
    assert network["ipFamily"] == "ipv4"
    assert ipaddress.ip_address(API_SERVER_CLUSTER_IP) in ipaddress.ip_network(
        network["serviceIpv4Cidr"]
    )


# -- the evaluator itself, on the cases the Kubernetes documentation spells out -------------


def _one(spec: dict[str, Any], namespace: str = "app") -> Cluster:
    return Cluster([Policy(namespace, "p", spec)])


WEB = Pod("app", {"role": "web"}, "10.0.0.10", {"http": (8080, "TCP")})
DB = Pod("app", {"role": "db"}, "10.0.0.11")
OTHER_NS = Pod("other", {"role": "web"}, "10.0.0.12", namespace_labels={"team": "x"})


def test_a_pod_no_policy_selects_allows_everything() -> None:
    cluster = _one({"podSelector": {"matchLabels": {"role": "db"}}, "policyTypes": ["Ingress"]})
    assert cluster.allows(OTHER_NS, WEB, 1)
    assert not cluster.allows(WEB, DB, 1)


def test_policy_types_default_to_ingress_plus_egress_when_egress_rules_exist() -> None:
    ingress_only = _one({"podSelector": {}})
    assert not ingress_only.allows(DB, WEB, 80)
    assert ingress_only.allows(WEB, External("1.1.1.1"), 80)  # egress not isolated
    with_egress = _one(
        {"podSelector": {}, "egress": [{"to": [{"ipBlock": {"cidr": "9.9.9.9/32"}}]}]}
    )
    assert not with_egress.allows(WEB, External("1.1.1.1"), 80)
    assert with_egress.allows(WEB, External("9.9.9.9"), 80)


def test_an_empty_rule_allows_every_peer_and_port() -> None:
    assert _one({"podSelector": {}, "ingress": [{}]}).allows(OTHER_NS, WEB, 5)
    assert _one({"podSelector": {}, "ingress": [{"from": []}]}).allows(External("8.8.8.8"), WEB, 5)


def test_pod_selector_alone_means_the_policys_namespace() -> None:
    spec = {
        "podSelector": {},
        "ingress": [{"from": [{"podSelector": {"matchLabels": {"role": "web"}}}]}],
    }
    assert _one(spec).allows(WEB, DB, 5432)
    assert not _one(spec).allows(OTHER_NS, DB, 5432)


def test_namespace_and_pod_selector_in_one_peer_are_anded_in_two_peers_ored() -> None:
    anded = {
        "namespaceSelector": {"matchLabels": {"team": "x"}},
        "podSelector": {"matchLabels": {"role": "db"}},
    }
    spec = {"podSelector": {}, "ingress": [{"from": [anded]}]}
    assert not _one(spec).allows(OTHER_NS, DB, 1)  # right namespace, wrong pod
    ored = [
        {"namespaceSelector": anded["namespaceSelector"]},
        {"podSelector": anded["podSelector"]},
    ]
    assert _one({"podSelector": {}, "ingress": [{"from": ored}]}).allows(OTHER_NS, DB, 1)


def test_ip_block_except_and_ports_ranges_names_and_protocols() -> None:
    block = {"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.9.0.0/16"]}}
    spec = {
        "podSelector": {},
        "ingress": [
            {"from": [block], "ports": [{"port": 8000, "endPort": 8010}, {"port": "http"}]}
        ],
    }
    cluster = _one(spec)
    assert cluster.allows(External("10.1.1.1"), DB, 8005)
    assert not cluster.allows(External("10.9.1.1"), DB, 8005)
    assert not cluster.allows(External("10.1.1.1"), DB, 8011)
    assert cluster.allows(External("10.1.1.1"), WEB, 8080)  # WEB names 8080 "http"
    assert not cluster.allows(External("10.1.1.1"), DB, 8080)  # DB has no port "http"
    assert not cluster.allows(External("10.1.1.1"), DB, 8005, "UDP")


def test_policies_add_up() -> None:
    allow = {"podSelector": {}, "ingress": [{"from": [{"podSelector": {}}]}]}
    deny = {"podSelector": {}, "policyTypes": ["Ingress"]}
    cluster = Cluster([Policy("app", "deny", deny), Policy("app", "allow", allow)])
    assert cluster.allows(WEB, DB, 1)
    assert not cluster.allows(OTHER_NS, DB, 1)


def test_both_ends_must_allow() -> None:
    egress_closed = Cluster([Policy("other", "p", {"podSelector": {}, "policyTypes": ["Egress"]})])
    assert not egress_closed.allows(OTHER_NS, WEB, 80)
    assert egress_closed.allows(WEB, OTHER_NS, 80)


def test_match_expressions() -> None:
    labels = {"tier": "a", "x": "1"}
    assert selects(
        {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["a"]}]}, labels
    )
    assert not selects(
        {"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["a"]}]}, labels
    )
    assert selects({"matchExpressions": [{"key": "y", "operator": "DoesNotExist"}]}, labels)
    assert not selects({"matchExpressions": [{"key": "y", "operator": "Exists"}]}, labels)
    assert selects({}, labels)


def test_proxies_reach_external_backends_only_where_they_are(
    cluster: Cluster, pods: dict[str, Pod], stack: str
) -> None:
    """Bedrock over PrivateLink: its interface endpoint's own subnets on 443 and the node's Pod
    Identity agent on 80; an internet backend: 443 outside the VPC, and nothing else."""
    spec = stacks.spec(stack)
    proxy = pods["proxy"]
    privatelink = any(b.connectivity == "privatelink" for b in spec.external_backends)
    internet = any(b.connectivity == "internet" for b in spec.external_backends)
    endpoint_subnets = plan_subnets(spec.network.cidr, spec.network.az_count).endpoints
    for block in endpoint_subnets:
        address = str(next(ipaddress.IPv4Network(block).hosts()))
        assert cluster.allows(proxy, External(address), 443) is privatelink
        assert not cluster.allows(proxy, External(address), 80)
    assert cluster.allows(proxy, External("169.254.170.23"), 80) is privatelink
    reaches_internet = internet or spec.gateway.auth == "oidc"
    assert cluster.allows(proxy, External(INTERNET_ADDRESS), 443) is reaches_internet
    assert not cluster.allows(proxy, External(INTERNET_ADDRESS), 80)
