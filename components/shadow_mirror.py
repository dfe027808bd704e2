"""The gateway's mirror of a share of a model's requests to its shadow, as an EnvoyPatchPolicy.

Why a patch, and not the Gateway API ``RequestMirror`` filter (docs/design.md, "Shadow
traffic"): the route in use is Envoy AI Gateway v1.1.0's AIGatewayRoute, whose rules have no
filters and no mirror (api/v1beta1/ai_gateway_route.go at v1.1.0; envoyproxy/ai-gateway PR
#2205 "feat: add mirror feature to aigatewayroute" is open). Its controller owns the HTTPRoute
it generates and rewrites ``spec.rules`` on every reconcile (internal/controller/
ai_gateway_route.go, newHTTPRoute), so a ``RequestMirror`` filter added there is overwritten
(issue #2137). A second HTTPRoute of our own with the filter would compete with the generated
one for the same requests (Gateway API precedence: the oldest route wins a tie) and, routing
the real request itself, bypass the AI Gateway's upstream processing.

Envoy Gateway v1.8.3 applies EnvoyPatchPolicies to the xDS it translated
(internal/xds/translator/translator.go, processJSONPatches) before the AI Gateway extension
server's PostTranslateModify, which edits the routes it is handed in place and keeps the rest
(internal/extensionserver/post_translate_modify.go at ai-gateway v1.1.0). The patch adds
Envoy's ``request_mirror_policies`` to the model's routes, exactly what Envoy Gateway itself
emits for a ``RequestMirror`` filter with a percent (internal/xds/translator/route.go,
buildXdsRequestMirrorPolicies), and a STRICT_DNS cluster on the shadow Service, as for an
FQDN Backend.

What that gives, from Envoy's router: the mirror is sent by the router filter, the last of the
chain, so a request the SecurityPolicy's authentication or the BackendTrafficPolicy's rate limit
rejects is never mirrored; the mirror's response is discarded; the mirror cluster is not one of
the AI Gateway's route clusters (``httproute/...``), so its upstream external processor never
sees the mirror's response and counts no tokens (rate-limit costs and gen_ai metrics come from
the real response only).

xDS names (Envoy Gateway v1.8.3, default xDS name scheme, XDSNameSchemeV2 off): the route
configuration of an HTTPS listener is named after the listener, ``<namespace>/<gateway>/
<listener>`` (internal/xds/translator/listener.go, routeConfigName); a route is
``httproute/<namespace>/<route>/rule/<rule>/match/<match>/<host>`` with the host's dots as
underscores (internal/gatewayapi/helpers.go irRouteName, route.go), the host being the
listener's hostname when the route declares none (helpers.go computeHosts). The HTTPRoute Envoy
AI Gateway generates has the AIGatewayRoute's name and its rules in the same order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi import Input

from components.routing import RouteRule

ROUTE_CONFIGURATION_TYPE = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration"
CLUSTER_TYPE = "type.googleapis.com/envoy.config.cluster.v3.Cluster"
CLUSTER_PREFIX = "servegate-shadow"
"""Mirror clusters are named ``servegate-shadow/<namespace>/<model>``: never ``httproute/...``,
the names the AI Gateway extension server adds its upstream processing to."""
CONNECT_TIMEOUT = "10s"
"""Envoy Gateway's default TCP connect timeout (api/v1alpha1/timeout_types.go, cluster.go)."""


@dataclass(frozen=True)
class Shadow:
    """One model's shadow as the gateway mirrors to it."""

    model: str
    """The ``models[].name`` whose requests are mirrored."""
    host: Input[str]
    """The shadow Service's cluster DNS name."""
    port: int
    percent: int


@dataclass(frozen=True)
class Listener:
    """Where the route is attached: the Gateway, its listener and hostname."""

    namespace: str
    gateway: str
    listener: str
    hostname: str


def route_configuration_name(listener: Listener) -> str:
    return f"{listener.namespace}/{listener.gateway}/{listener.listener}"


def route_name(listener: Listener, route: str, rule: int) -> str:
    """The xDS route of the generated HTTPRoute's rule (each rule has one match)."""
    host = listener.hostname.replace(".", "_")
    return f"httproute/{listener.namespace}/{route}/rule/{rule}/match/0/{host}"


def cluster_name(namespace: str, model: str) -> str:
    return f"{CLUSTER_PREFIX}/{namespace}/{model}"


def mirrored_rules(rules: Sequence[RouteRule], model: str) -> list[int]:
    """Indexes of the rules whose first choice is the self-hosted ``model`` under the name it
    serves: its requests. (Where the model is only a fallback, the request was another
    backend's; where the rule renames the model, only the real request's upstream processing
    rewrites the body, and the shadow would be asked for a model it does not serve.)"""
    return [
        i
        for i, rule in enumerate(rules)
        if rule.hops
        and not rule.hops[0].external
        and rule.hops[0].backend == model
        and rule.hops[0].model_override is None
    ]


def _cluster(name: str, shadow: Shadow) -> dict[str, Any]:
    address = {"socket_address": {"address": shadow.host, "port_value": shadow.port}}
    return {
        "name": name,
        "type": "STRICT_DNS",
        "connect_timeout": CONNECT_TIMEOUT,
        # Envoy Gateway's default for its own clusters (cluster.go, computeDNSLookupFamily).
        "dns_lookup_family": "V4_PREFERRED",
        "load_assignment": {
            "cluster_name": name,
            "endpoints": [{"lb_endpoints": [{"endpoint": {"address": address}}]}],
        },
    }


def _mirror(cluster: str, percent: int) -> dict[str, Any]:
    return {
        "cluster": cluster,
        "runtime_fraction": {"default_value": {"numerator": percent, "denominator": "HUNDRED"}},
        # As Envoy Gateway's own mirror: the cluster already tells mirrored traffic apart.
        "disable_shadow_host_suffix_append": True,
    }


def patch_policy_spec(
    listener: Listener,
    route: str,
    rules: Sequence[RouteRule],
    shadows: Mapping[str, Shadow],
) -> dict[str, Any] | None:
    """The EnvoyPatchPolicy spec mirroring each shadowed model's rules; None without any."""
    patches: list[dict[str, Any]] = []
    config = route_configuration_name(listener)
    for model, shadow in shadows.items():
        cluster = cluster_name(listener.namespace, model)
        indexes = mirrored_rules(rules, model)
        if not indexes:
            continue
        patches.append(
            {
                "type": CLUSTER_TYPE,
                "name": cluster,
                # "add" without a path adds the value as a whole resource (jsonpatch.go).
                "operation": {"op": "add", "value": _cluster(cluster, shadow)},
            }
        )
        for index in indexes:
            patches.append(
                {
                    "type": ROUTE_CONFIGURATION_TYPE,
                    "name": config,
                    "operation": {
                        "op": "add",
                        "jsonPath": (
                            "$.virtual_hosts[*].routes"
                            f"[?(@.name=='{route_name(listener, route, index)}')]"
                        ),
                        "path": "/route/request_mirror_policies",
                        "value": [_mirror(cluster, shadow.percent)],
                    },
                }
            )
    if not patches:
        return None
    return {
        "type": "JSONPatch",
        "targetRef": {
            "group": "gateway.networking.k8s.io",
            "kind": "Gateway",
            "name": listener.gateway,
        },
        "jsonPatches": patches,
    }
