"""Plan mutations that make exactly one residency or SLA rule fire (cost: policy_cases_cost.py).

Each case takes a ``pulumi preview --json`` document of the compliant prod-ca stack
(sovereign, air-gapped, availability 99.9), changes it in place so that
exactly its rule fires on exactly one resource, and returns that resource's URN and type
(stack-level findings land on the root ``pulumi:pulumi:Stack``).
Targets are found by type and labels (docs/conventions.md), never by position, so the cases
survive new resources.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from servegate.plan.unknowns import UNKNOWN
from servegate.plan.urns import ROOT_STACK_TYPE as STACK_TYPE

Doc = dict[str, Any]
State = dict[str, Any]


class Target(NamedTuple):
    """Where the rule must fire."""

    urn: str
    type: str


PolicyCase = Callable[[Doc], Target]

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
ENVOY_PROXY = "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy"
_DELETED = {"delete", "delete-replaced", "discard", "discard-replaced", "remove-pending-replace"}


def _states(doc: Doc, type_token: str) -> Iterator[State]:
    for step in doc["steps"]:
        state = step.get("newState")
        if step.get("op") not in _DELETED and state and state.get("type") == type_token:
            yield state


def _find(doc: Doc, type_token: str, predicate: Callable[[State], bool] = lambda _: True) -> State:
    for state in _states(doc, type_token):
        if predicate(state):
            return state
    raise LookupError(f"the plan has no {type_token} matching the case's needs")


def _target(state: State) -> Target:
    return Target(state["urn"], state["type"])


def _stack_target(doc: Doc) -> Target:
    return _target(_find(doc, STACK_TYPE))


def _labels(state: State) -> dict[str, str]:
    labels: dict[str, str] = state["inputs"].get("metadata", {}).get("labels", {})
    return labels


def _model_server(track: str | None = None) -> Callable[[State], bool]:
    def matches(state: State) -> bool:
        labels = _labels(state)
        if labels.get("servegate.io/role") != "model-server":
            return False
        return track is None or labels.get("servegate.io/track", "stable") == track

    return matches


def _gpu_group(state: State) -> bool:
    return bool(state["inputs"].get("labels", {}).get("servegate.io/role") == "gpu")


def _pod_spec(state: State) -> dict[str, Any]:
    spec: dict[str, Any] = state["inputs"]["spec"]["template"]["spec"]
    return spec


def _vllm(state: State) -> dict[str, Any]:
    containers: list[dict[str, Any]] = _pod_spec(state)["containers"]
    return next((c for c in containers if c.get("name") == "vllm"), containers[0])


def _add_step(doc: Doc, like: State, type_token: str, name: str, inputs: dict[str, Any]) -> State:
    """A new resource created beside ``like`` (same stack, parent and provider)."""
    stack, project = like["urn"].split("::")[0:2]
    state: State = {
        "urn": f"{stack}::{project}::{type_token}::{name}",
        "custom": True,
        "type": type_token,
        "inputs": inputs,
        "parent": like.get("parent"),
        "provider": like.get("provider"),
    }
    doc["steps"].append(
        {
            "op": "create",
            "urn": state["urn"],
            "provider": like.get("provider", ""),
            "newState": state,
        }
    )
    return state


# -- residency ---------------------------------------------------------------------------------


def res_001(doc: Doc) -> Target:
    vpc = _find(doc, "aws:ec2/vpc:Vpc")
    vpc["inputs"]["region"] = "us-east-1"
    return _target(vpc)


def res_002(doc: Doc) -> Target:
    vpc = _find(doc, "aws:ec2/vpc:Vpc")
    vpc["inputs"]["region"] = UNKNOWN
    return _target(vpc)


def res_003(doc: Doc) -> Target:
    bucket = _find(doc, "aws:s3/bucket:Bucket")
    replication = _add_step(
        doc,
        bucket,
        "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
        "external-replication",
        {
            "bucket": UNKNOWN,
            "role": UNKNOWN,
            "rules": [
                {
                    "id": "all",
                    "status": "Enabled",
                    "destination": {"bucket": "arn:aws:s3:::external-dr"},
                }
            ],
        },
    )
    replication["propertyDependencies"] = {"bucket": [bucket["urn"]]}
    return _target(replication)


def res_004(doc: Doc) -> Target:
    key = _find(doc, "aws:kms/key:Key")
    key["inputs"]["region"] = "us-east-1"
    return _target(key)


def res_005(doc: Doc) -> Target:
    server = _find(doc, DEPLOYMENT, _model_server("stable"))
    annotations = server["inputs"]["metadata"].setdefault("annotations", {})
    annotations["servegate.io/model-source"] = "hf://meta-llama/Llama-3.1-8B-Instruct"
    return _target(server)


def res_006(doc: Doc) -> Target:
    server = _find(doc, DEPLOYMENT, _model_server("stable"))
    vllm = _vllm(server)
    vllm["env"] = [e for e in vllm.get("env", []) if e.get("name") != "HF_HUB_OFFLINE"]
    return _target(server)


def res_007(doc: Doc) -> Target:
    release = _find(doc, "kubernetes:helm.sh/v3:Release")
    chart = str(release["inputs"]["chart"]).rstrip("/").rsplit("/", 1)[-1]
    release["inputs"]["chart"] = chart
    release["inputs"]["repositoryOpts"] = {
        "repo": "https://prometheus-community.github.io/helm-charts"
    }
    return _target(release)


def res_008(doc: Doc) -> Target:
    vpc = _find(doc, "aws:ec2/vpc:Vpc")
    nat = _add_step(
        doc,
        vpc,
        "aws:ec2/natGateway:NatGateway",
        "egress",
        {"connectivityType": "public", "subnetId": UNKNOWN},
    )
    return _target(nat)


def res_009(doc: Doc) -> Target:
    proxy = _find(doc, ENVOY_PROXY)
    service = proxy["inputs"]["spec"]["provider"]["kubernetes"].setdefault("envoyService", {})
    service.setdefault("annotations", {})["service.beta.kubernetes.io/aws-load-balancer-scheme"] = (
        "internet-facing"
    )
    return _target(proxy)


# -- SLA ---------------------------------------------------------------------------------------


def sla_001(doc: Doc) -> Target:
    server = _find(doc, DEPLOYMENT, _model_server("stable"))
    server["inputs"]["spec"]["replicas"] = 1
    return _target(server)


def sla_002(doc: Doc) -> Target:
    scaled = _find(
        doc,
        "kubernetes:keda.sh/v1alpha1:ScaledObject",
        lambda s: _labels(s).get("servegate.io/track", "stable") == "stable",
    )
    scaled["inputs"]["spec"]["minReplicaCount"] = 0
    return _target(scaled)


def sla_003(doc: Doc) -> Target:
    server = _find(doc, DEPLOYMENT, _model_server("stable"))
    _pod_spec(server).pop("topologySpreadConstraints", None)
    return _target(server)


def sla_004(doc: Doc) -> Target:
    server = _find(doc, DEPLOYMENT, _model_server())
    selector = server["inputs"]["spec"]["selector"]["matchLabels"]
    namespace = server["inputs"]["metadata"].get("namespace", "default")

    def guards_server(step: dict[str, Any]) -> bool:
        state = step.get("newState") or {}
        inputs = state.get("inputs", {})
        return bool(
            state.get("type") == "kubernetes:policy/v1:PodDisruptionBudget"
            and inputs.get("metadata", {}).get("namespace", "default") == namespace
            and inputs.get("spec", {}).get("selector", {}).get("matchLabels") == selector
        )

    doc["steps"] = [step for step in doc["steps"] if not guards_server(step)]
    return _target(server)


def sla_005(doc: Doc) -> Target:
    server = _find(doc, DEPLOYMENT, _model_server("stable"))
    _vllm(server).pop("livenessProbe", None)
    return _target(server)


def sla_006(doc: Doc) -> Target:
    server = _find(doc, DEPLOYMENT, _model_server("stable"))
    server["inputs"]["spec"]["strategy"] = {"type": "Recreate"}
    return _target(server)


def sla_007(doc: Doc) -> Target:
    group = _find(doc, NODE_GROUP, _gpu_group)
    deps = group.setdefault("propertyDependencies", {})
    deps["subnetIds"] = deps.get("subnetIds", [])[:1]
    group["inputs"]["subnetIds"] = group["inputs"].get("subnetIds", [])[:1]
    return _target(group)


def sla_008(doc: Doc) -> Target:
    group = _find(doc, NODE_GROUP, _gpu_group)
    group["inputs"]["scalingConfig"]["minSize"] = 0
    return _target(group)


def sla_009(doc: Doc) -> Target:
    group = _find(doc, NODE_GROUP, _gpu_group)
    group["inputs"]["capacityType"] = "SPOT"
    return _target(group)


def sla_010(doc: Doc) -> Target:
    # Still the in-zone mirror (RES-007 stays quiet), only the tag changes.
    server = _find(doc, DEPLOYMENT, _model_server("stable"))
    vllm = _vllm(server)
    repository = str(vllm["image"]).split("@", 1)[0]
    name_start = repository.rfind("/") + 1
    if ":" in repository[name_start:]:
        repository = repository[: repository.rfind(":")]
    vllm["image"] = f"{repository}:latest"
    return _target(server)


def sla_011(doc: Doc) -> Target:
    proxy = _find(doc, ENVOY_PROXY)
    kubernetes = proxy["inputs"]["spec"]["provider"]["kubernetes"]
    kubernetes.pop("envoyHpa", None)
    kubernetes.setdefault("envoyDeployment", {})["replicas"] = 1
    return _target(proxy)


def sla_012(doc: Doc) -> Target:
    server = _find(doc, DEPLOYMENT, _model_server("stable"))
    model = _labels(server)["servegate.io/model"]
    for rule_set in _states(doc, "kubernetes:monitoring.coreos.com/v1:PrometheusRule"):
        for group in rule_set["inputs"].get("spec", {}).get("groups", []):
            for rule in group.get("rules", []):
                labels = rule.get("labels", {})
                alerts_model = "alert" in rule and labels.get("model") == model
                if alerts_model and labels.get("slo") == "availability":
                    labels["slo"] = "latency"
    return _target(server)


def sla_013(doc: Doc) -> Target:
    server = _find(doc, DEPLOYMENT, _model_server())
    _pod_spec(server)["tolerations"] = []
    return _target(server)


RESIDENCY_SLA_COST_CASES: dict[str, PolicyCase] = {
    "RES-001": res_001,
    "RES-002": res_002,
    "RES-003": res_003,
    "RES-004": res_004,
    "RES-005": res_005,
    "RES-006": res_006,
    "RES-007": res_007,
    "RES-008": res_008,
    "RES-009": res_009,
    "SLA-001": sla_001,
    "SLA-002": sla_002,
    "SLA-003": sla_003,
    "SLA-004": sla_004,
    "SLA-005": sla_005,
    "SLA-006": sla_006,
    "SLA-007": sla_007,
    "SLA-008": sla_008,
    "SLA-009": sla_009,
    "SLA-010": sla_010,
    "SLA-011": sla_011,
    "SLA-012": sla_012,
    "SLA-013": sla_013,
}
