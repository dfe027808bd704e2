"""Plan mutations for the traffic-residency rules (RES-012 .. RES-018, SEC-042, SEC-043).

Same contract as tests/policy_cases_residency_sla_cost.py: each case edits the compliant
prod-ca preview (sovereign, air-gapped, zone ca) in place and returns the one resource its
rule must fire on. The cases ADD what the hybrid stacks render (the shared contract of issue
#10, docs/design.md "Traffic residency"): an Envoy Gateway Backend, its AIServiceBackend,
BackendTLSPolicy and BackendSecurityPolicy, an interface VPC endpoint for Bedrock, AWS Network
Firewall egress, and AIGatewayRoute rules per model and classification.

``CORRECTED`` holds, per rule, the same plan put right; each must pass the gate with no
finding. ``OVERLAPS`` names the rules a case also fires by construction: prod-ca is air-gapped,
so an internet backend added to it is also RES-015's finding.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.policy_cases_residency_sla_cost import (
    NODE_GROUP,
    Doc,
    PolicyCase,
    State,
    Target,
    _add_step,
    _find,
    _states,
    _target,
)

BACKEND = "kubernetes:gateway.envoyproxy.io/v1alpha1:Backend"
AI_BACKEND = "kubernetes:aigateway.envoyproxy.io/v1beta1:AIServiceBackend"
ROUTE = "kubernetes:aigateway.envoyproxy.io/v1beta1:AIGatewayRoute"
SECURITY_POLICY = "kubernetes:aigateway.envoyproxy.io/v1beta1:BackendSecurityPolicy"
TLS_POLICY = "kubernetes:gateway.networking.k8s.io/v1:BackendTLSPolicy"
SECRET = "kubernetes:core/v1:Secret"
EXTERNAL_SECRET = "kubernetes:external-secrets.io/v1:ExternalSecret"
SECRET_STORE = "kubernetes:external-secrets.io/v1:SecretStore"
VPC_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
RULE_GROUP = "aws:networkfirewall/ruleGroup:RuleGroup"
FIREWALL_POLICY = "aws:networkfirewall/firewallPolicy:FirewallPolicy"
FIREWALL = "aws:networkfirewall/firewall:Firewall"
SERVICE = "kubernetes:core/v1:Service"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
NAT_GATEWAY = "aws:ec2/natGateway:NatGateway"
ROUTE_TABLE_ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"
EC2_ROUTE = "aws:ec2/route:Route"

REGION = "ca-central-1"
BEDROCK_HOST = f"bedrock-runtime.{REGION}.amazonaws.com"
BEDROCK_MODEL = "meta.llama3-1-8b-instruct-v1:0"
LLAMA = "meta-llama/Llama-3.1-8B-Instruct"
MIXTRAL = "mistralai/Mixtral-8x7B-Instruct-v0.1"
CLASSES_ANNOTATION = "servegate.io/classifications"
MODEL_HEADER = "x-ai-eg-model"
CLASS_HEADER = "x-data-classification"

OVERLAPS: dict[str, set[str]] = {
    "RES-012": {"RES-015"},
    "RES-014": {"RES-015"},
    # The NAT gateway a route bypasses the firewall with is an internet path of the air gap.
    "RES-026": {"RES-008"},
}


# -- contract-shaped resources -----------------------------------------------------------------


def _ai_backend_like(doc: Doc) -> State:
    return _find(doc, AI_BACKEND)


def _namespace(doc: Doc) -> str:
    namespace: str = _ai_backend_like(doc)["inputs"]["metadata"]["namespace"]
    return namespace


def _k8s(doc: Doc, type_token: str, name: str, kind: str, body: dict[str, Any]) -> State:
    like = _ai_backend_like(doc)
    api_version = type_token.split(":")[1]
    return _add_step(
        doc,
        like,
        type_token,
        f"{name}-{kind.lower()}",
        {
            "apiVersion": api_version,
            "kind": kind,
            "metadata": {"name": name, "namespace": _namespace(doc), **body.pop("metadata", {})},
            **body,
        },
    )


def _aws(
    doc: Doc, type_token: str, name: str, inputs: dict[str, Any], deps: dict[str, list[str]]
) -> State:
    like = _find(doc, VPC_ENDPOINT)
    state = _add_step(doc, like, type_token, name, inputs)
    state["propertyDependencies"] = deps
    return state


def external_backend(
    doc: Doc, name: str, hostname: str, schema: str, classes: str, *, tls: bool = True
) -> tuple[State, State]:
    """Backend, AIServiceBackend and (unless ``tls`` is off) BackendTLSPolicy of one backend."""
    backend = _k8s(
        doc,
        BACKEND,
        name,
        "Backend",
        {
            "metadata": {"annotations": {CLASSES_ANNOTATION: classes}},
            "spec": {"endpoints": [{"fqdn": {"hostname": hostname, "port": 443}}]},
        },
    )
    ai_backend = _k8s(
        doc,
        AI_BACKEND,
        name,
        "AIServiceBackend",
        {
            "spec": {
                "schema": {"name": schema},
                "backendRef": {"group": "gateway.envoyproxy.io", "kind": "Backend", "name": name},
            }
        },
    )
    if tls:
        _k8s(
            doc,
            TLS_POLICY,
            name,
            "BackendTLSPolicy",
            {
                "spec": {
                    "targetRefs": [
                        {"group": "gateway.envoyproxy.io", "kind": "Backend", "name": name}
                    ],
                    "validation": {"hostname": hostname, "wellKnownCACertificates": "System"},
                }
            },
        )
    return backend, ai_backend


def _policy(doc: Doc, target: str, spec: dict[str, Any]) -> State:
    return _k8s(
        doc,
        SECURITY_POLICY,
        target,
        "BackendSecurityPolicy",
        {
            "spec": {
                "targetRefs": [
                    {"group": "aigateway.envoyproxy.io", "kind": "AIServiceBackend", "name": target}
                ],
                **spec,
            }
        },
    )


def irsa_credentials(doc: Doc, target: str) -> State:
    """AWS credentials from the gateway pods' IRSA role (no credentials file)."""
    return _policy(doc, target, {"type": "AWSCredentials", "awsCredentials": {"region": REGION}})


