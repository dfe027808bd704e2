"""SovereignNetwork on the Pulumi mock engine."""

from __future__ import annotations

import ipaddress
import json
from typing import Any

import pulumi
import pytest

from components import catalog
from components.config import StackSpec, load_stack, parse_spec, read_stack_config, stack_file
from components.network import (
    INTERFACE_ENDPOINT_SERVICES,
    SovereignNetwork,
    SovereignNetworkArgs,
    plan_subnets,
)
from tests.components.conftest import RecordingMocks

SUBNET = "aws:ec2/subnet:Subnet"
NAT = "aws:ec2/natGateway:NatGateway"
IGW = "aws:ec2/internetGateway:InternetGateway"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
ROUTE = "aws:ec2/route:Route"


def variant(stack: str, **overrides: Any) -> StackSpec:
    """A repository stack with some ``llm-serving:`` keys merged over its own."""
    config = read_stack_config(stack_file(stack))
    for key, value in overrides.items():
        full = f"llm-serving:{key}"
        config[full] = {**config.get(full, {}), **value}
    return parse_spec(stack, config)


def build(spec: StackSpec) -> SovereignNetwork:
    """Create the network and wait until every child is registered."""
    created: list[SovereignNetwork] = []

    @pulumi.runtime.test
    def run() -> pulumi.Output[Any]:
        network = SovereignNetwork("net", SovereignNetworkArgs.of(spec))
        created.append(network)
        return pulumi.Output.all(network.private_subnet_ids, network.public_subnet_ids)

    run()
    return created[0]


def tier(mocks: RecordingMocks, name: str) -> list[dict[str, Any]]:
    return [
        r.inputs for r in mocks.of_type(SUBNET) if r.inputs["tags"]["servegate.io/tier"] == name
    ]


def test_air_gapped_network_has_no_path_to_the_internet(mocks: RecordingMocks) -> None:
    spec = load_stack("prod-ca")
    assert spec.residency.air_gapped and not spec.gateway.internet_facing
    build(spec)
    assert mocks.of_type(NAT) == []
    assert mocks.of_type(IGW) == []
    assert tier(mocks, "public") == []
    assert [
        r for r in mocks.of_type(ROUTE) if r.inputs.get("destinationCidrBlock") == "0.0.0.0/0"
    ] == []


def test_private_subnets_one_per_zone_inside_the_vpc(mocks: RecordingMocks) -> None:
    spec = load_stack("prod-ca")
    build(spec)
    private = tier(mocks, "private")
    zones = catalog.availability_zones()[spec.region][: spec.network.az_count]
    assert sorted(s["availabilityZone"] for s in private) == sorted(zones)
    vpc_block = ipaddress.IPv4Network(spec.network.cidr)
    blocks = [ipaddress.IPv4Network(s["cidrBlock"]) for s in private]
    assert all(block.subnet_of(vpc_block) for block in blocks)
    assert not any(a.overlaps(b) for i, a in enumerate(blocks) for b in blocks[i + 1 :])
    assert all(s["mapPublicIpOnLaunch"] is False for s in private)
    (vpc,) = mocks.of_type("aws:ec2/vpc:Vpc")
    assert vpc.inputs["enableDnsSupport"] and vpc.inputs["enableDnsHostnames"]


def test_egress_network_has_a_nat_gateway_per_zone(mocks: RecordingMocks) -> None:
    spec = variant("prod-ca", residency={"airGapped": False})
    assert not spec.gateway.internet_facing
    build(spec)
    assert len(mocks.of_type(NAT)) == spec.network.az_count
    assert len(mocks.of_type(IGW)) == 1
    public = tier(mocks, "public")
    assert len(public) == spec.network.az_count
    assert all(s["mapPublicIpOnLaunch"] is False for s in public)
    nat_routes = [r for r in mocks.of_type(ROUTE) if "natGatewayId" in r.inputs]
    assert len(nat_routes) == spec.network.az_count


def test_internet_facing_gateway_gets_public_subnets_even_when_air_gapped(
    mocks: RecordingMocks,
) -> None:
    spec = variant("prod-ca", gateway={"internetFacing": True})
    build(spec)
    assert len(tier(mocks, "public")) == spec.network.az_count
    assert len(mocks.of_type(IGW)) == 1
    assert mocks.of_type(NAT) == []


def test_public_and_private_blocks_never_overlap() -> None:
    for cidr in ("10.0.0.0/16", "172.16.0.0/20"):
        plan = plan_subnets(cidr, 3)
        blocks = [ipaddress.IPv4Network(b) for b in plan.private + plan.public]
        assert len(blocks) == 6
        assert all(b.subnet_of(ipaddress.IPv4Network(cidr)) for b in blocks)
        assert not any(a.overlaps(b) for i, a in enumerate(blocks) for b in blocks[i + 1 :])


def test_aws_services_are_reached_through_endpoints(mocks: RecordingMocks) -> None:
    spec = load_stack("prod-ca")
    build(spec)
    endpoints = {r.inputs["serviceName"]: r.inputs for r in mocks.of_type(ENDPOINT)}
    assert endpoints[f"com.amazonaws.{spec.region}.s3"]["vpcEndpointType"] == "Gateway"
    for service in ("ecr.api", "ecr.dkr", "sts", "logs", "ec2", "elasticloadbalancing"):
        assert service in INTERFACE_ENDPOINT_SERVICES
    for service in INTERFACE_ENDPOINT_SERVICES:
        endpoint = endpoints[f"com.amazonaws.{spec.region}.{service}"]
        assert endpoint["vpcEndpointType"] == "Interface"
        assert endpoint["privateDnsEnabled"] is True
        assert len(endpoint["subnetIds"]) == spec.network.az_count
    (rule,) = mocks.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert rule.inputs["cidrIpv4"] == spec.network.cidr
    assert (rule.inputs["fromPort"], rule.inputs["toPort"]) == (443, 443)


