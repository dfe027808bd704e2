"""Preview plans where SLA-021 fires because the canary's own pods go unmeasured.

Same contract as tests/policy_cases_canary.py (the compliant prod-ca preview edited in place,
the one resource the rule must fire on returned); the compliant preview is the corrected plan.
"""

from __future__ import annotations

from tests.policy_cases_canary import ANALYSIS_TEMPLATE, ROLLOUT
from tests.policy_cases_residency_sla_cost import Doc, PolicyCase, Target, _find, _target


def sla_021_gateway_only(doc: Doc) -> Target:
    # Only the whole model at the gateway: a slow 5 % canary barely moves its p95.
    template = _find(doc, ANALYSIS_TEMPLATE)
    spec = template["inputs"]["spec"]
    spec["metrics"] = [m for m in spec["metrics"] if not str(m["name"]).startswith("canary-")]
    return _target(_find(doc, ROLLOUT))


def sla_021_canary_errors_unmeasured(doc: Doc) -> Target:
    # Nothing reads the canary's own server errors: a 20 % canary failing 0.4 % of its
    # requests is 0.08 % of the model's, within prod-ca's 0.1 % budget at the gateway.
    template = _find(doc, ANALYSIS_TEMPLATE)
    spec = template["inputs"]["spec"]
    spec["metrics"] = [m for m in spec["metrics"] if m["name"] != "canary-error-ratio"]
    return _target(_find(doc, ROLLOUT))


def sla_021_stable_hash(doc: Doc) -> Target:
    # The steps pass the stable ReplicaSet's hash: the "canary" metrics measure the stable.
    rollout = _find(doc, ROLLOUT)
    for step in rollout["inputs"]["spec"]["strategy"]["canary"]["steps"]:
        for arg in step.get("analysis", {}).get("args", []):
            arg["valueFrom"] = {"podTemplateHashValue": "Stable"}
    return _target(rollout)


CANARY_TRACK_VARIANTS: dict[str, PolicyCase] = {
    "SLA-021 gateway only": sla_021_gateway_only,
    "SLA-021 stable hash": sla_021_stable_hash,
    "SLA-021 canary errors unmeasured": sla_021_canary_errors_unmeasured,
}
