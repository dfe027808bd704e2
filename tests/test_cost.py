"""The cost model (servegate/cost.py): every kind listed, counted by what resources are, and the
same cents as the Rego model (policies/lib/cost.rego) on every shipped stack."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from components import catalog
from servegate import cost
from servegate.engines.factory import get_engine
from servegate.policy.bundle import load_bundle
from servegate.summary import summarize
from tests import stacks

# Every stack file shipped, whatever their number.
SHIPPED = sorted(
    p.name.removeprefix("Pulumi.").removesuffix(".yaml")
    for p in (catalog.PROJECT_ROOT / "stacks").glob("Pulumi.*.yaml")
)
VERSIONS = {"versions": {"1.33": {"endOfStandardSupport": "2026-07-29"}}}


def _bundle_params() -> dict[str, Any]:
    params: dict[str, Any] = load_bundle(catalog.PROJECT_ROOT / "policies").data["params"]
    return params


def _rego_estimate(
    inventory: dict[str, Any], params: dict[str, Any], engine: str = "regorus"
) -> Any:
    bundle = load_bundle(catalog.PROJECT_ROOT / "policies")
    query = "data.lib.cost.estimate"
    evaluator = get_engine(engine, timeout_s=300)
    return evaluator.query(bundle.modules, {"params": params}, inventory, [query])[query]


def _totals(estimate: cost.CostEstimate) -> dict[str, tuple[int, int]]:
    return {t.kind: (t.min_cents, t.max_cents) for t in estimate.by_kind}


def _spec_version(stack: str) -> str:
    return stacks.spec(stack).cluster.kubernetes_version


# -- every kind, counted from the inventory ------------------------------------------------------


@pytest.mark.parametrize("stack", SHIPPED)
def test_the_estimate_lists_every_kind(stack: str) -> None:
    spec = stacks.spec(stack)
    estimate = cost.estimate(stacks.inventory(stack))
    assert [t.kind for t in estimate.by_kind] == list(cost.KINDS)
    kinds = {i.kind for i in estimate.items}
    expected = set(cost.KINDS) - (set() if not spec.residency.air_gapped else {cost.NAT_GATEWAYS})
    assert kinds == expected
    assert estimate.unpriced == () and estimate.undecided == ()
    assert 0 < estimate.min_cents < estimate.max_cents


@pytest.mark.parametrize("stack", SHIPPED)
def test_nodes_follow_the_pools_bounds(stack: str) -> None:
    spec = stacks.spec(stack)
    hours = catalog.hours_per_month()
    items = {i.resource_urn: i for i in cost.estimate(stacks.inventory(stack)).items}
    groups = {
        r["props"]["labels"].get("servegate.io/pool"): r["urn"]
        for r in stacks.of_type(stack, cost.NODE_GROUP)
    }
    for pool in spec.gpu_pools:
        item = items[groups[pool.name]]
        assert item.kind == cost.GPU_NODES
        price = catalog.hourly_price(spec.region, pool.instance_type)
        assert price is not None
        assert (item.quantity_min, item.quantity_max) == (pool.min_size, pool.max_size)
        assert item.min_cents == cost.cents(price * pool.min_size * hours)
        assert item.max_cents == cost.cents(price * pool.max_size * hours)
    [system] = [i for i in items.values() if i.kind == cost.SYSTEM_NODES]
    assert system.quantity_max == spec.cluster.system_node_count


@pytest.mark.parametrize("stack", SHIPPED)
def test_interface_endpoints_are_priced_per_availability_zone(stack: str) -> None:
    spec = stacks.spec(stack)
    endpoints = [
        r
        for r in stacks.of_type(stack, cost.VPC_ENDPOINT)
        if r["props"]["vpcEndpointType"] == "Interface"
    ]
    items = [i for i in cost.estimate(stacks.inventory(stack)).items]
    priced = [i for i in items if i.kind == cost.INTERFACE_ENDPOINTS]
    assert len(priced) == len(endpoints) > 0
    assert {i.quantity_max for i in priced} == {spec.network.az_count}


def test_the_nat_gateways_of_a_stack_with_internet_are_priced() -> None:
    nats = stacks.of_type("dev", cost.NAT_GATEWAY)
    items = [i for i in cost.estimate(stacks.inventory("dev")).items if i.kind == cost.NAT_GATEWAYS]
    assert len(items) == len(nats) > 0


def test_the_gateway_nlb_is_counted_from_envoy_gateway_objects() -> None:
    inventory = stacks.inventory("prod-ca")
    [item] = [i for i in cost.estimate(inventory).items if i.kind == cost.LOAD_BALANCERS]
    [gateway] = stacks.of_type("prod-ca", "kubernetes:gateway.networking.k8s.io/v1:Gateway")
    assert item.resource_urn == gateway["urn"]
    # The same Envoy Gateway objects with a ClusterIP Envoy Service make no load balancer.
    changed = copy.deepcopy(inventory)
    for res in changed["resources"]:
        if res["type"].endswith(":EnvoyProxy"):
            res["props"]["spec"]["provider"]["kubernetes"]["envoyService"]["type"] = "ClusterIP"
    assert _totals(cost.estimate(changed))[cost.LOAD_BALANCERS] == (0, 0)


def test_log_storage_follows_retention() -> None:
    inventory = copy.deepcopy(stacks.inventory("prod-ca"))
    before = _totals(cost.estimate(inventory))[cost.LOG_STORAGE]
    for res in inventory["resources"]:
        if res["type"] == cost.LOG_GROUP:
            res["props"]["retentionInDays"] = 30
    after = _totals(cost.estimate(inventory))[cost.LOG_STORAGE]
    assert after[0] < before[0] and after[1] < before[1]


def test_the_control_plane_is_priced_by_support_tier_on_the_evaluation_date() -> None:
    inventory = copy.deepcopy(stacks.inventory("prod-ca"))
    for res in inventory["resources"]:
        if res["type"] == cost.CLUSTER:
            res["props"]["version"] = "1.33"
    hours = catalog.hours_per_month()
    standard, extended = cost.cents(0.10 * hours), cost.cents(0.60 * hours)
    params = {**cost.default_params(), "eks_versions": VERSIONS}
    unknown = _totals(cost.estimate(inventory, {"prices": catalog.prices()}))
    assert unknown[cost.EKS_CONTROL_PLANE] == (standard, extended)
    inventory["evaluation"] = {"as_of": "2026-07-28"}
    assert _totals(cost.estimate(inventory, params))[cost.EKS_CONTROL_PLANE] == (standard, standard)
    inventory["evaluation"] = {"as_of": "2026-07-29"}
    assert _totals(cost.estimate(inventory, params))[cost.EKS_CONTROL_PLANE] == (extended, extended)


def test_an_unpriced_region_is_reported_for_every_kind() -> None:
    inventory = copy.deepcopy(stacks.inventory("dev"))
    inventory["stack"]["region"] = "ap-south-2"
    for res in inventory["resources"]:
        res["region"] = "ap-south-2"
    estimate = cost.estimate(inventory)
    assert estimate.items == ()
    assert {u.kind for u in estimate.unpriced} == set(cost.KINDS)


# -- the same cents as Rego ----------------------------------------------------------------------


# regorus is the gate's engine; opa-go, the official OPA, is the reference for Rego semantics.
@pytest.mark.parametrize("engine", ["regorus", "opa-go"])
@pytest.mark.parametrize("stack", SHIPPED)
def test_python_and_rego_estimates_agree(stack: str, engine: str) -> None:
    inventory = stacks.inventory(stack)
    params = _bundle_params()
    expected = cost.estimate(inventory, params).parity()
    assert _rego_estimate(inventory, params, engine) == expected


@pytest.mark.parametrize("as_of", ["2026-07-28", "2026-07-29"])
@pytest.mark.parametrize("stack", SHIPPED)
def test_python_and_rego_agree_on_the_support_tier(stack: str, as_of: str) -> None:
    inventory = copy.deepcopy(stacks.inventory(stack))
    inventory["evaluation"] = {"as_of": as_of}
    versions = {"versions": {_spec_version(stack): {"endOfStandardSupport": "2026-07-29"}}}
    params = {**_bundle_params(), "eks_versions": versions}
    expected = cost.estimate(inventory, params).parity()
    assert _rego_estimate(inventory, params) == expected


def test_python_and_rego_agree_on_what_is_unpriced_and_undecided() -> None:
    inventory = copy.deepcopy(stacks.inventory("dev"))
    for res in inventory["resources"]:
        if res["type"] == cost.NODE_GROUP:
            res["props"]["instanceTypes"] = ["g6e.16xlarge"]
        if res["type"] == cost.VPC_ENDPOINT:
            res["props"]["subnetIds"] = cost.UNKNOWN
            res["deps"].pop("subnetIds", None)
        if res["type"] == cost.NAT_GATEWAY:
            res["region"] = "ap-south-2"
    params = _bundle_params()
    expected = cost.estimate(inventory, params).parity()
    assert expected["unpriced"] and expected["undecided"]
    assert _rego_estimate(inventory, params) == expected


# -- the summary ---------------------------------------------------------------------------------


def test_the_summary_shows_min_and_max_and_what_drives_them() -> None:
    summary = summarize(stacks.spec("prod-ca"), stacks.inventory("prod-ca")).to_dict()
    estimate = summary["cost"]
    assert set(estimate["by_kind"]) == set(cost.KINDS)
    assert estimate["min_usd"] < estimate["max_usd"] <= summary["budget_monthly_usd"]
    bases = {item["kind"]: item["basis"] for item in estimate["items"]}
    assert "g6e.12xlarge" in " ".join(
        i["basis"] for i in estimate["items"] if i["kind"] == cost.GPU_NODES
    )
    assert "AZs" in bases[cost.INTERFACE_ENDPOINTS]
    assert estimate["not_estimated"] and "ec2_on_demand" in estimate["unverified"]


def test_every_price_section_states_its_source_and_date() -> None:
    prices = yaml.safe_load((catalog.POLICY_DATA / "prices.yaml").read_text())
    sections = [cost.SECTION_EC2, cost.SECTION_EKS, cost.SECTION_NAT, cost.SECTION_ENDPOINT,
                cost.SECTION_LB, cost.SECTION_LOGS, cost.SECTION_S3]  # fmt: skip
    for name in sections:
        section = prices[name]
        assert section["source"] and section["date"] and section["reason"], name
        assert isinstance(section["verified"], bool), name