def synced_api_key(doc: Doc, target: str) -> State:
    """An API key in a Secret an ExternalSecret syncs from the stack's Secrets Manager store."""
    store = _find(doc, SECRET_STORE)
    secret = f"{target}-api-key"
    _k8s(
        doc,
        EXTERNAL_SECRET,
        secret,
        "ExternalSecret",
        {
            "spec": {
                "secretStoreRef": {
                    "kind": "SecretStore",
                    "name": store["inputs"]["metadata"]["name"],
                },
                "target": {"name": secret, "creationPolicy": "Owner"},
                "data": [
                    {"secretKey": "apiKey", "remoteRef": {"key": f"servegate/prod-ca/{secret}"}}
                ],
            }
        },
    )
    return _policy(doc, target, {"type": "APIKey", "apiKey": {"secretRef": {"name": secret}}})


def bedrock_endpoint(doc: Doc, service_region: str = REGION) -> State:
    """The interface VPC endpoint SovereignNetwork creates for Bedrock (private DNS on)."""
    like = _find(doc, VPC_ENDPOINT, lambda s: s["inputs"].get("vpcEndpointType") == "Interface")
    inputs = {
        **like["inputs"],
        "serviceName": f"com.amazonaws.{service_region}.bedrock-runtime",
        "tags": {"Name": "prod-ca-net-bedrock-runtime"},
    }
    return _aws(
        doc,
        VPC_ENDPOINT,
        "prod-ca-net-bedrock-runtime",
        inputs,
        like.get("propertyDependencies", {}),
    )


def bedrock(doc: Doc, classes: str = "public,internal") -> tuple[State, State]:
    """Amazon Bedrock in ca-central-1 over PrivateLink with IRSA credentials."""
    bedrock_endpoint(doc)
    backend, ai_backend = external_backend(doc, "bedrock", BEDROCK_HOST, "AWSBedrock", classes)
    irsa_credentials(doc, "bedrock")
    return backend, ai_backend


def openai(doc: Doc, classes: str) -> tuple[State, State]:
    """api.openai.com over the internet with a synced API key."""
    backend, ai_backend = external_backend(doc, "openai", "api.openai.com", "OpenAI", classes)
    synced_api_key(doc, "openai")
    return backend, ai_backend


def route(doc: Doc) -> State:
    return _find(doc, ROUTE)


def _self_hosted(doc: Doc, model: str) -> str:
    """The backend of the model's catch-all rule (as shipped, its self-hosted model)."""
    for rule in route(doc)["inputs"]["spec"]["rules"]:
        headers = rule["matches"][0]["headers"]
        if [(h["name"], h["value"]) for h in headers] == [(MODEL_HEADER, model)]:
            name: str = rule["backendRefs"][0]["name"]
            return name
    raise LookupError(f"prod-ca routes no {model}")