def test_flow_logs_capture_all_traffic_into_an_encrypted_retained_group(
    mocks: RecordingMocks,
) -> None:
    spec = load_stack("prod-ca")
    network = build(spec)
    (flow_log,) = mocks.of_type("aws:ec2/flowLog:FlowLog")
    assert flow_log.inputs["trafficType"] == "ALL"
    assert flow_log.inputs["logDestinationType"] == "cloud-watch-logs"
    (group,) = mocks.of_type("aws:cloudwatch/logGroup:LogGroup")
    assert flow_log.inputs["logDestination"] == f"arn:aws:mock:::{group.name}"
    assert group.inputs["retentionInDays"] >= spec.audit.log_retention_days
    (key,) = mocks.of_type("aws:kms/key:Key")
    assert key.inputs["enableKeyRotation"] is True
    assert group.inputs["kmsKeyId"] == f"arn:aws:mock:::{key.name}"
    statements = json.loads(key.inputs["policy"])["Statement"]
    logs = [
        s for s in statements if s["Principal"] == {"Service": f"logs.{spec.region}.amazonaws.com"}
    ]
    assert logs, "CloudWatch Logs of the region must be allowed to use the key"
    assert network.flow_log_group is not None


@pytest.mark.parametrize("stack", ["prod-ca", "dev"])
def test_children_are_named_under_the_component(mocks: RecordingMocks, stack: str) -> None:
    build(load_stack(stack))
    children = [r for r in mocks.resources if r.typ != "servegate:index:SovereignNetwork"]
    assert children
    assert all(r.name.startswith("net-") for r in children)


FIREWALL = "aws:networkfirewall/firewall:Firewall"
RULE_GROUP = "aws:networkfirewall/ruleGroup:RuleGroup"
FIREWALL_POLICY = "aws:networkfirewall/firewallPolicy:FirewallPolicy"
OPENAI = {
    "name": "openai",
    "schema": "OpenAI",
    "endpoint": "api.openai.com",
    "connectivity": "internet",
    "classifications": ["public"],
    "credentials": {"source": "secrets-manager", "secret": "servegate/x/openai"},
    "models": {"gpt-4o-mini": "gpt-4o-mini"},
}


def with_backends(stack: str, backends: list[dict[str, Any]], **residency: Any) -> StackSpec:
    config = read_stack_config(stack_file(stack))
    config["llm-serving:externalBackends"] = backends
    config.pop("llm-serving:routes", None)
    config["llm-serving:residency"] = {**config["llm-serving:residency"], **residency}
    return parse_spec(stack, config)


def test_internet_backends_of_a_sovereign_stack_go_through_an_allow_list_firewall(
    mocks: RecordingMocks,
) -> None:
    spec = with_backends("prod-ca", [OPENAI], airGapped=False)
    build(spec)
    (group,) = mocks.of_type(RULE_GROUP)
    assert group.inputs["type"] == "STATEFUL"
    assert group.inputs["ruleGroup"]["rulesSource"]["rulesSourceList"] == {
        "generatedRulesType": "ALLOWLIST",
        "targetTypes": ["TLS_SNI", "HTTP_HOST"],
        "targets": ["api.openai.com"],
    }
    (policy,) = mocks.of_type(FIREWALL_POLICY)
    assert "aws:drop_established" in policy.inputs["firewallPolicy"]["statefulDefaultActions"]
    (firewall,) = mocks.of_type(FIREWALL)
    assert len(firewall.inputs["subnetMappings"]) == spec.network.az_count
    # The private subnets' default route leads to the firewall, never straight to a NAT.
    private_defaults = [
        r.inputs
        for r in mocks.of_type(ROUTE)
        if r.name.startswith("net-private-") and r.inputs["destinationCidrBlock"] == "0.0.0.0/0"
    ]
    assert len(private_defaults) == spec.network.az_count
    assert all("vpcEndpointId" in r and "natGatewayId" not in r for r in private_defaults)


def test_no_firewall_without_internet_backends_or_outside_sovereign_stacks(
    mocks: RecordingMocks,
) -> None:
    build(with_backends("dev", [OPENAI]))
    assert mocks.of_type(FIREWALL) == []


def test_privatelink_backends_get_their_own_endpoint_subnets(mocks: RecordingMocks) -> None:
    spec = load_stack("prod-ca")
    network = build(spec)
    (bedrock,) = [
        r.inputs
        for r in mocks.of_type(ENDPOINT)
        if r.inputs["serviceName"] == f"com.amazonaws.{spec.region}.bedrock-runtime"
    ]
    assert bedrock["privateDnsEnabled"] is True
    own = tier(mocks, "backend-endpoints")
    assert sorted(s["cidrBlock"] for s in own) == sorted(network.backend_endpoint_cidrs)
    plan = plan_subnets(spec.network.cidr, spec.network.az_count)
    blocks = [ipaddress.IPv4Network(b) for b in plan.private + plan.public + plan.endpoints]
    assert not any(a.overlaps(b) for i, a in enumerate(blocks) for b in blocks[i + 1 :])
