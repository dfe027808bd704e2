"""Plan mutations that make exactly one SLI rule fire (as tests/policy_cases_residency_sla_cost)."""

from __future__ import annotations

from tests.policy_cases_residency_sla_cost import Doc, PolicyCase, Target, _find, _target

PROMETHEUS_RULE = "kubernetes:monitoring.coreos.com/v1:PrometheusRule"
# The availability SLI the gateway SLOs replaced: vLLM's finished requests, aborts included.
VLLM_ERROR_RATIO = (
    'sum(rate(vllm:request_success_total{finished_reason!~"stop|length"}[5m]))'
    " / sum(rate(vllm:request_success_total[5m]))"
)


def sla_019(doc: Doc) -> Target:
    rule_set = _find(doc, PROMETHEUS_RULE)
    records = [
        rule
        for group in rule_set["inputs"]["spec"]["groups"]
        for rule in group["rules"]
        if "record" in rule and rule.get("labels", {}).get("slo") == "availability"
    ]
    model = next(r["labels"]["model"] for r in records if "model" in r["labels"])
    for record in records:
        if record["labels"].get("model") == model:
            record["expr"] = VLLM_ERROR_RATIO
    return _target(rule_set)


SLI_CASES: dict[str, PolicyCase] = {"SLA-019": sla_019}