def add_rule(doc: Doc, model: str, classification: str, refs: list[dict[str, Any]]) -> State:
    """A rule for ``model`` and ``classification`` placed first (more specific than the
    model's catch-all)."""
    state = route(doc)
    rule = {
        "matches": [
            {
                "headers": [
                    {"type": "Exact", "name": MODEL_HEADER, "value": model},
                    {"type": "Exact", "name": CLASS_HEADER, "value": classification},
                ]
            }
        ],
        "backendRefs": refs,
    }
    state["inputs"]["spec"]["rules"].insert(0, rule)
    return state


def ref(name: str, priority: int, model_id: str | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": name, "priority": priority}
    if model_id is not None:
        entry["modelNameOverride"] = model_id
    return entry


def hybrid(doc: Doc) -> State:
    """prod-ca's hybrid serving, compliant: Bedrock in the zone for public and internal llama
    traffic, the self-hosted llama as its fallback; regulated and unclassified stay self-hosted."""
    bedrock(doc)
    llama = _self_hosted(doc, LLAMA)
    for classification in ("public", "internal"):
        add_rule(doc, LLAMA, classification, [ref("bedrock", 0, BEDROCK_MODEL), ref(llama, 1)])
    return add_rule(doc, LLAMA, "regulated", [ref(llama, 0)])


# -- the violating cases -----------------------------------------------------------------------


def res_012(doc: Doc) -> Target:
    # Regulated llama traffic sent to api.openai.com (which even claims to accept it).
    openai(doc, "public,internal,confidential,regulated")
    return _target(add_rule(doc, LLAMA, "regulated", [ref("openai", 0)]))


def res_013(doc: Doc) -> Target:
    # Confidential mixtral traffic to the in-zone Bedrock backend, which declares public, internal.
    bedrock(doc)
    return _target(add_rule(doc, MIXTRAL, "confidential", [ref("bedrock", 0, BEDROCK_MODEL)]))


def res_014(doc: Doc) -> Target:
    # Regulated llama traffic falls back from the self-hosted model to api.openai.com.
    openai(doc, "public,internal,confidential,regulated")
    return _target(
        add_rule(doc, LLAMA, "regulated", [ref(_self_hosted(doc, LLAMA), 0), ref("openai", 1)])
    )


def res_015(doc: Doc) -> Target:
    # An internet backend (unrouted) in the air-gapped stack.
    backend, _ = openai(doc, "public")
    return _target(backend)


def res_016(doc: Doc) -> Target:
    # An egress allow-list for ".openai.com": every subdomain, not one backend.
    group = _allow_list(doc, [".openai.com"])
    _egress_firewall(doc, group)
    return _target(group)


def _egress_firewall(doc: Doc, group: State) -> None:
    policy = _aws(
        doc,
        FIREWALL_POLICY,
        "prod-ca-egress",
        {
            "name": "prod-ca-egress",
            "firewallPolicy": {
                "statelessDefaultActions": ["aws:forward_to_sfe"],
                "statelessFragmentDefaultActions": ["aws:forward_to_sfe"],
                "statefulEngineOptions": {"ruleOrder": "STRICT_ORDER"},
                "statefulDefaultActions": ["aws:drop_established", "aws:alert_established"],
                "statefulRuleGroupReferences": [{"resourceArn": "arn:unknown"}],
            },
        },
        {"firewallPolicy": [group["urn"]]},
    )
    vpc = _find(doc, "aws:ec2/vpc:Vpc")
    _aws(
        doc,
        FIREWALL,
        "prod-ca-egress",
        {
            "name": "prod-ca-egress",
            "firewallPolicyArn": "arn:unknown",
            "vpcId": "prod-ca-net-vpc-id",
        },
        {"firewallPolicyArn": [policy["urn"]], "vpcId": [vpc["urn"]]},
    )


def res_017(doc: Doc) -> Target:
    # Public llama traffic to Bedrock with a US cross-region inference profile.
    bedrock(doc)
    profile = "us.meta.llama3-1-8b-instruct-v1:0"
    return _target(add_rule(doc, LLAMA, "public", [ref("bedrock", 0, profile)]))


def res_018(doc: Doc) -> Target:
    # The mixtral catch-all (unclassified requests) now goes to Bedrock, declared public, internal.
    bedrock(doc)
    state = route(doc)
    for rule in state["inputs"]["spec"]["rules"]:
        if rule["matches"][0]["headers"][0]["value"] == MIXTRAL:
            rule["backendRefs"] = [ref("bedrock", 0, BEDROCK_MODEL)]
    return _target(state)


def sec_042(doc: Doc) -> Target:
    # Bedrock credentials from an inline AWS credentials file in a Secret the stack fills.
    bedrock_endpoint(doc)
    external_backend(doc, "bedrock", BEDROCK_HOST, "AWSBedrock", "public,internal")
    _k8s(doc, SECRET, "bedrock-credentials", "Secret", {"stringData": {"credentials": "[secret]"}})
    policy = _policy(
        doc,
        "bedrock",
        {
            "type": "AWSCredentials",
            "awsCredentials": {
                "region": REGION,
                "credentialsFile": {"secretRef": {"name": "bedrock-credentials"}},
            },
        },
    )
    return _target(policy)


def sec_043(doc: Doc) -> Target:
    # Bedrock without a BackendTLSPolicy: the gateway would not verify its certificate.
    bedrock_endpoint(doc)
    backend, _ = external_backend(
        doc, "bedrock", BEDROCK_HOST, "AWSBedrock", "public,internal", tls=False
    )
    irsa_credentials(doc, "bedrock")
    return _target(backend)


def _allow_list(doc: Doc, targets: list[str]) -> State:
    """A stateful ALLOWLIST domain-list rule group of the egress firewall."""
    return _aws(
        doc,
        RULE_GROUP,
        "prod-ca-egress-allow",
        {
            "name": "prod-ca-egress-allow",
            "type": "STATEFUL",
            "capacity": 100,
            "ruleGroup": {
                "rulesSource": {
                    "rulesSourceList": {
                        "generatedRulesType": "ALLOWLIST",
                        "targetTypes": ["TLS_SNI", "HTTP_HOST"],
                        "targets": targets,
                    }
                }
            },
        },
        {},
    )


def _empty_allow_list(doc: Doc) -> State:
    """The egress allow-list of a stack with no internet backend: it allows nothing."""
    return _allow_list(doc, [])


def res_026(doc: Doc) -> Target:
    # The firewall policy passes packets statelessly: they never meet the allow-list.
    _egress_firewall(doc, _empty_allow_list(doc))
    policy = _find(doc, FIREWALL_POLICY)
    policy["inputs"]["firewallPolicy"]["statelessDefaultActions"] = ["aws:pass"]
    return _target(policy)


def res_026_route(doc: Doc) -> Target:
    # A node subnet's default route goes to a NAT gateway, around the firewall.
    _egress_firewall(doc, _empty_allow_list(doc))
    node_subnets = {urn for state in _states(doc, NODE_GROUP) for urn in _deps(state, "subnetIds")}
    association = _find(
        doc,
        ROUTE_TABLE_ASSOCIATION,
        lambda state: bool(set(_deps(state, "subnetId")) & node_subnets),
    )
    nat = _aws(doc, NAT_GATEWAY, "prod-ca-nat", {"connectivityType": "public"}, {})
    table_urn = _deps(association, "routeTableId")[0]
    route = _aws(
        doc,
        EC2_ROUTE,
        "prod-ca-private-default",
        {
            "destinationCidrBlock": "0.0.0.0/0",
            "routeTableId": "prod-ca-private-id",
            "natGatewayId": "prod-ca-nat-id",
        },
        {"routeTableId": [table_urn], "natGatewayId": [nat["urn"]]},
    )
    return _target(route)


def res_012_external_name(doc: Doc) -> Target:
    # Regulated llama traffic to a Backend on a cluster DNS name that is an alias (an
    # ExternalName Service) of api.openai.com.
    namespace = _namespace(doc)
    _k8s(
        doc,
        SERVICE,
        "relay",
        "Service",
        {"spec": {"type": "ExternalName", "externalName": "api.openai.com"}},
    )
    external_backend(
        doc,
        "relay",
        f"relay.{namespace}.svc.cluster.local",
        "OpenAI",
        "public,internal,confidential,regulated",
    )
    # TLS verified against the host the alias reaches (SEC-043 judges that host).
    tls = _find(doc, TLS_POLICY, lambda state: state["inputs"]["metadata"]["name"] == "relay")
    tls["inputs"]["spec"]["validation"]["hostname"] = "api.openai.com"
    synced_api_key(doc, "relay")
    return _target(add_rule(doc, LLAMA, "regulated", [ref("relay", 0)]))


def sec_044(doc: Doc) -> Target:
    # The proxies may connect to the internet on HTTPS, but the stack has no internet backend.
    proxies = _find(
        doc,
        NETWORK_POLICY,
        lambda state: state["inputs"]["metadata"]["name"] == "gateway-proxies",
    )
    proxies["inputs"]["spec"]["egress"].append(
        {
            "to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}}],
            "ports": [{"protocol": "TCP", "port": 443}],
        }
    )
    return _target(proxies)


def _deps(state: State, key: str) -> list[str]:
    deps: list[str] = state.get("propertyDependencies", {}).get(key, [])
    return deps


TRAFFIC_CASES: dict[str, PolicyCase] = {
    "RES-012": res_012,
    "RES-013": res_013,
    "RES-014": res_014,
    "RES-015": res_015,
    "RES-016": res_016,
    "RES-017": res_017,
    "RES-018": res_018,
    "SEC-042": sec_042,
    "SEC-043": sec_043,
    "RES-026": res_026,
    "SEC-044": sec_044,
}

TRAFFIC_VARIANTS: dict[str, PolicyCase] = {
    "RES-026 route around the firewall": res_026_route,
    "RES-012 ExternalName alias": res_012_external_name,
}


# -- the same plans put right ------------------------------------------------------------------


def _fixed_012(doc: Doc) -> None:
    # Regulated stays self-hosted; api.openai.com is not in an air-gapped stack at all.
    hybrid(doc)


def _fixed_013(doc: Doc) -> None:
    bedrock(doc)
    add_rule(doc, MIXTRAL, "internal", [ref("bedrock", 0, BEDROCK_MODEL)])
    add_rule(doc, MIXTRAL, "confidential", [ref(_self_hosted(doc, MIXTRAL), 0)])


def _fixed_014(doc: Doc) -> None:
    # Regulated falls back from one self-hosted model to the other, both in the cluster.
    add_rule(
        doc,
        LLAMA,
        "regulated",
        [ref(_self_hosted(doc, LLAMA), 0), ref(_self_hosted(doc, MIXTRAL), 1)],
    )


def _fixed_015(doc: Doc) -> None:
    bedrock(doc)


def _fixed_egress(doc: Doc) -> None:
    # The firewall as SovereignNetwork renders it, no route around it, and (no internet
    # backend) no allow-list entry: it allows nothing.
    _egress_firewall(doc, _empty_allow_list(doc))


def _fixed_017(doc: Doc) -> None:
    bedrock(doc)
    add_rule(doc, LLAMA, "public", [ref("bedrock", 0, BEDROCK_MODEL)])


def _fixed_018(doc: Doc) -> None:
    bedrock(doc)
    add_rule(
        doc,
        MIXTRAL,
        "public",
        [ref("bedrock", 0, BEDROCK_MODEL), ref(_self_hosted(doc, MIXTRAL), 1)],
    )


def _fixed_sec_042(doc: Doc) -> None:
    bedrock_endpoint(doc)
    external_backend(doc, "bedrock", BEDROCK_HOST, "AWSBedrock", "public,internal")
    synced_api_key(doc, "bedrock")


def _fixed_sec_043(doc: Doc) -> None:
    bedrock(doc)


CORRECTED: dict[str, Callable[[Doc], Any]] = {
    "RES-012": _fixed_012,
    "RES-013": _fixed_013,
    "RES-014": _fixed_014,
    "RES-015": _fixed_015,
    "RES-016": _fixed_egress,
    "RES-017": _fixed_017,
    "RES-018": _fixed_018,
    "SEC-042": _fixed_sec_042,
    "SEC-043": _fixed_sec_043,
    "RES-026": _fixed_egress,
}


def all_traffic_violations(doc: Doc) -> set[str]:
    """One plan breaking most traffic rules at once (the engines' parity test): the rules it
    breaks."""
    res_012(doc)  # api.openai.com, regulated llama traffic to it (and RES-015)
    res_016(doc)
    res_017(doc)  # Bedrock over PrivateLink, a US profile for public llama traffic
    add_rule(doc, MIXTRAL, "confidential", [ref("bedrock", 0, BEDROCK_MODEL)])
    add_rule(doc, MIXTRAL, "regulated", [ref(_self_hosted(doc, MIXTRAL), 0), ref("openai", 1)])
    state = route(doc)
    for rule in state["inputs"]["spec"]["rules"]:
        if [h["value"] for h in rule["matches"][0]["headers"]] == [LLAMA]:
            rule["backendRefs"] = [ref(rule["backendRefs"][0]["name"], 0), ref("openai", 1)]
    return {"RES-012", "RES-013", "RES-014", "RES-015", "RES-016", "RES-017", "RES-018"}
