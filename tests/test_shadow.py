"""Shadow traffic (``models[].shadow``): prod-eu's Mistral shadow is deployed like the model,
labelled ``track=shadow`` on its series, mirrored by the gateway's EnvoyPatchPolicy on the
routes Envoy Gateway generates for the model's rules, left out of the SLO records and set
beside the stable on the debug dashboard."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from components import catalog, shadow_mirror
from components.config import (
    ConfigError,
    ModelSpec,
    air_gapped_source_problems,
    parse_spec,
    undigested_image_problems,
)
from components.routing import Hop, RouteRule
from servegate.cli.main import app
from servegate.engines import get_engine
from servegate.policy.bundle import load_bundle
from tests import stacks

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
SERVICE = "kubernetes:core/v1:Service"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"
SCALER = "kubernetes:keda.sh/v1alpha1:ScaledObject"
MONITOR = "kubernetes:monitoring.coreos.com/v1:ServiceMonitor"
PATCH_POLICY = "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyPatchPolicy"
ROUTE = "kubernetes:aigateway.envoyproxy.io/v1beta1:AIGatewayRoute"
AI_BACKEND = "kubernetes:aigateway.envoyproxy.io/v1beta1:AIServiceBackend"
GATEWAY = "kubernetes:gateway.networking.k8s.io/v1:Gateway"
RULE = "kubernetes:monitoring.coreos.com/v1:PrometheusRule"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
TRACK = "servegate.io/track"


def _track(stack: str, type_token: str, model: str, track: str) -> list[dict[str, Any]]:
    return [
        r
        for r in stacks.of_type(stack, type_token)
        if r["props"]["metadata"].get("labels", {}).get("servegate.io/model") == model
        and r["props"]["metadata"]["labels"].get(TRACK) == track
    ]


def _pod(deployment: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = deployment["props"]["spec"]["template"]["spec"]
    return spec


def test_the_shadow_is_deployed_like_the_model() -> None:
    (stable,) = _track("prod-eu", DEPLOYMENT, "mistral-7b", "stable")
    (shadow,) = _track("prod-eu", DEPLOYMENT, "mistral-7b", "shadow")
    assert shadow["props"]["metadata"]["name"] == "vllm-mistral-7b-v4-shadow"
    # Under prod-eu's SLA (99.95 %) the declared 1 replica is raised to the floor, 3.
    assert shadow["props"]["spec"]["replicas"] == 3
    mine, theirs = _pod(shadow), _pod(stable)
    for field in ("securityContext", "nodeSelector", "tolerations", "serviceAccountName"):
        assert mine[field] == theirs[field], field
    (spread,) = mine["topologySpreadConstraints"]
    assert spread["whenUnsatisfiable"] == "DoNotSchedule"
    assert spread["labelSelector"]["matchLabels"][TRACK] == "shadow"
    vllm = next(c for c in mine["containers"] if c["name"] == "vllm")
    served = next(c for c in theirs["containers"] if c["name"] == "vllm")
    assert vllm["securityContext"] == served["securityContext"]
    assert vllm["resources"] == served["resources"]
    fetch = mine["initContainers"][0]
    assert "s3://prod-eu-models/mistral-7b-instruct-2026-11" in fetch["args"]
    # It answers under the model's name (the mirrored bodies ask for it).
    assert "--served-model-name=mistralai/Mistral-7B-Instruct-v0.3" in vllm["args"]
    (service,) = _track("prod-eu", SERVICE, "mistral-7b", "shadow")
    assert service["props"]["spec"]["selector"][TRACK] == "shadow"
    (budget,) = _track("prod-eu", PDB, "mistral-7b", "shadow")
    assert budget["props"]["spec"]["minAvailable"] == 2
    # No autoscaler: a fixed share of mirrored load, never the user queue.
    assert _track("prod-eu", SCALER, "mistral-7b", "shadow") == []


def test_every_vllm_series_names_its_track() -> None:
    (monitor,) = [
        m
        for m in stacks.of_type("prod-eu", MONITOR)
        if m["props"]["metadata"]["name"] == "vllm-mistral-7b"
    ]
    (endpoint,) = monitor["props"]["spec"]["endpoints"]
    assert endpoint["relabelings"] == [
        {
            "sourceLabels": ["__meta_kubernetes_service_label_servegate_io_track"],
            "targetLabel": "track",
            "action": "replace",
        }
    ]


def _policy(stack: str) -> dict[str, Any]:
    (policy,) = stacks.of_type(stack, PATCH_POLICY)
    spec: dict[str, Any] = policy["props"]["spec"]
    return spec


def test_the_gateway_mirrors_the_models_own_rules_to_the_shadow() -> None:
    spec = _policy("prod-eu")
    (gateway,) = stacks.of_type("prod-eu", GATEWAY)
    (route,) = stacks.of_type("prod-eu", ROUTE)
    namespace = gateway["props"]["metadata"]["namespace"]
    name = gateway["props"]["metadata"]["name"]
    (listener,) = gateway["props"]["spec"]["listeners"]
    assert spec["targetRef"] == {
        "group": "gateway.networking.k8s.io",
        "kind": "Gateway",
        "name": name,
    }
    cluster, *mirrors = spec["jsonPatches"]
    target = f"servegate-shadow/{namespace}/mistral-7b"
    assert cluster["name"] == target
    address = cluster["operation"]["value"]["load_assignment"]["endpoints"][0]["lb_endpoints"][0]
    assert address["endpoint"]["address"]["socket_address"] == {
        "address": "vllm-mistral-7b-v4-shadow.llm-serving.svc.cluster.local",
        "port_value": 8000,
    }
    # The rules whose first choice is Mistral's own backend under its own name, as Envoy
    # Gateway names their routes: httproute/<ns>/<route>/rule/<i>/match/0/<host with _>.
    ai_backend = next(
        b["props"]["metadata"]["name"]
        for b in stacks.of_type("prod-eu", AI_BACKEND)
        if b["props"]["metadata"]["name"].endswith("-mistral-7b")
    )
    own = [
        i
        for i, rule in enumerate(route["props"]["spec"]["rules"])
        if rule["backendRefs"][0]["name"] == ai_backend
        and "modelNameOverride" not in rule["backendRefs"][0]
    ]
    assert own, "the route has rules of Mistral's own"
    host = listener["hostname"].replace(".", "_")
    route_name = route["props"]["metadata"]["name"]
    assert [m["operation"]["jsonPath"] for m in mirrors] == [
        f"$.virtual_hosts[*].routes[?(@.name=='httproute/{namespace}/{route_name}/rule/{i}"
        f"/match/0/{host}')]"
        for i in own
    ]
    for mirror in mirrors:
        assert mirror["name"] == f"{namespace}/{name}/{listener['name']}"
        assert mirror["operation"]["path"] == "/route/request_mirror_policies"
        (policy,) = mirror["operation"]["value"]
        assert policy["cluster"] == target
        assert policy["runtime_fraction"]["default_value"] == {
            "numerator": 10,
            "denominator": "HUNDRED",
        }


def test_a_stack_without_a_shadow_has_no_mirror() -> None:
    assert stacks.of_type("prod-ca", PATCH_POLICY) == []


def _hop(backend: str, *, external: bool = False, override: str | None = None) -> Hop:
    return Hop(backend, external, 0, override)


def test_only_rules_whose_first_choice_is_the_model_under_its_name_are_mirrored() -> None:
    rules = [
        RouteRule("m", None, "regulated", None, (_hop("llama"),)),
        RouteRule("titan", None, "regulated", None, (_hop("llama", override="m"),)),
        RouteRule("m", "public", "public", ("a",), (_hop("bedrock", external=True), _hop("llama"))),
        RouteRule("m", "internal", "internal", ("a",), (_hop("llama"),)),
    ]
    assert shadow_mirror.mirrored_rules(rules, "llama") == [0, 3]
    assert shadow_mirror.mirrored_rules(rules, "other") == []
    listener = shadow_mirror.Listener("gw-ns", "gw", "https", "llm.example.com")
    shadows = {"other": shadow_mirror.Shadow("other", "h", 8000, 5)}
    assert shadow_mirror.patch_policy_spec(listener, "gw-route", rules, shadows) is None


def test_the_shadow_is_no_part_of_the_models_slo_records() -> None:
    groups = [
        g
        for r in stacks.of_type("prod-eu", RULE)
        for g in r["props"]["spec"]["groups"]
        if any("vllm:" in str(rule.get("expr", "")) for rule in g["rules"])
    ]
    exprs = [str(rule["expr"]) for g in groups for rule in g["rules"] if "vllm:" in rule["expr"]]
    selectors = [
        part[: part.index("}") + 1]
        for expr in exprs
        for part in expr.split("vllm:")[1:]
        if 'model_name="mistralai/Mistral-7B-Instruct-v0.3"' in part.split("}")[0]
    ]
    assert selectors, "the SLO rules read Mistral's vLLM series"
    assert [s for s in selectors if 'track!="shadow"' not in s] == []


def _debug_panels(stack: str) -> list[dict[str, Any]]:
    for config_map in stacks.of_type(stack, CONFIG_MAP):
        data = config_map["props"].get("data", {})
        if "servegate-debug.json" in data:
            panels: list[dict[str, Any]] = json.loads(data["servegate-debug.json"])["panels"]
            return panels
    raise LookupError("no debug dashboard")


def test_the_debug_dashboard_sets_the_shadow_beside_the_stable() -> None:
    panels = {
        p["title"]: [t["expr"] for t in p["targets"]]
        for p in _debug_panels("prod-eu")
        if p["title"].startswith("Shadow vs stable")
    }
    label = "(mistral-7b, shadow v4)"
    assert sorted(panels) == sorted(
        f"Shadow vs stable: {what} {label}"
        for what in ("time to first token p95", "end-to-end latency p95", "5xx share")
    )
    (ttft,) = panels[f"Shadow vs stable: time to first token p95 {label}"]
    assert "vllm:time_to_first_token_seconds_bucket" in ttft
    assert 'track=~"stable|shadow"' in ttft and "by (le, track)" in ttft
    (e2e,) = panels[f"Shadow vs stable: end-to-end latency p95 {label}"]
    assert "vllm:e2e_request_latency_seconds_bucket" in e2e
    (errors,) = panels[f"Shadow vs stable: 5xx share {label}"]
    # vLLM's HTTP counter of the two Services, by track, the readiness probe left out.
    assert "sum by (track) (rate(http_requests_total" in errors
    assert 'service=~"vllm-mistral-7b|vllm-mistral-7b-v4-shadow"' in errors
    assert 'status="5xx"' in errors and 'handler!="/v1/models"' in errors
    assert not [p for p in _debug_panels("prod-ca") if p["title"].startswith("Shadow")]


def _with_shadow(shadow: dict[str, Any], *, air_gapped: bool = False) -> dict[str, Any]:
    model = {
        "name": "m",
        "servedModelName": "meta-llama/Llama-3.1-8B-Instruct",
        "source": "s3://bucket/m",
        "pool": "l4",
        "shadow": shadow,
    }
    return {
        "aws:region": "ca-central-1",
        "llm-serving:environment": "dev",
        "llm-serving:residency": {"zone": "ca", "sovereign": False, "airGapped": air_gapped},
        "llm-serving:gpuPools": [
            {"name": "l4", "instanceType": "g6.xlarge", "minSize": 1, "maxSize": 2}
        ],
        "llm-serving:models": [model],
    }


@pytest.mark.parametrize("percent", [0, 101])
def test_a_percent_outside_1_to_100_is_refused(percent: int) -> None:
    config = _with_shadow({"version": "v2", "source": "s3://bucket/m2", "percent": percent})
    with pytest.raises(ConfigError) as raised:
        parse_spec("dev", config, source="stacks/Pulumi.dev.yaml")
    assert "llm-serving:models[0].shadow.percent" in str(raised.value)


def test_the_shadows_source_and_image_are_checked_as_the_models() -> None:
    model = ModelSpec.model_validate(
        {
            "name": "m",
            "servedModelName": "meta-llama/Llama-3.1-8B-Instruct",
            "source": "s3://bucket/m",
            "pool": "l4",
            "image": f"vllm/vllm-openai:v0.33.0@sha256:{'a' * 64}",
            "shadow": {
                "version": "v2",
                "source": "hf://meta-llama/Llama-3.1-8B-Instruct",
                "image": "vllm/vllm-openai:v0.34.0",
                "percent": 5,
            },
        }
    )
    key = "llm-serving:models[0]"
    assert [p.key for p in air_gapped_source_problems(model, key)] == [f"{key}.shadow.source"]
    assert [p.key for p in undigested_image_problems(model, key)] == [f"{key}.shadow.image"]


def test_the_reports_data_flow_shows_the_mirror_in_the_cluster(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["-q", "preview", "-s", "prod-eu", "--format", "json", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    flow = json.loads((tmp_path / "report.json").read_text())["flow"]
    (mirror,) = flow["mirrors"]
    assert mirror["route"] == "prod-eu-gateway-shadow-mirror"
    assert mirror["name"] == "servegate-shadow/llm-gateway/mistral-7b"
    assert mirror["percent"] == 10
    assert mirror["connectivity"] == "in-cluster"
    assert [p["status"] for p in mirror["places"]] == ["in-zone"]


def test_the_engines_agree_on_the_mirrors() -> None:
    """RES-023's and the data flow's mirrors on prod-eu, on every engine (rego-cpp once mixed
    up two packages' private helpers of one name here)."""
    bundle = load_bundle(catalog.PROJECT_ROOT / "policies")
    queries = ["data.lib.mirroring.mirrors", "data.evidence.flow.mirrors"]
    answers: dict[str, list[dict[str, Any]]] = {"prod-eu": [], "prod-ca": []}
    for name in ("regorus", "opa-go", "regopy"):
        engine = get_engine(name, timeout_s=600)
        try:
            for stack, found in answers.items():
                inventory = stacks.inventory(stack)
                found.append(engine.query(bundle.modules, bundle.data, inventory, queries))
        finally:
            engine.close()
    (mirror,) = answers["prod-eu"][0]["data.lib.mirroring.mirrors"]
    assert mirror["target"] == "cluster servegate-shadow/llm-gateway/mistral-7b"
    assert mirror["places"] == [{"kind": "cluster"}]
    assert answers["prod-ca"][0]["data.lib.mirroring.mirrors"] == []
    for found in answers.values():
        assert found[1] == found[0] and found[2] == found[0]
