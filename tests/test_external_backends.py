"""External backends and classification routing as the shipped stacks render them, and the
config errors that reject a broken backend before anything renders."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from components import catalog
from servegate.cli.main import app
from tests import stacks

ROUTE = "kubernetes:aigateway.envoyproxy.io/v1beta1:AIGatewayRoute"
BACKEND = "kubernetes:gateway.envoyproxy.io/v1alpha1:Backend"
AI_BACKEND = "kubernetes:aigateway.envoyproxy.io/v1beta1:AIServiceBackend"
SECURITY = "kubernetes:aigateway.envoyproxy.io/v1beta1:BackendSecurityPolicy"
TLS = "kubernetes:gateway.networking.k8s.io/v1:BackendTLSPolicy"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
runner = CliRunner()


def _rules(stack: str) -> list[dict[str, Any]]:
    (route,) = stacks.of_type(stack, ROUTE)
    rules: list[dict[str, Any]] = route["props"]["spec"]["rules"]
    return rules


def _headers(rule: dict[str, Any]) -> dict[str, str]:
    return {h["name"]: h["value"] for m in rule["matches"] for h in m["headers"]}


def _external(stack: str) -> dict[str, str]:
    """AIServiceBackend name -> the hostname its Backend points at, for external backends."""
    hosts = {
        b["props"]["metadata"]["name"]: b["props"]["spec"]["endpoints"][0]["fqdn"]["hostname"]
        for b in stacks.of_type(stack, BACKEND)
    }
    return {name: host for name, host in hosts.items() if not host.endswith(".svc.cluster.local")}


@pytest.mark.parametrize(
    ("stack", "host"),
    [
        ("prod-ca", "bedrock-runtime.ca-central-1.amazonaws.com"),
        ("prod-eu", "bedrock-runtime.eu-central-1.amazonaws.com"),
        ("dev", "api.openai.com"),
    ],
)
def test_each_stack_renders_its_backend_with_tls_and_credentials(stack: str, host: str) -> None:
    (name,) = [n for n, h in _external(stack).items() if h == host]
    (tls,) = [t for t in stacks.of_type(stack, TLS) if t["props"]["metadata"]["name"] == name]
    assert tls["props"]["spec"]["validation"] == {
        "hostname": host,
        "wellKnownCACertificates": "System",
    }
    (policy,) = [
        p for p in stacks.of_type(stack, SECURITY) if p["props"]["metadata"]["name"] == name
    ]
    spec = policy["props"]["spec"]
    assert spec["targetRefs"][0]["name"] == name
    if host.startswith("bedrock-runtime."):
        assert spec == {
            **spec,
            "type": "AWSCredentials",
            "awsCredentials": {"region": host.split(".")[1]},
        }
    else:
        assert spec["type"] == "APIKey"
        secret = spec["apiKey"]["secretRef"]["name"]
        (synced,) = [
            e
            for e in stacks.of_type(stack, "kubernetes:external-secrets.io/v1:ExternalSecret")
            if e["props"]["spec"]["target"]["name"] == secret
        ]
        assert synced["props"]["spec"]["data"] == [
            {"secretKey": "apiKey", "remoteRef": {"key": "servegate/dev/external/openai"}}
        ]


@pytest.mark.parametrize(
    ("stack", "region"), [("prod-ca", "ca-central-1"), ("prod-eu", "eu-central-1")]
)
def test_privatelink_backends_get_an_interface_endpoint_with_private_dns(
    stack: str, region: str
) -> None:
    (endpoint,) = [
        e
        for e in stacks.of_type(stack, ENDPOINT)
        if e["props"]["serviceName"] == f"com.amazonaws.{region}.bedrock-runtime"
    ]
    assert endpoint["props"]["vpcEndpointType"] == "Interface"
    assert endpoint["props"]["privateDnsEnabled"] is True


def test_dev_is_not_sovereign_so_it_has_no_egress_firewall_and_no_bedrock_endpoint() -> None:
    assert not stacks.of_type("dev", "aws:networkfirewall/firewall:Firewall")
    assert not [
        e for e in stacks.of_type("dev", ENDPOINT) if "bedrock" in e["props"]["serviceName"]
    ]


@pytest.mark.parametrize("stack", ["prod-ca", "prod-eu", "dev"])
def test_in_zone_classes_never_reach_an_out_of_zone_backend(stack: str) -> None:
    """Every rule a confidential or regulated request can match (its own, and the catch-all
    that unclassified requests fall to) lists only backends processing in the stack's zone."""
    spec = stacks.spec(stack)
    known = catalog.external_endpoints()
    external = _external(stack)
    zone = spec.residency.zone
    for rule in _rules(stack):
        claimed = _headers(rule).get("x-data-classification")
        if claimed not in (None, "confidential", "regulated"):
            continue
        for ref in rule["backendRefs"]:
            if ref["name"] in external:
                assert known[external[ref["name"]]]["zone"] == zone, (stack, rule)


