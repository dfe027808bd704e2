"""The gateway SLIs of each shipped stack point at the gateway the stack actually deploys.

Envoy Gateway names the cluster of HTTPRoute rule i ``httproute/<ns>/<route>/rule/<i>`` and
Envoy AI Gateway turns the AIGatewayRoute into an HTTPRoute of the same name, namespace and
rule order (components/gateway_telemetry.py). So a model's availability SLI must name the
rendered AIGatewayRoute and the index of the rule matching that model, and the PodMonitor
must select the proxies of the rendered Gateway in the namespace Envoy Gateway runs in.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from components.gateway_telemetry import OWNING_GATEWAY_NAME_LABEL, OWNING_GATEWAY_NAMESPACE_LABEL
from servegate.k8s_manifests import Manifest, helm_releases, manifests
from tests import stacks

MODEL_HEADER = "x-ai-eg-model"
# rule/<i>, or rule/(<i>|<j>|...) when several rules (per classification) reach the model.
_CLUSTER = re.compile(
    r'envoy_cluster_name=~"httproute/([^/"]+)/([^/"]+)/rule/(\d+|\([\d|]+\))'
    r'\(/backend/\[0-9\]\+\)\?"'
)


def _one(objects: list[Manifest], kind: str) -> Manifest:
    [found] = [m for m in objects if m.kind == kind]
    return found


def _served_model(rule: dict[str, Any]) -> str:
    [match] = rule["matches"]
    [header] = [h for h in match["headers"] if h["name"] == MODEL_HEADER]
    return str(header["value"])


@pytest.mark.parametrize("stack", stacks.SHIPPED)
def test_model_slis_name_the_route_rule_that_serves_the_model(stack: str) -> None:
    """Each model's SLI names exactly the route rules that reach its backend: its catch-all
    (matching its served name) and every rule per classification or model name routing to it."""
    spec = stacks.spec(stack)
    objects = manifests(stacks.inventory(stack))
    route = _one(objects, "AIGatewayRoute")
    rules = route.body["spec"]["rules"]
    gateway = route.name.removesuffix("-route")
    served = {model.name: model.served_model_name for model in spec.models}
    checked = set()
    for group in _one(objects, "PrometheusRule").body["spec"]["groups"]:
        for rule in group["rules"]:
            model = rule.get("labels", {}).get("model")
            for namespace, name, indexes in _CLUSTER.findall(rule["expr"]):
                assert (namespace, name) == (route.namespace, route.name), rule["expr"]
                assert model is not None
                named = [int(i) for i in indexes.strip("()").split("|")]
                reaching = [
                    i
                    for i, r in enumerate(rules)
                    if any(ref["name"] == f"{gateway}-{model}" for ref in r["backendRefs"])
                ]
                assert named == reaching, (model, named)
                assert _served_model(rules[named[0]]) == served[model], (model, named)
                checked.add(model)
    assert checked == set(served)


@pytest.mark.parametrize("stack", stacks.SHIPPED)
def test_the_pod_monitor_selects_the_deployed_gateways_proxies(stack: str) -> None:
    inventory = stacks.inventory(stack)
    objects = manifests(inventory)
    gateway = _one(objects, "Gateway")
    monitor = _one(objects, "PodMonitor").body["spec"]
    labels = monitor["selector"]["matchLabels"]
    assert labels[OWNING_GATEWAY_NAME_LABEL] == gateway.name
    assert labels[OWNING_GATEWAY_NAMESPACE_LABEL] == gateway.namespace
    # Envoy Gateway runs the proxies in its own namespace: where its chart is installed.
    [controller_namespace] = {
        r["namespace"]
        for r in helm_releases(inventory)
        if str(r["chart"]).rstrip("/").endswith("gateway-helm")
        and not str(r["chart"]).rstrip("/").endswith("ai-gateway-helm")
    }
    assert monitor["namespaceSelector"] == {"matchNames": [controller_namespace]}
