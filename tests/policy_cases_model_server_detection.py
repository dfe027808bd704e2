"""Model servers are found by what they run (issue 8): a hand-written vLLM Deployment.

prod-ca is sovereign and air-gapped. The violating plan has the stable llama-8b Deployment as
someone would write it by hand: none of servegate's labels or annotations, weights pulled from
the Hugging Face hub by model id (no init container copying them from the zone's bucket, no
HF_HUB_OFFLINE), one replica. The rules that once looked for ``servegate.io/role:
model-server`` must still judge it: it breaks residency (RES-006, the hub) and the SLA (SLA-001,
the replica floor). The corrected plan keeps the server unlabelled as a model server (only the
model and track labels its disruption budget, Service and alert select it by) and passes.
"""

from __future__ import annotations

from typing import Any

from tests.policy_cases_audit_security import Target, _states, _target

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
# The findings the violating plan must have on the hand-written server, at least.
HAND_WRITTEN_SERVER_RULES = frozenset({"RES-006", "SLA-001"})
_IDENTIFYING_LABELS = ("servegate.io/role", "app.kubernetes.io/part-of")
_HUB_MODEL = "meta-llama/Llama-3.1-8B-Instruct"


def _stable_llama(doc: dict[str, Any]) -> dict[str, Any]:
    for state in _states(doc, DEPLOYMENT):
        labels = state["inputs"].get("metadata", {}).get("labels", {})
        model, track = labels.get("servegate.io/model"), labels.get("servegate.io/track")
        if (model, track) == ("llama-8b", "stable"):
            return state
    raise LookupError("the plan has no stable llama-8b Deployment; the case needs one")


def _label_maps(inputs: dict[str, Any]) -> list[dict[str, Any]]:
    return [inputs["metadata"]["labels"], inputs["spec"]["template"]["metadata"]["labels"]]


def unlabelled_server(doc: dict[str, Any]) -> Target:
    """Corrected: the server without the labels that name it a model server."""
    state = _stable_llama(doc)
    for labels in _label_maps(state["inputs"]):
        for key in _IDENTIFYING_LABELS:
            labels.pop(key, None)
    return _target(state)


def hand_written_server(doc: dict[str, Any]) -> Target:
    """Violating: no servegate labels or annotations, weights from the hub, one replica."""
    state = _stable_llama(doc)
    inputs = state["inputs"]
    name = inputs["metadata"]["name"]
    inputs["metadata"].pop("annotations", None)
    inputs["spec"]["template"]["metadata"].pop("annotations", None)
    inputs["metadata"]["labels"] = {"app": name}
    inputs["spec"]["template"]["metadata"]["labels"] = {"app": name}
    inputs["spec"]["selector"] = {"matchLabels": {"app": name}}
    inputs["spec"]["replicas"] = 1
    pod = inputs["spec"]["template"]["spec"]
    pod.pop("initContainers", None)
    server = pod["containers"][0]
    server["args"] = [f"--model={_HUB_MODEL}", "--port=8000", "--max-model-len=8192"]
    server["env"] = [e for e in server.get("env", []) if not e["name"].endswith("_OFFLINE")]
    return _target(state)
