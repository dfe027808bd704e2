package sla_test

import data.lib.test_kit as kit
import rego.v1

# Builders of an analysed canary (also used by the SLA-022 and SLA-023 tests): a Rollout taking
# over llama-8b's Deployment in steps 5/25/50, each analysed by an AnalysisTemplate holding the
# gateway SLIs to _declared's SLO (99.9 %: budget 0.001; TTFT 1.5 s; end to end 20 s), its
# queries shaped as components/slo_rules.py builds them.

_rollout_type := "kubernetes:argoproj.io/v1alpha1:Rollout"

_template_type := "kubernetes:argoproj.io/v1alpha1:AnalysisTemplate"

_guarded(op, bound) := concat("", ["len(result) > 0 && !isNaN(result[0]) && result[0] ", op, " ", bound])

_analysis_metric(name, query, bound) := {
	"name": name, "interval": "1m", "count": 5, "failureLimit": 0, "inconclusiveLimit": 0,
	"successCondition": _guarded("<=", bound), "failureCondition": _guarded(">", bound),
	"provider": {"prometheus": {"address": "http://prometheus:9090", "query": query}},
}

_error_query := concat("", [
	"(sum(rate(envoy_cluster_upstream_rq{envoy_response_code=~\"5..|429\"}[5m])) or vector(0))",
	" / sum(rate(envoy_cluster_upstream_rq{envoy_response_code!=\"499\"}[5m]))",
])

_slow_query(metric, below, above, fraction) := concat("", [
	"1 - ((sum(rate(", metric, "_bucket{le=\"", below, "\"}[5m])) + (sum(rate(", metric,
	"_bucket{le=\"", above, "\"}[5m])) - sum(rate(", metric, "_bucket{le=\"", below,
	"\"}[5m]))) * ", fraction, ") / sum(rate(", metric, "_count[5m])))",
])

# 1.0 + 0.333333 * (2.5 - 1.0) = 1.4999995 s; 10.24 + 0.953125 * 10.24 = 20 s.
_ttft_query := _slow_query("gen_ai_server_time_to_first_token_seconds", "1.0", "2.5", "0.333333")

_e2e_query := _slow_query("gen_ai_server_request_duration_seconds", "10.24", "20.48", "0.953125")

_analysis_metrics := [
	_analysis_metric("error-ratio", _error_query, "0.001"),
	_analysis_metric("ttft-slow-ratio", _ttft_query, "0.05"),
	_analysis_metric("e2e-slow-ratio", _e2e_query, "0.05"),
]

_template_with(metrics) := kit.resource(_template_type, "llama-8b-analysis", {
	"metadata": {"name": "vllm-llama-8b-slo", "namespace": "serving"},
	"spec": {"metrics": metrics},
})

_template := _template_with(_analysis_metrics)

_analysed_steps := [
	{"setWeight": 5}, {"analysis": {"templates": [{"templateName": "vllm-llama-8b-slo"}]}},
	{"setWeight": 25}, {"analysis": {"templates": [{"templateName": "vllm-llama-8b-slo"}]}},
	{"setWeight": 50}, {"analysis": {"templates": [{"templateName": "vllm-llama-8b-slo"}]}},
]

_rollout_with(canary, replicas) := kit.resource(_rollout_type, "llama-8b-rollout", {
	"metadata": {"name": "vllm-llama-8b", "namespace": "serving"},
	"spec": {
		"replicas": replicas,
		"workloadRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "llama-8b", "scaleDown": "onsuccess"},
		"strategy": {"canary": canary},
	},
})

_rollout_steps(steps) := _rollout_with({"maxSurge": 1, "maxUnavailable": 0, "steps": steps}, 2)

_rollout := _rollout_steps(_analysed_steps)

_analysed := array.concat(_compliant, [_rollout, _template])

# The canary alone: each rule's own cases judge only it (rego-cpp evaluates every rule of the
# package per query, with no caching, so the whole compliant stack is judged once, above).
_canary_set := [_rollout, _template]

_with_metric(i, field, value) := _template_with(json.patch(
	_analysis_metrics,
	[{"op": "add", "path": concat("", ["/", format_int(i, 10), "/", field]), "value": value}],
))

_rule_denials(rule_id, resources) := [d | some d in _denials(resources, _declared); d.rule_id == rule_id]

_swap(resources, changed) := array.concat([r | some r in resources; r.urn != changed.urn], [changed])

