"""The data-flow view: the policies' answer (data.evidence.flow), its layout and its rendering.

The view is evaluated with the gate's engines over the same library the residency rules judge
with, so these tests edit the shipped plans and check that the picture and the route table
say what the rules decide (an out-of-zone hop is refused AND fires RES-012).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from servegate.engines import get_engine
from servegate.engines.base import Engine
from servegate.flow import FLOW_QUERY, FlowView, PlaceStatus, Store, flow_of
from servegate.gate import evaluate_with_flow
from servegate.policy.bundle import PolicyBundle, load_bundle
from servegate.report.flow_svg import COLOURS, MAX_NODES, lanes, render_svg
from servegate.report.html import render_html
from servegate.report.json_report import render_json
from tests import stacks
from tests.report_builders import failing_report

POLICIES = Path(__file__).resolve().parents[1] / "policies"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
HTTP_ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
BACKUP_VAULT = "aws:backup/vault:Vault"
BACKEND = "kubernetes:gateway.envoyproxy.io/v1alpha1:Backend"
ROUTE = "kubernetes:aigateway.envoyproxy.io/v1beta1:AIGatewayRoute"


@cache
def _bundle() -> PolicyBundle:
    return load_bundle(POLICIES)


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    engine = get_engine("regorus")
    try:
        yield engine
    finally:
        engine.close()


def _flow(inventory: dict[str, Any], engine: Engine) -> FlowView:
    _, flow, _ = evaluate_with_flow(inventory, bundle=_bundle(), engine=engine)
    assert flow is not None
    return flow


def _add(
    inventory: dict[str, Any], type_token: str, name: str, props: dict[str, Any], **extra: Any
):
    """Append a resource to an inventory (and its by_type index)."""
    resource = {
        "urn": f"urn:pulumi:prod-ca::llm-serving::{type_token}::{name}",
        "type": type_token,
        "name": name,
        "op": "create",
        "custom": True,
        "region": extra.pop("region", None),
        "props": props,
        "deps": {},
        "unknowns": [],
        **extra,
    }
    inventory["resources"].append(resource)
    inventory["by_type"].setdefault(type_token, []).append(len(inventory["resources"]) - 1)


def _resource(inventory: dict[str, Any], type_token: str, name_part: str) -> dict[str, Any]:
    (found,) = [
        inventory["resources"][i]
        for i in inventory["by_type"][type_token]
        if name_part in inventory["resources"][i]["name"]
    ]
    return found


def regulated_to_openai() -> dict[str, Any]:
    """prod-ca with its Bedrock Backend pointed at api.openai.com (processes in the United
    States), declaring every class, and a regulated route to it first, self-hosted after."""
    inventory = copy.deepcopy(stacks.inventory("prod-ca"))
    backend = _resource(inventory, BACKEND, "bedrock")
    backend["props"]["metadata"]["annotations"]["servegate.io/classifications"] = (
        "public,internal,confidential,regulated"
    )
    backend["props"]["spec"]["endpoints"] = [{"fqdn": {"hostname": "api.openai.com", "port": 443}}]
    route = _resource(inventory, ROUTE, "route")
    route["props"]["spec"]["rules"].append(
        {
            "matches": [
                {
                    "headers": [
                        {"name": "x-ai-eg-model", "value": "titan-text-express"},
                        {"name": "x-data-classification", "value": "regulated"},
                    ]
                }
            ],
            "backendRefs": [
                {"name": "prod-ca-gateway-bedrock-ca", "priority": 0},
                {"name": "prod-ca-gateway-llama-8b", "priority": 1},
            ],
        }
    )
    return inventory


# -- the policies' answer -------------------------------------------------------------------------


def test_prod_ca_routes_keep_regulated_traffic_in_the_zone(engine: Engine) -> None:
    flow = _flow(stacks.inventory("prod-ca"), engine)
    assert flow.zone == "ca" and flow.kept_in_zone == ("confidential", "regulated")
    kept = flow.kept_routes()
    # Unclassified requests are their own rows, treated as the most restrictive class.
    assert kept and all(r.unclassified and r.classification == "regulated" for r in kept)
    assert all(r.stays_in_zone for r in kept)
    assert flow.verdict.ok and "stays in zone ca" in flow.verdict.text
    bedrock = [h for r in flow.routes for h in r.hops if h.schema == "AWSBedrock"]
    assert bedrock and {(h.connectivity, h.places[0].region) for h in bedrock} == {
        ("privatelink", "ca-central-1")
    }
    # Fallbacks come after the primary, by priority.
    chains = [[h.role for h in r.hops] for r in flow.routes if len(r.hops) > 1]
    assert chains and all(c == ["primary", "fallback"] for c in chains)
    assert {s.name for s in flow.weights} == {"s3://prod-ca-models"}
    assert {s.kind for s in flow.logs} >= {"CloudWatch log group", "CloudTrail trail"}
    # prod-ca captures 1 % of its payloads into a bucket of its own region.
    assert {(s.name, s.place.region, s.place.status) for s in flow.captures} == {
        ("servegate-prod-ca-payloads-ca-central-1", "ca-central-1", PlaceStatus.IN_ZONE)
    }
    assert flow.backups == () and flow.mirrors == ()


def test_an_out_of_zone_backend_is_refused_where_res_012_fires(engine: Engine) -> None:
    inventory = regulated_to_openai()
    findings, flow, _ = evaluate_with_flow(inventory, bundle=_bundle(), engine=engine)
    assert flow is not None
    (row,) = [r for r in flow.routes if r.classification == "regulated" and not r.unclassified]
    primary = row.hops[0]
    assert (primary.backend, primary.status, primary.allowed, primary.declares) == (
        "llm-gateway/prod-ca-gateway-bedrock-ca",
        PlaceStatus.OUTSIDE_ZONE,
        False,
        True,
    )
    assert primary.connectivity == "internet"
    assert row.hops[1].allowed and row.hops[1].status is PlaceStatus.IN_ZONE
    assert not flow.verdict.ok and "1 of" in flow.verdict.text
    # The rules refuse the same hop.
    assert any(f.rule_id == "RES-012" for f in findings)


def test_the_view_is_the_same_on_every_engine() -> None:
    inventory = regulated_to_openai()
    answers = []
    for name in ("regorus", "opa-go", "regopy"):
        other = get_engine(name, timeout_s=600)
        try:
            answers.append(other.query(_bundle().modules, _bundle().data, inventory, [FLOW_QUERY]))
        finally:
            other.close()
    assert answers[0][FLOW_QUERY] is not None
    assert answers[1] == answers[0] and answers[2] == answers[0]


def test_capture_mirror_and_backup_places(engine: Engine) -> None:
    inventory = copy.deepcopy(stacks.inventory("prod-ca"))
    exporters = {
        "awss3": {"s3uploader": {"region": "ca-central-1", "s3_bucket": "prod-ca-captures"}},
        # No region: the awss3 exporter's default, us-east-1.
        "awss3/unset": {"s3uploader": {"s3_bucket": "elsewhere"}},
        "otlp": {"endpoint": "collector:4317"},
    }
    _add(
        inventory,
        HELM_RELEASE,
        "prod-ca-capture",
        {
            "chart": "oci://registry.example/charts/opentelemetry-collector",
            "values": {"config": {"exporters": exporters}},
        },
    )
    _add(
        inventory,
        HTTP_ROUTE,
        "prod-ca-shadow",
        {
            "metadata": {"name": "shadow", "namespace": "llm-gateway"},
            "spec": {
                "rules": [
                    {
                        "filters": [
                            {
                                "type": "RequestMirror",
                                "requestMirror": {
                                    "backendRef": {"name": "llama-8b-shadow"},
                                    "percent": 5,
                                },
                            }
                        ]
                    }
                ]
            },
        },
    )
    _add(inventory, BACKUP_VAULT, "prod-ca-vault", {"name": "vault"}, region="us-west-2")
    flow = _flow(inventory, engine)
    captures = {s.name: s.place for s in flow.captures}
    assert captures["prod-ca-captures"].status is PlaceStatus.IN_ZONE
    assert captures["elsewhere"].region == "us-east-1"
    assert captures["elsewhere"].status is PlaceStatus.OUTSIDE_ZONE
    (mirror,) = flow.mirrors
    assert (mirror.name, mirror.percent, mirror.status, mirror.connectivity) == (
        "llama-8b-shadow",
        5,
        PlaceStatus.IN_ZONE,
        "in-cluster",
    )
    (vault,) = flow.backups
    assert (vault.kind, vault.place.region, vault.place.status) == (
        "AWS Backup vault",
        "us-west-2",
        PlaceStatus.OUTSIDE_ZONE,
    )


# -- layout and rendering -------------------------------------------------------------------------


def test_out_of_zone_backend_gets_the_out_of_zone_colour_and_table_flag(engine: Engine) -> None:
    flow = _flow(regulated_to_openai(), engine)
    svg = str(render_svg(flow, "prod-ca"))
    fill, stroke = COLOURS[PlaceStatus.OUTSIDE_ZONE]
    node = re.search(
        r'<g class="flow-node" data-kind="backend" data-status="outside-zone"'
        r' data-name="llm-gateway/prod-ca-gateway-bedrock-ca">.*?<rect [^>]*fill="([^"]+)"'
        r' stroke="([^"]+)"',
        svg,
    )
    assert node is not None and node.groups() == (fill, stroke)
    html = render_html(replace(failing_report(), flow=flow))
    refused = re.findall(
        r'<tr data-model="titan-text-express" data-class="regulated"'
        r' data-unclassified="false" data-role="primary"[^>]*>',
        html,
    )
    assert len(refused) == 1
    assert 'data-status="outside-zone"' in refused[0] and 'data-allowed="false"' in refused[0]
    assert "Traffic may leave the zone" in html and 'data-ok="false"' in html


def test_the_picture_has_a_text_alternative_and_no_script(engine: Engine) -> None:
    flow = _flow(stacks.inventory("prod-ca"), engine)
    svg = str(render_svg(flow, "prod-ca"))
    assert '<title id="flow-title">Data flow of stack prod-ca</title>' in svg
    desc = re.search(r'<desc id="flow-desc">(.*?)</desc>', svg)
    assert (
        desc is not None
        and "Requests:" in desc.group(1)
        # prod-ca's capture bucket, in its region and zone.
        and "servegate-prod-ca-payloads-ca-central-1 (ca-central-1" in desc.group(1)
    )
    assert "<script" not in svg and "http://" not in svg.replace("http://www.w3.org/2000/svg", "")


def _store(i: int, status: PlaceStatus) -> Store:
    from servegate.flow import Place

    # Each in its own region: stores of one kind in one place are one node.
    region = f"region-{i}"
    return Store(
        kind="CloudWatch log group",
        name=f"group-{i}",
        place=Place("region", region, region, status),
    )


def test_a_lane_is_capped_and_the_rest_takes_the_worst_status() -> None:
    many = tuple(_store(i, PlaceStatus.IN_ZONE) for i in range(40)) + (
        _store(40, PlaceStatus.OUTSIDE_ZONE),
    )
    flow = FlowView(
        zone="ca",
        zone_regions=("ca-central-1",),
        sovereign=True,
        air_gapped=True,
        classifications=("public", "regulated"),
        kept_in_zone=("regulated",),
        most_restrictive="regulated",
        logs=many,
    )
    logs = next(lane for lane in lanes(flow) if lane.name == "Logs and audit trail")
    assert len(logs.targets) == MAX_NODES
    assert logs.targets[-1].title == f"+{41 - MAX_NODES + 1} more"
    assert logs.targets[-1].status is PlaceStatus.OUTSIDE_ZONE


def test_weights_are_one_store_per_bucket_with_their_servers() -> None:
    place = {
        "kind": "region",
        "region": "ca-central-1",
        "text": "ca-central-1",
        "status": "in-zone",
    }
    raw = {
        "zone": "ca",
        "routes": [],
        "mirrors": [],
        "logs": [],
        "captures": [],
        "backups": [],
        "weights": [
            {"store": "s3://models", "place": place, "server": f"server-{i}", "problem": ""}
            for i in range(500)
        ],
    }
    flow = flow_of(raw)
    assert flow is not None
    (store,) = flow.weights
    assert store.name == "s3://models" and len(store.users) == 500


def test_report_json_keeps_the_view(engine: Engine, tmp_path: Path) -> None:
    from servegate.report.json_report import load_report_json

    flow = _flow(regulated_to_openai(), engine)
    path = tmp_path / "report.json"
    path.write_text(render_json(replace(failing_report(), flow=flow)), encoding="utf-8")
    assert load_report_json(path).flow == flow


def test_log_groups_of_one_place_are_one_node_and_one_row() -> None:
    from servegate.flow import Place, store_rows

    place = Place("region", "ca-central-1", "ca-central-1", PlaceStatus.IN_ZONE)
    groups = tuple(
        Store(kind="CloudWatch log group", name=f"g{i}", place=place) for i in range(300)
    )
    flow = FlowView(
        zone="ca",
        zone_regions=("ca-central-1",),
        sovereign=True,
        air_gapped=True,
        classifications=("public",),
        kept_in_zone=(),
        most_restrictive="public",
        logs=groups,
    )
    (row,) = store_rows(flow)["Logs and audit trail"]
    assert len(row.names) == 300
    logs = next(lane for lane in lanes(flow) if lane.name == "Logs and audit trail")
    assert [n.title for n in logs.targets] == ["300 × CloudWatch log group"]


def test_a_view_the_policies_cannot_compute_is_reported_not_a_verdict(engine: Engine) -> None:
    bundle = _bundle()
    broken = replace(
        bundle,
        modules={
            **bundle.modules,
            # Two values for one key: an evaluation error on every engine.
            "evidence/evidence.rego": (
                'package evidence\n\nimport rego.v1\n\nflow := {"a": v | some v in [1, 2]}\n'
            ),
        },
    )
    findings, flow, error = evaluate_with_flow(
        stacks.inventory("prod-ca"), bundle=broken, engine=engine
    )
    assert flow is None and error != ""
    assert (
        findings == evaluate_with_flow(stacks.inventory("prod-ca"), bundle=bundle, engine=engine)[0]
    )
    html = render_html(replace(failing_report(), flow=None, flow_error=error))
    assert "The data-flow view could not be computed" in html


def test_names_are_text_in_the_picture_and_declared_places_get_their_colour() -> None:
    declared = {
        "kind": "declared",
        "region": "ca-central-1",
        "text": "ca-central-1 (declared)",
        "status": "declared",
    }
    hop = {
        "name": "x",
        "backend": '<script>alert("b")</script>',
        "places": [declared],
        "connectivity": "internet",
        "declares": True,
        "allowed": True,
    }
    raw = {
        "zone": "ca",
        "kept_in_zone": ["regulated"],
        "classifications": ["regulated"],
        "routes": [{"route": "r", "class": "regulated", "hops": [hop]}],
    }
    flow = flow_of(raw)
    assert flow is not None
    svg = str(render_svg(flow, "<b>stack</b>"))
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "<b>" not in svg
    fill, _ = COLOURS[PlaceStatus.DECLARED]
    assert re.search(r'data-status="declared"[^>]*>.*?<rect [^>]*fill="' + fill, svg)
    # Declared in the zone is not proven in the zone: the verdict says so.
    assert not flow.verdict.ok


def test_the_markdown_report_carries_the_verdict_line(engine: Engine) -> None:
    from servegate.report.markdown import render_markdown

    flow = _flow(regulated_to_openai(), engine)
    text = render_markdown(replace(failing_report(), flow=flow))
    assert f"**Data flow:** ❌ {flow.verdict.text}" in text
    assert "**Data flow:**" not in render_markdown(failing_report())