def test_dev_public_traffic_reaches_openai_and_nothing_else_does() -> None:
    openai = [n for n, h in _external("dev").items() if h == "api.openai.com"]
    reaching = [r for r in _rules("dev") if any(ref["name"] in openai for ref in r["backendRefs"])]
    assert [_headers(r).get("x-data-classification") for r in reaching] == ["public"]
    # Only the client mapped to public may claim it.
    assert _headers(reaching[0])["x-servegate-client"] == "^(dev\\-team)$"


@pytest.mark.parametrize("stack", ["prod-ca", "prod-eu", "dev"])
def test_unclassified_requests_are_routed_as_the_most_restrictive_class(stack: str) -> None:
    """The catch-all (the model header alone) lists exactly the backends that may receive the
    most restrictive class: self-hosted models, and external ones declaring that class."""
    spec = stacks.spec(stack)
    strictest = spec.most_restrictive
    refused = {
        f"{stack}-gateway-{b.name}"
        for b in spec.external_backends
        if strictest not in b.classifications
    }
    catch_all = [r for r in _rules(stack) if "x-data-classification" not in _headers(r)]
    assert catch_all
    for rule in catch_all:
        assert set(_headers(rule)) == {"x-ai-eg-model"}
        assert not refused & {ref["name"] for ref in rule["backendRefs"]}
    # Every model name clients may send without a class still has a catch-all when some
    # backend may take its most restrictive traffic.
    assert {_headers(r)["x-ai-eg-model"] for r in catch_all} >= {
        m.served_model_name for m in spec.models
    }


def test_bedrock_is_first_and_the_self_hosted_model_the_fallback_for_public_traffic() -> None:
    (public,) = [
        r
        for r in _rules("prod-ca")
        if _headers(r).get("x-ai-eg-model") == "titan-text-express"
        and _headers(r).get("x-data-classification") == "public"
    ]
    assert [
        (ref["name"], ref["priority"], ref.get("modelNameOverride"))
        for ref in public["backendRefs"]
    ] == [
        ("prod-ca-gateway-bedrock-ca", 0, "amazon.titan-text-express-v1"),
        ("prod-ca-gateway-llama-8b", 1, "meta-llama/Llama-3.1-8B-Instruct"),
    ]


def test_the_client_id_header_is_removed_before_auth_and_the_log_records_class_and_backend() -> (
    None
):
    (client,) = stacks.of_type(
        "prod-ca", "kubernetes:gateway.envoyproxy.io/v1alpha1:ClientTrafficPolicy"
    )
    assert client["props"]["spec"]["headers"]["earlyRequestHeaders"] == {
        "remove": ["x-servegate-client"]
    }
    (proxy,) = stacks.of_type("prod-ca", "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy")
    fields = proxy["props"]["spec"]["telemetry"]["accessLog"]["settings"][0]["format"]["json"]
    assert fields["classification"] == "%REQ(X-DATA-CLASSIFICATION)%"
    assert fields["backend"] == "%DYNAMIC_METADATA(io.envoy.ai_gateway:ai_service_backend_name)%"
    assert not any("BODY" in value for value in fields.values())


def _invoke_with(project: Path, change: Any) -> tuple[int, str]:
    path = project / "stacks" / "Pulumi.dev.yaml"
    document = yaml.safe_load(path.read_text())
    change(document["config"]["llm-serving:externalBackends"][0])
    path.write_text(yaml.safe_dump(document))
    result = runner.invoke(app, ["-C", str(project), "preview", "-s", "dev"])
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda b: b.update(credentials={"apiKey": "sk-not-a-real-key"}),
            "llm-serving:externalBackends[0].credentials: a credential written into the config "
            "is not allowed",
        ),
        (
            lambda b: b.update(endpoint="llm.example.net"),
            "llm-serving:externalBackends[0].processingRegion: is required: llm.example.net is "
            "not in policies/data/external_endpoints.yaml",
        ),
        (
            lambda b: b.update(schema="GCPVertexAI"),
            "llm-serving:externalBackends[0].schema: 'GCPVertexAI' needs GCP credentials",
        ),
        (
            lambda b: b.update(connectivity="privatelink"),
            "llm-serving:externalBackends[0].connectivity: privatelink is an interface endpoint",
        ),
        (
            lambda b: b.update(classifications=["secret"]),
            "llm-serving:externalBackends[0].classifications: 'secret' is not a classification",
        ),
    ],
)
def test_broken_backends_exit_2_with_one_line_naming_the_key(
    project: Path, change: Any, message: str
) -> None:
    code, output = _invoke_with(project, change)
    assert code == 2, output
    assert message in output
    assert "sk-not-a-real-key" not in output
    assert "Traceback" not in output


