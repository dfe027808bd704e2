package sla_test

import data.lib.test_kit as kit
import rego.v1

_analysed := array.concat(_compliant, [_rollout, _template])

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
	count(_sla_021(_swap(_canary_set, elsewhere))) == 6
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

test_sla_021_a_single_bucket_scaled_by_its_fraction_is_its_threshold if {
	# 40.96 s x 0.48828125 = 20 s: the objective exactly.
	scaled := concat("", [
		"1 - ((sum(rate(gen_ai_server_request_duration_seconds_bucket{le=\"40.96\"}[5m])) * 0.48828125)",
		" / sum(rate(gen_ai_server_request_duration_seconds_count[5m])))",
	])
	count(_sla_021(_swap(_canary_set, _with_metric(2, "provider", {"prometheus": {"query": scaled}})))) == 0
}

test_sla_021_an_error_bound_on_another_series_is_no_availability_check if {
	other := "sum(rate(container_cpu_usage_seconds_total[5m]))"
	denials := _sla_021(_swap(_canary_set, _with_metric(0, "provider", {"prometheus": {"query": other}})))
	count(denials) == 1
	some d in denials
	contains(d.message, "availability")
}


test_sla_021_a_template_of_another_namespace_does_not_count if {
	elsewhere := kit.with_props(_template, {"metadata": {"name": "vllm-llama-8b-slo", "namespace": "other"}})
	denials := _rule_denials("SLA-021", [_rollout, elsewhere])
	count(denials) > 0
	every d in denials {
		d.urn == _rollout.urn
	}
}

test_sla_021_a_canary_without_its_own_latency_metric_denied if {
	gateway_only := [m | some m in _analysis_metrics; not startswith(m.name, "canary-ttft")]
	denials := _sla_021(_swap(_canary_set, _template_with(gateway_only)))
	count(denials) == 1
	some d in denials
	d.urn == _rollout.urn
	contains(d.message, "does not measure the canary's own time to first token")
	contains(d.message, "vllm:time_to_first_token_seconds")
}

test_sla_021_canary_metrics_need_the_newest_replica_sets_hash if {
	# No argument passed: the queries' {{args...}} name nothing the steps fill.
	bare := [{"setWeight": 5}, _analysis_step([])]
	count(_sla_021(_swap(_canary_set, _rollout_steps(bare)))) == 3
	# The stable's hash measures the stable, not the canary.
	stable := [{"name": "canary-pod-template-hash", "valueFrom": {"podTemplateHashValue": "Stable"}}]
	count(_sla_021(_swap(_canary_set, _rollout_steps([{"setWeight": 5}, _analysis_step(stable)])))) == 3
	# One step left without it: that step's run would measure nothing of the canary.
	some_steps := [{"setWeight": 5}, _analysis_step(_latest_hash), {"setWeight": 25}, _analysis_step([])]
	count(_sla_021(_swap(_canary_set, _rollout_steps(some_steps)))) == 3
	every_step := [{"setWeight": 5}, _analysis_step(_latest_hash), {"setWeight": 25}, _analysis_step(_latest_hash)]
	count(_sla_021(_swap(_canary_set, _rollout_steps(every_step)))) == 0
}

test_sla_021_a_canary_metric_on_another_label_is_not_the_canary if {
	pods := replace(_canary_e2e_query, "rollouts_pod_template_hash", "pod_template_hash")
	denials := _sla_021(_swap(_canary_set, _with_metric(4, "provider", {"prometheus": {"query": pods}})))
	count(denials) == 1
	some d in denials
	contains(d.message, "end-to-end latency")
	spaced := replace(_canary_e2e_query, "{{args.canary-pod-template-hash}}", "{{ args.canary-pod-template-hash }}")
	count(_sla_021(_swap(_canary_set, _with_metric(4, "provider", {"prometheus": {"query": spaced}})))) == 0
}

test_sla_021_a_looser_canary_threshold_or_share_denied if {
	# 1.0 + 0.9 * 1.5 = 2.35 s on the canary's pods, above the 1.5 s objective.
	slow := replace(_canary_ttft_query, "0.333333", "0.9")
	denials := _sla_021(_swap(_canary_set, _with_metric(3, "provider", {"prometheus": {"query": slow}})))
	count(denials) == 1
	some d in denials
	contains(d.message, "canary's own time to first token")
	count(_sla_021(_swap(_canary_set, _with_metric(4, "failureCondition", _guarded(">", "0.2"))))) == 1
}

test_sla_021_a_canary_without_its_own_error_metric_denied if {
	latency_only := [m | some m in _analysis_metrics; m.name != "canary-error-ratio"]
	denials := _sla_021(_swap(_canary_set, _template_with(latency_only)))
	count(denials) == 1
	some d in denials
	d.urn == _rollout.urn
	contains(d.message, "does not measure the canary's own error ratio")
	contains(d.message, "http_requests_total")
	contains(d.message, "at most 0.001")
}

test_sla_021_a_looser_canary_error_bound_denied if {
	denials := _sla_021(_swap(_canary_set, _with_metric(5, "failureCondition", _guarded(">", "0.01"))))
	count(denials) == 1
	some d in denials
	contains(d.message, "canary's own error ratio")
}

test_sla_021_a_canary_error_metric_not_on_server_errors_or_the_canary_denied if {
	# Counting every answered request, or the 4xx class, measures no failure the budget counts.
	all_requests := replace(_canary_error_query, ", status=\"5xx\"", "")
	count(_sla_021(_swap(_canary_set, _with_metric(5, "provider", {"prometheus": {"query": all_requests}})))) == 1
	client_errors := replace(_canary_error_query, "5xx", "4xx")
	count(_sla_021(_swap(_canary_set, _with_metric(5, "provider", {"prometheus": {"query": client_errors}})))) == 1
	not_five := replace(_canary_error_query, "status=", "status!=")
	count(_sla_021(_swap(_canary_set, _with_metric(5, "provider", {"prometheus": {"query": not_five}})))) == 1
	# The whole model's pods (no hash): the stable's requests dilute the canary's failures.
	whole := replace(_canary_error_query, concat("", [_hash_matcher, ", "]), "")
	count(_sla_021(_swap(_canary_set, _with_metric(5, "provider", {"prometheus": {"query": whole}})))) == 1
	matcher := "status=~\"5xx\""
	regex_status := replace(_canary_error_query, "status=\"5xx\"", matcher)
	count(_sla_021(_swap(_canary_set, _with_metric(5, "provider", {"prometheus": {"query": regex_status}})))) == 0
}