_sla_021(resources) := _rule_denials("SLA-021", resources)

test_sla_021_analysis_on_the_slo_allowed if {
	count(_denials(_analysed, _declared)) == 0
}

test_sla_021_not_judged_without_an_sla_or_outside_production if {
	loose := _swap(_canary_set, _with_metric(0, "failureCondition", _guarded(">", "0.01")))
	count([d | some d in _denials(loose, _no_sla); d.rule_id == "SLA-021"]) == 0
	staging := object.union(_declared, {"environment": "staging"})
	count([d | some d in _denials(loose, staging); d.rule_id == "SLA-021"]) == 0
}

test_sla_021_looser_error_bound_denied if {
	denials := _sla_021(_swap(_canary_set, _with_metric(0, "failureCondition", _guarded(">", "0.01"))))
	count(denials) == 1
	some d in denials
	d.urn == _rollout.urn
	contains(d.message, "does not hold availability to the SLO")
	contains(d.message, "at most 0.001")
}

test_sla_021_a_bound_in_the_success_condition_is_judged_too if {
	only_success := json.patch(_analysis_metrics, [{"op": "remove", "path": "/0/failureCondition"}])
	count(_sla_021(_swap(_canary_set, _template_with(only_success)))) == 0
	loose := json.patch(only_success, [{"op": "replace", "path": "/0/successCondition", "value": _guarded("<=", "0.5")}])
	count(_sla_021(_swap(_canary_set, _template_with(loose)))) == 1
}

test_sla_021_looser_latency_threshold_denied if {
	# 1.0 + 0.9 * 1.5 = 2.35 s, above the 1.5 s objective.
	slow := _slow_query("gen_ai_server_time_to_first_token_seconds", "1.0", "2.5", "0.9")
	changed := _with_metric(1, "provider", {"prometheus": {"query": slow}})
	denials := _sla_021(_swap(_canary_set, changed))
	count(denials) == 1
	some d in denials
	contains(d.message, "does not hold time to first token to the SLO")
	contains(d.message, "slower than 1.5 s")
}

test_sla_021_a_single_bucket_at_the_threshold_allowed_above_it_denied if {
	at := concat("", [
		"1 - (sum(rate(gen_ai_server_request_duration_seconds_bucket{le=\"20\"}[5m]))",
		" / sum(rate(gen_ai_server_request_duration_seconds_count[5m])))",
	])
	count(_sla_021(_swap(_canary_set, _with_metric(2, "provider", {"prometheus": {"query": at}})))) == 0
	above := replace(at, "le=\"20\"", "le=\"40.96\"")
	count(_sla_021(_swap(_canary_set, _with_metric(2, "provider", {"prometheus": {"query": above}})))) == 1
}

test_sla_021_looser_slow_share_denied if {
	denials := _sla_021(_swap(_canary_set, _with_metric(2, "failureCondition", _guarded(">", "0.2"))))
	count(denials) == 1
	some d in denials
	contains(d.message, "end-to-end latency")
}

test_sla_021_missing_sli_denied if {
	two := [m | some m in _analysis_metrics; m.name != "ttft-slow-ratio"]
	denials := _sla_021(_swap(_canary_set, _template_with(two)))
	count(denials) == 1
	some d in denials
	contains(d.message, "gen_ai_server_time_to_first_token_seconds")
}

test_sla_021_a_template_in_another_namespace_does_not_count if {
	elsewhere := kit.with_patches(_template, [{"op": "replace", "path": "/props/metadata/namespace", "value": "other"}])
	count(_sla_021(_swap(_canary_set, elsewhere))) == 3
}

test_sla_021_passing_without_data_denied if {
	unguarded := "len(result) == 0 || result[0] <= 0.001"
	denials := _sla_021(_swap(_canary_set, _with_metric(0, "successCondition", unguarded)))
	count(denials) == 1
	some d in denials
	contains(d.message, "metric error-ratio")
	contains(d.message, "can pass without data")
	nan := "len(result) > 0 && result[0] <= 0.001"
	count(_sla_021(_swap(_canary_set, _with_metric(0, "successCondition", nan)))) == 1
}

test_sla_021_a_rollout_without_analysis_is_left_to_sla_022 if {
	count(_sla_021(_swap(_canary_set, _rollout_steps([{"setWeight": 5}, {"pause": {}}])))) == 0
}
