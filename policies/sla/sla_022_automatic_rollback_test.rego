package sla_test

import data.lib.test_kit as kit
import rego.v1

# SLA-022 on the analysed canary of sla_021_canary_analysis_slo_test.rego.

_sla_022(resources) := _rule_denials("SLA-022", resources)

_route_type := "kubernetes:aigateway.envoyproxy.io/v1beta1:AIGatewayRoute"

_route_with(refs) := kit.resource(_route_type, "route", {
	"metadata": {"name": "gateway-route", "namespace": "gateway"},
	"spec": {"rules": [
		{
			"matches": [{"headers": [{"name": "x-ai-eg-model", "value": "mixtral"}]}],
			"backendRefs": [{"name": "mixtral", "weight": 100}],
		},
		{"matches": [{"headers": [{"name": "x-ai-eg-model", "value": "llama"}]}], "backendRefs": refs},
	]},
})

test_sla_022_analysis_that_can_fail_allowed if {
	count(_sla_022(_canary_set)) == 0
	count(_sla_022(array.concat(_canary_set, [_route_with([{"name": "llama", "weight": 100}])]))) == 0
}

test_sla_022_rollout_without_analysis_denied if {
	denials := _sla_022(_swap(_canary_set, _rollout_steps([{"setWeight": 5}, {"pause": {}}, {"setWeight": 50}])))
	count(denials) == 1
	some d in denials
	d.urn == _rollout.urn
	contains(d.message, "runs no analysis")
}

test_sla_022_background_analysis_counts if {
	background := _rollout_with({
		"steps": [{"setWeight": 5}, {"pause": {"duration": "10m"}}],
		"analysis": {"templates": [{"templateName": "vllm-llama-8b-slo"}]},
	}, 2)
	count(_sla_022(_swap(_canary_set, background))) == 0
}

test_sla_022_dry_run_metrics_denied if {
	dry := kit.with_patches(_template, [{"op": "add", "path": "/props/spec/dryRun", "value": [{"metricName": "*"}]}])
	denials := _sla_022(_swap(_canary_set, dry))
	count(denials) == count(_analysis_metrics)
	every d in denials {
		contains(d.message, "runs as dryRun")
	}
	dry_step := {"op": "add", "path": "/1/analysis/dryRun", "value": [{"metricName": "error-ratio"}]}
	step_dry := json.patch(_analysed_steps, [dry_step])
	one := _sla_022(_swap(_canary_set, _rollout_steps(step_dry)))
	count(one) == 1
	some d in one
	contains(d.message, "metric error-ratio of AnalysisTemplate vllm-llama-8b-slo")
}

test_sla_022_a_metric_without_conditions_denied if {
	bare := json.patch(_analysis_metrics, [
		{"op": "remove", "path": "/1/successCondition"},
		{"op": "remove", "path": "/1/failureCondition"},
	])
	denials := _sla_022(_swap(_canary_set, _template_with(bare)))
	count(denials) == 1
	some d in denials
	contains(d.message, "neither a successCondition nor a failureCondition")
}

test_sla_022_a_failure_limit_that_never_trips_denied if {
	reaching := _sla_022(_swap(_canary_set, _with_metric(0, "failureLimit", 5)))
	count(reaching) == 1
	some d in reaching
	contains(d.message, "failureLimit reaching its count")
	count(_sla_022(_swap(_canary_set, _with_metric(0, "failureLimit", -1)))) == 1
	count(_sla_022(_swap(_canary_set, _with_metric(0, "failureLimit", 4)))) == 0
}

test_sla_022_static_weighted_split_denied if {
	weighted := _route_with([{"name": "llama", "weight": 90}, {"name": "llama-v2", "weight": 10}])
	denials := _sla_022([weighted])
	count(denials) == 1
	some d in denials
	d.urn == weighted.urn
	d.path == "spec.rules[1].backendRefs"
	contains(d.message, "splits traffic between 2 backends by fixed weights")
	# A weight of zero sends nothing: one backend serves.
	drained := _route_with([{"name": "llama", "weight": 100}, {"name": "llama-v2", "weight": 0}])
	count(_sla_022([drained])) == 0
	# An absent weight is 1 (Gateway API): two backends share the traffic.
	count(_sla_022([_route_with([{"name": "a"}, {"name": "b"}])])) == 1
}

test_sla_022_priority_fallback_is_not_a_split if {
	# A fallback at a higher priority takes traffic only when the first one fails.
	fallback := _route_with([
		{"name": "bedrock", "priority": 0},
		{"name": "llama", "weight": 100, "priority": 1},
	])
	count(_sla_022([fallback])) == 0
	# Two backends at the first-tried priority still split it.
	shared := _route_with([
		{"name": "llama", "weight": 90, "priority": 1},
		{"name": "llama-v2", "weight": 10, "priority": 1},
		{"name": "bedrock", "priority": 2},
	])
	count(_sla_022([shared])) == 1
}

test_sla_022_not_judged_without_an_sla_or_outside_production if {
	weighted := _route_with([{"name": "llama", "weight": 90}, {"name": "llama-v2", "weight": 10}])
	resources := [weighted]
	count([d | some d in _denials(resources, _no_sla); d.rule_id == "SLA-022"]) == 0
	dev := object.union(_declared, {"environment": "dev"})
	count([d | some d in _denials(resources, dev); d.rule_id == "SLA-022"]) == 0
}

# Two templates of one namespace and name (two clusters' plans in one stack): both are judged,
# and a template of another namespace is not.
test_sla_022_every_template_of_the_rollouts_name_is_judged if {
	twin := kit.with_fields(_with_metric(0, "failureLimit", 5), {"urn": "urn:pulumi:test::servegate::twin"})
	denials := _sla_022(array.concat(_canary_set, [twin]))
	count(denials) == 1
	some d in denials
	contains(d.message, "failureLimit reaching its count")
	elsewhere := kit.with_props(twin, {"metadata": {"name": "vllm-llama-8b-slo", "namespace": "other"}})
	count(_sla_022(array.concat(_canary_set, [elsewhere]))) == 0
}
