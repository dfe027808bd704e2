"""Preview plans with a shadow of a model (issue #10 §4): RES-023 on an external mirror target,
and the older rules on a shadow that breaks them (it is judged as the model server it is).

Same contract as tests/policy_cases_residency_sla_cost.py: each case edits the compliant
prod-ca preview in place and returns the one resource its rule must fire on. The cases add
what ``models[].shadow`` renders (components/vllm.py, components/shadow_mirror.py): the
shadow's Deployment and PodDisruptionBudget, copies of llama's with the shadow's track and
name, the l4 pool raised to hold its replica floor, and the gateway's EnvoyPatchPolicy that
mirrors to it. ``CORRECTED`` holds, per case, the same plan put right; each passes the gate.
"""

from __future__ import annotations

import copy
from typing import Any

from tests.policy_cases_residency_sla_cost import (
    DEPLOYMENT,
    NODE_GROUP,
    Doc,
    PolicyCase,
    State,
    Target,
    _add_step,
    _find,
    _gpu_group,
    _model_server,
    _target,
)

PDB = "kubernetes:policy/v1:PodDisruptionBudget"
PATCH_POLICY = "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyPatchPolicy"
ROUTE = "kubernetes:aigateway.envoyproxy.io/v1beta1:AIGatewayRoute"
MODEL = "llama-8b"
SHADOW = "vllm-llama-8b-v3-shadow"
MODELS_NAMESPACE = "llm-serving"
SHADOW_HOST = f"{SHADOW}.{MODELS_NAMESPACE}.svc.cluster.local"
CLUSTER = f"servegate-shadow/llm-gateway/{MODEL}"
TRACK = "servegate.io/track"


def _is_llama(state: State) -> bool:
    labels = state["inputs"].get("metadata", {}).get("labels", {})
    return bool(labels.get("servegate.io/model") == MODEL and labels.get(TRACK) == "stable")


def _as_shadow(state: State, doc: Doc, type_token: str) -> State:
    inputs = copy.deepcopy(state["inputs"])
    inputs["metadata"]["name"] = SHADOW
    inputs["metadata"]["labels"][TRACK] = "shadow"
    spec = inputs["spec"]
    spec["selector"]["matchLabels"][TRACK] = "shadow"
    if "template" in spec:
        spec["template"]["metadata"]["labels"][TRACK] = "shadow"
    return _add_step(doc, state, type_token, f"{SHADOW}-{type_token.rsplit(':', 1)[-1]}", inputs)


def add_shadow(doc: Doc) -> State:
    """llama's shadow as models[].shadow renders it, on a pool that holds its floor."""
    stable = _find(doc, DEPLOYMENT, lambda s: _model_server("stable")(s) and _is_llama(s))
    shadow = _as_shadow(stable, doc, DEPLOYMENT)
    shadow["inputs"]["spec"]["template"]["metadata"]["annotations"]["servegate.io/model-source"] = (
        "s3://prod-ca-models/llama-3.1-8b-instruct-2026-11"
    )
    _as_shadow(_find(doc, PDB, _is_llama), doc, PDB)
    pool = _find(doc, NODE_GROUP, lambda s: _gpu_group(s) and "l4" in s["urn"])
    scaling = pool["inputs"]["scalingConfig"]
    scaling["minSize"] += 2
    scaling["desiredSize"] = max(scaling.get("desiredSize", 0), scaling["minSize"])
    return shadow


def add_mirror(doc: Doc, host: str) -> State:
    """The gateway's EnvoyPatchPolicy: a cluster on ``host`` and a mirror of llama's rule 0."""
    route = _find(doc, ROUTE)
    namespace = route["inputs"]["metadata"]["namespace"]
    gateway = route["inputs"]["spec"]["parentRefs"][0]["name"]
    address = {"socket_address": {"address": host, "port_value": 8000}}
    cluster = {
        "name": CLUSTER,
        "type": "STRICT_DNS",
        "connect_timeout": "10s",
        "load_assignment": {
            "cluster_name": CLUSTER,
            "endpoints": [{"lb_endpoints": [{"endpoint": {"address": address}}]}],
        },
    }
    mirror = {
        "cluster": CLUSTER,
        "runtime_fraction": {"default_value": {"numerator": 10, "denominator": "HUNDRED"}},
    }
    route_name = route["inputs"]["metadata"]["name"]
    body: dict[str, Any] = {
        "apiVersion": "gateway.envoyproxy.io/v1alpha1",
        "kind": "EnvoyPatchPolicy",
        "metadata": {"name": f"{gateway}-shadow-mirror", "namespace": namespace},
        "spec": {
            "type": "JSONPatch",
            "targetRef": {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": gateway},
            "jsonPatches": [
                {
                    "type": "type.googleapis.com/envoy.config.cluster.v3.Cluster",
                    "name": CLUSTER,
                    "operation": {"op": "add", "value": cluster},
                },
                {
                    "type": "type.googleapis.com/envoy.config.route.v3.RouteConfiguration",
                    "name": f"{namespace}/{gateway}/https",
                    "operation": {
                        "op": "add",
                        "jsonPath": (
                            "$.virtual_hosts[*].routes[?(@.name=='httproute/"
                            f"{namespace}/{route_name}/rule/0/match/0/host')]"
                        ),
                        "path": "/route/request_mirror_policies",
                        "value": [mirror],
                    },
                },
            ],
        },
    }
    return _add_step(doc, route, PATCH_POLICY, f"{gateway}-shadow-mirror", body)


def res_023(doc: Doc) -> Target:
    # The shadow "target" is an external API: the copies of regulated requests leave Canada.
    add_shadow(doc)
    return _target(add_mirror(doc, "api.openai.com"))


def res_023_corrected(doc: Doc) -> None:
    add_shadow(doc)
    add_mirror(doc, SHADOW_HOST)


def res_011_shadow(doc: Doc) -> Target:
    # The shadow's image by tag only: a sovereign stack's candidate is pinned like the model.
    shadow = add_shadow(doc)
    add_mirror(doc, SHADOW_HOST)
    vllm = next(c for c in shadow["inputs"]["spec"]["template"]["spec"]["containers"])
    vllm["image"] = vllm["image"].split("@", 1)[0]
    return _target(shadow)


def sec_031_shadow(doc: Doc) -> Target:
    # A privileged shadow: same hardening as the model.
    shadow = add_shadow(doc)
    add_mirror(doc, SHADOW_HOST)
    vllm = shadow["inputs"]["spec"]["template"]["spec"]["containers"][0]
    vllm.setdefault("securityContext", {})["privileged"] = True
    return _target(shadow)


def sla_003_shadow(doc: Doc) -> Target:
    # A shadow under the SLA spreads across zones as the stable does (it is judged as one).
    shadow = add_shadow(doc)
    add_mirror(doc, SHADOW_HOST)
    spec = shadow["inputs"]["spec"]["template"]["spec"]
    spec.pop("topologySpreadConstraints", None)
    return _target(shadow)


SHADOW_CASES: dict[str, PolicyCase] = {"RES-023": res_023}
SHADOW_VARIANTS: dict[str, PolicyCase] = {
    "RES-011 shadow": res_011_shadow,
    "SEC-031 shadow": sec_031_shadow,
    "SLA-003 shadow": sla_003_shadow,
}
CORRECTED: dict[str, Any] = {"RES-023": res_023_corrected}
"""The violating plans put right: a compliant shadow of llama, mirrored in the cluster (also
the corrected plan of the variants)."""
