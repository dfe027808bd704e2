"""Plan mutations that make exactly one network-isolation rule fire (SEC-020 .. SEC-024).

Same contract as tests/policy_cases_residency_sla_cost.py: each case edits the compliant
prod-ca preview in place and returns the one resource its rule must fire on. prod-ca runs
two model-server Deployments in llm-serving (its canary is llama-8b's next version, rolled
out by Argo Rollouts); the namespace cases move mixtral-8x7b's to a namespace of its own, so
that exactly one workload is judged there.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from tests.policy_cases_residency_sla_cost import (
    DEPLOYMENT,
    Doc,
    PolicyCase,
    State,
    Target,
    _add_step,
    _find,
    _labels,
    _model_server,
    _target,
)

NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"
ADDON = "aws:eks/addon:Addon"
CLUSTER = "aws:eks/cluster:Cluster"
SCALED_OBJECT = "kubernetes:keda.sh/v1alpha1:ScaledObject"
CANARY_NAMESPACE = "llm-canary"
MOVED_MODEL = "mixtral-8x7b"


def _find_policy(doc: Doc, namespace: str, name: str) -> State:
    def matches(state: State) -> bool:
        metadata = state["inputs"].get("metadata", {})
        return bool(metadata.get("namespace") == namespace and metadata.get("name") == name)

    return _find(doc, NETWORK_POLICY, matches)


def _of_model(model: str) -> Callable[[State], bool]:
    server = _model_server()
    return lambda state: server(state) and _labels(state).get("servegate.io/model") == model


def _canary_alone(doc: Doc, policy_types: list[str]) -> State:
    """A model's Deployment in a namespace of its own whose one policy denies by default in
    ``policy_types`` only."""
    canary = _find(doc, DEPLOYMENT, _of_model(MOVED_MODEL))
    budget = _find(doc, PDB, _of_model(MOVED_MODEL))  # SLA-004 wants it beside the pods
    scaler = _find(doc, SCALED_OBJECT, _of_model(MOVED_MODEL))  # and SLA-002 its autoscaler
    for moved in (canary, budget, scaler):
        moved["inputs"]["metadata"]["namespace"] = CANARY_NAMESPACE
    deny = _find_policy(doc, "llm-serving", "default-deny")
    _add_step(
        doc,
        deny,
        NETWORK_POLICY,
        f"{CANARY_NAMESPACE}-default-deny",
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "default-deny", "namespace": CANARY_NAMESPACE},
            "spec": {"podSelector": {}, "policyTypes": policy_types},
        },
    )
    return canary


def sec_020(doc: Doc) -> Target:
    # Only egress is denied by default where the canary now runs.
    return _target(_canary_alone(doc, ["Egress"]))


def sec_024(doc: Doc) -> Target:
    # Only ingress is denied by default where the canary now runs.
    return _target(_canary_alone(doc, ["Ingress"]))


def sec_021(doc: Doc) -> Target:
    # The model servers' allow gains a rule admitting every pod of every namespace.
    policy = _find_policy(doc, "llm-serving", "model-servers")
    spec = policy["inputs"]["spec"]
    spec["ingress"] = [*spec["ingress"], {"from": [{"namespaceSelector": {}}]}]
    return _target(policy)


def sec_022(doc: Doc) -> Target:
    # The VPC CNI add-on keeps running without its network-policy agent enforcing anything.
    addon = _find(doc, ADDON, lambda state: state["inputs"].get("addonName") == "vpc-cni")
    addon["inputs"]["configurationValues"] = json.dumps({"enableNetworkPolicy": "false"})
    return _target(_find(doc, CLUSTER))


def sec_023(doc: Doc) -> Target:
    # "Temporarily" opening the monitoring namespace to everyone (no model server runs there).
    deny = _find_policy(doc, "monitoring", "default-deny")
    state = _add_step(
        doc,
        deny,
        NETWORK_POLICY,
        "monitoring-allow-all",
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "allow-all", "namespace": "monitoring"},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{}]},
        },
    )
    return _target(state)


NETWORK_CASES: dict[str, PolicyCase] = {
    "SEC-020": sec_020,
    "SEC-021": sec_021,
    "SEC-022": sec_022,
    "SEC-023": sec_023,
    "SEC-024": sec_024,
}
