"""One targeted violation per audit and security rule, applied to a preview plan document.

Each case mutates a ``pulumi preview --json`` document of a compliant prod-ca stack so that
exactly its rule fires, and returns where: the resource's URN and type (the stack's root URN
for stack-level findings). Steps are found by type and labels (docs/conventions.md), never by
position, so the cases survive components adding resources.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from servegate.plan.unknowns import UNKNOWN
from servegate.plan.urns import ROOT_STACK_TYPE as STACK_TYPE


class Target(NamedTuple):
    """Where the rule must fire."""

    urn: str
    type: str


PolicyCase = Callable[[dict[str, Any]], Target]


def _states(doc: dict[str, Any], type_token: str) -> Iterator[dict[str, Any]]:
    for step in doc["steps"]:
        state = step.get("newState")
        if state and state.get("type") == type_token:
            yield state


def _first(doc: dict[str, Any], type_token: str, role: str | None = None) -> dict[str, Any]:
    for state in _states(doc, type_token):
        labels = state.get("inputs", {}).get("metadata", {}).get("labels", {})
        if role is None or labels.get("servegate.io/role") == role:
            return state
    wanted = f"{type_token} with servegate.io/role={role}" if role else type_token
    raise LookupError(f"the plan has no {wanted}; the case needs one")


def _target(state: dict[str, Any]) -> Target:
    return Target(state["urn"], state["type"])


def _stack_target(doc: dict[str, Any]) -> Target:
    return _target(_first(doc, STACK_TYPE))


def _remove(doc: dict[str, Any], predicate: Callable[[dict[str, Any]], bool]) -> None:
    doc["steps"] = [s for s in doc["steps"] if not (s.get("newState") and predicate(s["newState"]))]


def _depends_on(state: dict[str, Any], key: str, urn: str) -> bool:
    return urn in state.get("propertyDependencies", {}).get(key, [])


def _audit_bucket(doc: dict[str, Any]) -> dict[str, Any]:
    for state in _states(doc, "aws:s3/bucket:Bucket"):
        if state.get("inputs", {}).get("tags", {}).get("servegate.io/purpose") == "audit":
            return state
    raise LookupError("the plan has no S3 bucket tagged servegate.io/purpose: audit")


def aud_001(doc: dict[str, Any]) -> Target:
    """No CloudTrail trail at all."""
    _remove(doc, lambda s: s["type"] == "aws:cloudtrail/trail:Trail")
    return _stack_target(doc)


def aud_002(doc: dict[str, Any]) -> Target:
    trail = _first(doc, "aws:cloudtrail/trail:Trail")
    trail["inputs"]["enableLogFileValidation"] = False
    return _target(trail)


def aud_003(doc: dict[str, Any]) -> Target:
    cluster = _first(doc, "aws:eks/cluster:Cluster")
    kinds = cluster["inputs"].get("enabledClusterLogTypes", [])
    cluster["inputs"]["enabledClusterLogTypes"] = [k for k in kinds if k != "authenticator"]
    return _target(cluster)


def aud_004(doc: dict[str, Any]) -> Target:
    vpc = _first(doc, "aws:ec2/vpc:Vpc")
    _remove(
        doc,
        lambda s: s["type"] == "aws:ec2/flowLog:FlowLog" and _depends_on(s, "vpcId", vpc["urn"]),
    )
    return _target(vpc)


def aud_005(doc: dict[str, Any]) -> Target:
    group = _first(doc, "aws:cloudwatch/logGroup:LogGroup")
    group["inputs"]["retentionInDays"] = 1  # below every classification's minimum
    return _target(group)


def aud_006(doc: dict[str, Any]) -> Target:
    bucket = _audit_bucket(doc)
    for versioning in _states(doc, "aws:s3/bucketVersioning:BucketVersioning"):
        if _depends_on(versioning, "bucket", bucket["urn"]):
            versioning["inputs"]["versioningConfiguration"]["status"] = "Suspended"
            return _target(bucket)
    raise LookupError("the plan has no BucketVersioning for the audit bucket")


def aud_007(doc: dict[str, Any]) -> Target:
    proxy = _first(doc, "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy")
    proxy["inputs"]["spec"].setdefault("telemetry", {})["accessLog"] = {"settings": []}
    return _target(proxy)


def aud_008(doc: dict[str, Any]) -> Target:
    # Resource tags win over the provider's default tags, so an empty one hides the default.
    vpc = _first(doc, "aws:ec2/vpc:Vpc")
    vpc["inputs"].setdefault("tags", {})["owner"] = ""
    return _target(vpc)


def aud_009(doc: dict[str, Any]) -> Target:
    vpc = _first(doc, "aws:ec2/vpc:Vpc")
    vpc["inputs"].setdefault("tags", {})["data-classification"] = "top-secret"
    return _target(vpc)


def sec_001(doc: dict[str, Any]) -> Target:
    cluster = _first(doc, "aws:eks/cluster:Cluster")
    vpc_config = cluster["inputs"]["vpcConfig"]
    vpc_config["endpointPublicAccess"] = True
    vpc_config["publicAccessCidrs"] = ["0.0.0.0/0"]
    return _target(cluster)


def sec_002(doc: dict[str, Any]) -> Target:
    cluster = _first(doc, "aws:eks/cluster:Cluster")
    cluster["inputs"].pop("encryptionConfig", None)
    return _target(cluster)


def sec_003(doc: dict[str, Any]) -> Target:
    template = _first(doc, "aws:ec2/launchTemplate:LaunchTemplate")
    template["inputs"]["metadataOptions"]["httpTokens"] = "optional"
    return _target(template)


def sec_004(doc: dict[str, Any]) -> Target:
    template = _first(doc, "aws:ec2/launchTemplate:LaunchTemplate")
    template["inputs"]["blockDeviceMappings"][0]["ebs"]["encrypted"] = "false"
    return _target(template)


def sec_005(doc: dict[str, Any]) -> Target:
    """A new bucket, tagged like the others, with no default-encryption configuration."""
    source = next(
        s for s in doc["steps"] if s.get("newState", {}).get("urn") == _audit_bucket(doc)["urn"]
    )
    step = copy.deepcopy(source)
    urn = source["urn"].rsplit("::", 1)[0] + "::prod-ca-scratch"
    step["op"] = "create"
    step["urn"] = urn
    step.pop("oldState", None)
    state = step["newState"]
    state["urn"] = urn
    state["inputs"] = {
        "bucket": UNKNOWN,
        "forceDestroy": False,
        "tags": {"servegate.io/purpose": "models"},
    }
    state["propertyDependencies"] = {}
    doc["steps"].append(step)
    return _target(state)


def sec_006(doc: dict[str, Any]) -> Target:
    group = _first(doc, "aws:cloudwatch/logGroup:LogGroup")
    group["inputs"].pop("kmsKeyId", None)
    group.get("propertyDependencies", {}).pop("kmsKeyId", None)
    return _target(group)


def sec_007(doc: dict[str, Any]) -> Target:
    rule = _first(doc, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    inputs = rule["inputs"]
    for key in ("cidrIpv6", "referencedSecurityGroupId", "prefixListId"):
        inputs.pop(key, None)
    inputs.update({"cidrIpv4": "0.0.0.0/0", "ipProtocol": "tcp", "fromPort": 22, "toPort": 22})
    return _target(rule)


def sec_009(doc: dict[str, Any]) -> Target:
    # NodePort rather than LoadBalancer: a load balancer would also concern residency rules.
    service = _first(doc, "kubernetes:core/v1:Service", role="model-server")
    service["inputs"].setdefault("spec", {})["type"] = "NodePort"
    return _target(service)


def sec_010(doc: dict[str, Any]) -> Target:
    gateway = _first(doc, "kubernetes:gateway.networking.k8s.io/v1:Gateway")
    _remove(doc, lambda s: s["type"] == "kubernetes:gateway.envoyproxy.io/v1alpha1:SecurityPolicy")
    return _target(gateway)


def sec_011(doc: dict[str, Any]) -> Target:
    key = _first(doc, "aws:kms/key:Key")
    key["inputs"]["enableKeyRotation"] = False
    return _target(key)


AUDIT_SECURITY_CASES: dict[str, PolicyCase] = {
    "AUD-001": aud_001,
    "AUD-002": aud_002,
    "AUD-003": aud_003,
    "AUD-004": aud_004,
    "AUD-005": aud_005,
    "AUD-006": aud_006,
    "AUD-007": aud_007,
    "AUD-008": aud_008,
    "AUD-009": aud_009,
    "SEC-001": sec_001,
    "SEC-002": sec_002,
    "SEC-003": sec_003,
    "SEC-004": sec_004,
    "SEC-005": sec_005,
    "SEC-006": sec_006,
    "SEC-007": sec_007,
    "SEC-009": sec_009,
    "SEC-010": sec_010,
    "SEC-011": sec_011,
}
