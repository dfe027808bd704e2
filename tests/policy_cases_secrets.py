"""SEC-040, SEC-041 and AUD-011 end to end: one targeted violation each on prod-ca's plan.

Each case undoes one thing the components do (tests/test_gate_rules.py runs them): the
ExternalSecret that fills the gateway's API-key Secret, the Redis password the rate-limit
service sends or the Redis requires, the CloudTrail data events on the audit bucket.
"""

from __future__ import annotations

from typing import Any

from tests.policy_cases_audit_security import PolicyCase, Target, _first, _remove, _target

SECURITY_POLICY = "kubernetes:gateway.envoyproxy.io/v1alpha1:SecurityPolicy"
EXTERNAL_SECRET = "kubernetes:external-secrets.io/v1:ExternalSecret"
RELEASE = "kubernetes:helm.sh/v3:Release"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
TRAIL = "aws:cloudtrail/trail:Trail"


def _api_keys_sync(doc: dict[str, Any]) -> dict[str, Any]:
    synced = _first(doc, EXTERNAL_SECRET)
    assert synced["inputs"]["spec"]["target"]["name"].endswith("-api-keys")
    return synced


def sec_040(doc: dict[str, Any]) -> Target:
    """Nothing fills the API-key Secret: its ExternalSecret is gone."""
    synced = _api_keys_sync(doc)
    _remove(doc, lambda state: state["urn"] == synced["urn"])
    return _target(_first(doc, SECURITY_POLICY))


def sec_040_empty_secret(doc: dict[str, Any]) -> Target:
    """The API-key Secret is declared empty, as the gateway rendered it before (stringData {})."""
    synced = _api_keys_sync(doc)
    target = synced["inputs"]["spec"]["target"]["name"]
    namespace = synced["inputs"]["metadata"]["namespace"]
    synced["type"] = "kubernetes:core/v1:Secret"
    synced["inputs"] = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": target, "namespace": namespace},
        "type": "Opaque",
        "stringData": {},
    }
    return _target(_first(doc, SECURITY_POLICY))


def _envoy_gateway_release(doc: dict[str, Any]) -> dict[str, Any]:
    for step in doc["steps"]:
        state = step.get("newState") or {}
        values = state.get("inputs", {}).get("values") if state.get("type") == RELEASE else None
        if isinstance(values, dict) and "envoyGateway" in values.get("config", {}):
            return state
    raise LookupError("the plan has no Envoy Gateway release; the case needs one")


def sec_041(doc: dict[str, Any]) -> Target:
    """The rate-limit service connects to Redis without a password (REDIS_AUTH dropped)."""
    release = _envoy_gateway_release(doc)
    kubernetes = release["inputs"]["values"]["config"]["envoyGateway"]["provider"]["kubernetes"]
    container = kubernetes["rateLimitDeployment"]["container"]
    container["env"] = [e for e in container["env"] if e["name"] != "REDIS_AUTH"]
    return _target(release)


def sec_041_open_redis(doc: dict[str, Any]) -> Target:
    """The Redis server starts without --requirepass, as it did before."""
    for step in doc["steps"]:
        state = step.get("newState") or {}
        if state.get("type") != DEPLOYMENT:
            continue
        (container, *_) = state["inputs"]["spec"]["template"]["spec"]["containers"]
        if "redis" in container["image"]:
            container.pop("command", None)
            container["args"] = ["--save", "", "--appendonly", "no", "--maxmemory", "200mb"]
            return _target(state)
    raise LookupError("the plan has no Redis Deployment; the case needs one")


def aud_011(doc: dict[str, Any]) -> Target:
    """The trail records management events only: nobody sees who reads the audit bucket."""
    trail = _first(doc, TRAIL)
    selectors = trail["inputs"]["advancedEventSelectors"]
    trail["inputs"]["advancedEventSelectors"] = [
        s for s in selectors if not any(f.get("equals") == ["Data"] for f in s["fieldSelectors"])
    ]
    assert trail["inputs"]["advancedEventSelectors"], "management events stay logged"
    (bucket,) = trail["propertyDependencies"]["advancedEventSelectors"]
    return Target(bucket, "aws:s3/bucket:Bucket")


SECRETS_CASES: dict[str, PolicyCase] = {"SEC-040": sec_040, "SEC-041": sec_041, "AUD-011": aud_011}
# Further violations of the same rules, checked the same way.
SECRETS_VARIANTS: dict[str, PolicyCase] = {
    "SEC-040 empty secret": sec_040_empty_secret,
    "SEC-041 open redis": sec_041_open_redis,
}
