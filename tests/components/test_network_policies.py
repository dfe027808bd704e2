"""NetworkPolicies on the Pulumi mock engine: what each namespace gets, and the weight
download's S3 rule failing closed when the prefix list's CIDRs are not there."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pytest

from components.network_policies import (
    NetworkPolicies,
    NetworkPoliciesArgs,
    proxy_container_port,
    service_cluster_ip,
)
from tests.components.conftest import RecordingMocks

POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
NAMESPACES = {"models", "gateway", "monitoring", "proxies", "aigw", "keda"}


def _args(s3_cidrs: pulumi.Input[Sequence[str]], **overrides: Any) -> NetworkPoliciesArgs:
    values: dict[str, Any] = {
        "models_namespace": "models",
        "gateway_namespace": "gateway",
        "monitoring_namespace": "monitoring",
        "proxy_namespace": "proxies",
        "ai_gateway_namespace": "aigw",
        "keda_namespace": "keda",
        "gateway_name": "gw",
        "listener_port": 443,
        "internet_facing": False,
        "vpc_cidr": "10.40.0.0/16",
        "api_server_ip": "172.20.0.1",
        "s3_cidrs": s3_cidrs,
        "models_reach_internet": False,
        "proxies_reach_internet": False,
        **overrides,
    }
    return NetworkPoliciesArgs(**values)


def _specs(mocks: RecordingMocks, args: NetworkPoliciesArgs) -> dict[tuple[str, str], Any]:
    @pulumi.runtime.test
    def run() -> pulumi.Output[Any]:
        component = NetworkPolicies("np", args)
        return pulumi.Output.all(*(p.id for p in component.policies))

    run()
    return {
        (r.inputs["metadata"]["namespace"], r.inputs["metadata"]["name"]): r.inputs["spec"]
        for r in mocks.of_type(POLICY)
    }


def test_every_namespace_gets_default_deny_and_dns(mocks: RecordingMocks) -> None:
    specs = _specs(mocks, _args(["52.95.0.0/16"]))
    for namespace in NAMESPACES:
        assert specs[(namespace, "default-deny")] == {
            "podSelector": {},
            "policyTypes": ["Ingress", "Egress"],
        }
        dns = specs[(namespace, "allow-dns")]["egress"][0]
        assert {(p["protocol"], p["port"]) for p in dns["ports"]} == {("UDP", 53), ("TCP", 53)}
    assert {namespace for namespace, _ in specs} == NAMESPACES


def test_weights_go_to_the_s3_prefix_list(mocks: RecordingMocks) -> None:
    egress = _specs(mocks, _args(["52.95.0.0/16", "3.5.0.0/19"]))[("models", "model-servers")]
    targets = [[peer["ipBlock"]["cidr"] for peer in rule["to"]] for rule in egress["egress"]]
    assert targets == [["10.40.0.0/16"], ["52.95.0.0/16", "3.5.0.0/19"]]


@pytest.mark.parametrize("cidrs", [[], None])
def test_no_prefix_list_cidrs_means_no_s3_rule_not_an_open_one(
    mocks: RecordingMocks, cidrs: list[str] | None
) -> None:
    # None: the endpoint reported no cidr_blocks at all.
    args = _args(cidrs if cidrs is not None else pulumi.Output.from_input(None))
    egress = _specs(mocks, args)[("models", "model-servers")]["egress"]
    assert all(rule.get("to") for rule in egress)
    assert [rule["to"] for rule in egress] == [[{"ipBlock": {"cidr": "10.40.0.0/16"}}]]


def test_hub_downloads_and_oidc_open_https_to_the_internet_only(mocks: RecordingMocks) -> None:
    args = _args([], models_reach_internet=True, proxies_reach_internet=True, internet_facing=True)
    specs = _specs(mocks, args)
    internet = {"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.40.0.0/16"]}}
    for key in (("models", "model-servers"), ("proxies", "gateway-proxies")):
        assert {"to": [internet], "ports": [{"protocol": "TCP", "port": 443}]} in specs[key][
            "egress"
        ]
    clients = specs[("proxies", "gateway-proxies")]["ingress"][0]
    assert clients == {
        "from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}],
        "ports": [{"protocol": "TCP", "port": 10443}],
    }


def test_addresses_and_ports() -> None:
    assert service_cluster_ip("172.20.0.0/16") == "172.20.0.1"
    assert service_cluster_ip("10.100.0.0/16") == "10.100.0.1"
    assert proxy_container_port(443) == 10443
    assert proxy_container_port(8443) == 8443