def test_a_route_beyond_the_ai_gateway_rule_limit_is_a_config_error(project: Path) -> None:
    path = project / "stacks" / "Pulumi.dev.yaml"
    document = yaml.safe_load(path.read_text())
    config = document["config"]
    backend = config["llm-serving:externalBackends"][0]
    backend["classifications"] = ["public", "internal", "confidential"]
    backend["models"] = {f"model-{i}": f"gpt-{i}" for i in range(6)}
    config["llm-serving:gateway"]["clientClassifications"] = {"dev-team": "public"}
    path.write_text(yaml.safe_dump(document))
    result = runner.invoke(app, ["-C", str(project), "preview", "-s", "dev"])
    assert result.exit_code == 2, result.output
    assert "llm-serving:routes: the gateway route needs 19 rules" in result.output
    assert "Envoy AI Gateway v1.1.0 allows 15" in result.output


@pytest.mark.parametrize(
    ("oidc", "allowed"),
    [(False, ["api.openai.com"]), (True, ["api.openai.com", "id.example.eu"])],
)
def test_a_sovereign_stack_with_an_internet_backend_egresses_through_the_firewall(
    project: Path, oidc: bool, allowed: list[str]
) -> None:
    """prod-eu opened (sovereign, not air-gapped) with a SaaS backend for public traffic
    renders the egress path, an AWS Network Firewall allowing exactly that host (and, with
    OIDC, the issuer the proxies fetch signing keys from) with the nodes' default routes
    through it, and passes its own gate (RES-016, RES-026, SEC-044)."""
    path = project / "stacks" / "Pulumi.prod-eu.yaml"
    document = yaml.safe_load(path.read_text())
    document["config"]["llm-serving:residency"]["airGapped"] = False
    if oidc:
        gateway = document["config"]["llm-serving:gateway"]
        gateway.pop("apiKeys")
        gateway.update(auth="oidc", oidcIssuer="https://id.example.eu/realms/llm")
    document["config"]["llm-serving:externalBackends"].append(
        {
            "name": "openai",
            "schema": "OpenAI",
            "endpoint": "api.openai.com",
            "connectivity": "internet",
            "classifications": ["public"],
            "credentials": {"source": "secrets-manager", "secret": "servegate/prod-eu/openai"},
            "models": {"gpt-4o-mini": "gpt-4o-mini"},
        }
    )
    path.write_text(yaml.safe_dump(document))
    out = project / "reports" / "prod-eu"
    saved = project / "plan.json"
    result = runner.invoke(
        app, ["-q", "-C", str(project), "preview", "-s", "prod-eu", "--save-plan", str(saved)]
    )
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text())
    judged = {r["rule_id"]: r["status"] for r in report["rule_status"]}
    assert judged["RES-016"] == judged["RES-026"] == judged["SEC-044"] == "passed"
    states = [s.get("newState") or {} for s in json.loads(saved.read_text())["steps"]]
    (group,) = [s for s in states if s.get("type") == "aws:networkfirewall/ruleGroup:RuleGroup"]
    targets = group["inputs"]["ruleGroup"]["rulesSource"]["rulesSourceList"]["targets"]
    assert targets == allowed
    defaults = [
        s
        for s in states
        if s.get("type") == "aws:ec2/route:Route"
        and "-private-" in s["urn"]
        and s["inputs"].get("destinationCidrBlock") == "0.0.0.0/0"
    ]
    assert defaults and all("vpcEndpointId" in s["inputs"] for s in defaults)


def test_a_firewalled_sovereign_stack_cannot_load_weights_from_the_hub(project: Path) -> None:
    """With an internet backend the firewall allows only the backends' hosts, so an hf://
    source would fail at start-up: a config error naming the key instead."""
    path = project / "stacks" / "Pulumi.prod-eu.yaml"
    document = yaml.safe_load(path.read_text())
    config = document["config"]
    config["llm-serving:residency"]["airGapped"] = False
    config["llm-serving:models"][0]["source"] = "hf://mistralai/Mistral-7B-Instruct-v0.3"
    config["llm-serving:externalBackends"][0].update(
        name="openai",
        schema="OpenAI",
        endpoint="api.openai.com",
        connectivity="internet",
        credentials={"source": "secrets-manager", "secret": "servegate/prod-eu/openai"},
        classifications=["public"],
    )
    path.write_text(yaml.safe_dump(document))
    result = runner.invoke(app, ["-C", str(project), "preview", "-s", "prod-eu"])
    assert result.exit_code == 2, result.output
    assert (
        "llm-serving:models[0].source: 'hf://mistralai/Mistral-7B-Instruct-v0.3' needs the "
        "internet; this sovereign stack reaches the internet only through its egress firewall"
    ) in result.output
    assert "Traceback" not in result.output
