"""Plan mutations that make exactly one progressive-delivery rule fire (SLA-021 .. SLA-023).

Same contract as tests/policy_cases_residency_sla_cost.py: each case edits the compliant
prod-ca preview in place (llama-8b's canary rolls out under an Argo Rollout analysed on the
SLO) and returns the one resource its rule must fire on.
"""

from __future__ import annotations

from tests.policy_cases_residency_sla_cost import Doc, PolicyCase, Target, _find, _target

ROLLOUT = "kubernetes:argoproj.io/v1alpha1:Rollout"
ANALYSIS_TEMPLATE = "kubernetes:argoproj.io/v1alpha1:AnalysisTemplate"


def _metric(doc: Doc, name: str) -> dict[str, object]:
    template = _find(doc, ANALYSIS_TEMPLATE)
    metrics: list[dict[str, object]] = template["inputs"]["spec"]["metrics"]
    return next(m for m in metrics if m["name"] == name)


def sla_021(doc: Doc) -> Target:
    # The error ratio fails only at 1 %, ten times prod-ca's 0.1 % budget.
    metric = _metric(doc, "error-ratio")
    metric["failureCondition"] = "len(result) > 0 && !isNaN(result[0]) && result[0] > 0.01"
    metric["successCondition"] = "len(result) > 0 && !isNaN(result[0]) && result[0] <= 0.01"
    return _target(_find(doc, ROLLOUT))


def sla_022(doc: Doc) -> Target:
    # "Watch it for a while first": the error ratio runs dry and can no longer abort.
    template = _find(doc, ANALYSIS_TEMPLATE)
    template["inputs"]["spec"]["dryRun"] = [{"metricName": "error-ratio"}]
    return _target(_find(doc, ROLLOUT))


def sla_023(doc: Doc) -> Target:
    # The first step sends 90 %: 2 canary pods of 3 (67 %) before anything is analysed.
    rollout = _find(doc, ROLLOUT)
    steps = rollout["inputs"]["spec"]["strategy"]["canary"]["steps"]
    steps[0] = {"setWeight": 90}
    return _target(rollout)


CANARY_CASES: dict[str, PolicyCase] = {
    "SLA-021": sla_021,
    "SLA-022": sla_022,
    "SLA-023": sla_023,
}
