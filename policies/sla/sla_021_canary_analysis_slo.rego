# METADATA
# title: Canary analyses hold the SLO (SLA-021)
# description: What the analysis of a production canary measures and what lets it pass.
package sla

import data.lib.inventory as inv
import data.lib.sla as sla_lib
import rego.v1

# An Argo Rollouts canary is analysed by the AnalysisTemplates its steps (and its background
# analysis) name. Each metric queries Prometheus; a measurement fails when its
# failureCondition holds ("result[0] > <bound>"), passes when its successCondition holds.
# Under an SLA, the analysis must measure the three gateway SLIs the SLA promises, each
# with a bound no looser than the SLO:
# - availability: Envoy's request outcomes, failed share at most 1 - objective/100;
# - time to first token and end-to-end latency: Envoy AI Gateway's histograms, the share
#   slower than the query's threshold at most 5 % (the SLA states p95), the threshold (the
#   bucket bound the query reads, interpolated as histogram_quantile does) at most the SLA's.
# Both tracks answer through the model's one gateway route, so the gateway sees them as one
# and a canary's own regression is diluted there by the stable's traffic. Each SLI must
# therefore also be measured on the canary's pods alone, selected by their
# rollouts_pod_template_hash (the label Argo Rollouts puts on a ReplicaSet's pods, as the
# scrape copies it) matched on an analysis argument every analysed step fills from the newest
# ReplicaSet (valueFrom.podTemplateHashValue: Latest): the error ratio from vLLM's HTTP counter
# (its 5xx share at most the error budget; the gateway has no per-track series: it reaches
# both tracks through one Service address) and each latency SLI from vLLM's own histogram, with
# the same share and threshold bounds.
# A success condition that can hold on an empty result or NaN (no data, no traffic) passes
# a step on nothing: it must require len(result) > 0 and !isNaN(result[0]).

_ana_rollout_type := "kubernetes:argoproj.io/v1alpha1:Rollout"

# The share of requests a p95 objective lets be slower than its threshold.
_ana_slow_share := 0.05

# Bounds are written rounded (the interpolation fraction to 6 digits).
_ana_tolerance := 0.00001

_ana_availability_metrics := ["envoy_cluster_upstream_rq", "envoy_http_downstream_rq"]

# vLLM's HTTP counter (prometheus-fastapi-instrumentator) and its server-error status class.
_ana_canary_requests_metric := "http_requests_total"

_ana_server_errors := `status\s*=\W+5xx\W`

_ana_latency_slis := [
	{"name": "time to first token", "metric": "gen_ai_server_time_to_first_token_seconds", "slo": "ttftP95Seconds"},
	{"name": "end-to-end latency", "metric": "gen_ai_server_request_duration_seconds", "slo": "e2eP95Seconds"},
]

_ana_canary_latency_slis := [
	{"name": "time to first token", "metric": "vllm:time_to_first_token_seconds", "slo": "ttftP95Seconds"},
	{"name": "end-to-end latency", "metric": "vllm:e2e_request_latency_seconds", "slo": "e2eP95Seconds"},
]

_ana_production(declared) if startswith(object.get(declared, "environment", ""), "prod")

_ana_canary(rollout) := object.get(rollout.props, ["spec", "strategy", "canary"], null)

# Names of the AnalysisTemplates a canary strategy runs: in its steps and in the background.
_ana_template_names(canary) := {name |
	steps := object.get(canary, "steps", [])
	is_array(steps)
	some step in steps
	refs := object.get(step, ["analysis", "templates"], [])
	is_array(refs)
	some ref in refs
	name := object.get(ref, "templateName", "")
	name != ""
} | {name |
	refs := object.get(canary, ["analysis", "templates"], [])
	is_array(refs)
	some ref in refs
	name := object.get(ref, "templateName", "")
	name != ""
}

# The metrics of the named templates in the Rollout's namespace, from `templates` (every
# AnalysisTemplate of the plan, passed in: a pure function of its arguments).
_ana_metrics(templates) := [metric |
	some template in templates
	metrics := object.get(template.props, ["spec", "metrics"], [])
	is_array(metrics)
	some metric in metrics
	is_object(metric)
]

_ana_query(metric) := object.get(metric, ["provider", "prometheus", "query"], "")

# The largest passing value: the bound of "result[0] > X" in the failure condition, else of
# "result[0] <= X" in the success condition.
_ana_bound(metric) := to_number(found[0][1]) if {
	condition := object.get(metric, "failureCondition", "")
	found := regex.find_all_string_submatch_n(`result\[0\] > ([0-9.eE+-]+)`, condition, 1)
	count(found) == 1
} else := to_number(found[0][1]) if {
	condition := object.get(metric, "successCondition", "")
	found := regex.find_all_string_submatch_n(`result\[0\] <= ([0-9.eE+-]+)`, condition, 1)
	count(found) == 1
}

# The latency threshold a slow-share query measures: its one bucket bound, or the bound
# scaled by the fraction below the first bucket, or two bounds interpolated by the fraction.
# (`le=\W*`, not `le="`: rego-cpp 1.5 matches nothing with a quote in the pattern; the bounds are
# ordered with lib.inventory's smallest/largest: it orders numbers as text in sort().)
_ana_threshold(query) := threshold if {
	bounds := {to_number(m[1]) | some m in regex.find_all_string_submatch_n(`le=\W*([0-9.eE+]+)`, query, -1)}
	fractions := [to_number(m[1]) | some m in regex.find_all_string_submatch_n(`\) \* ([0-9.eE+-]+)`, query, -1)]
	ordered := array.concat(
		[data.lib.inventory.smallest(bounds)],
		[data.lib.inventory.largest(bounds) | count(bounds) == 2],
	)
	threshold := _ana_interpolated(ordered, fractions)
}

_ana_interpolated(bounds, fractions) := bounds[0] if {
	count(bounds) == 1
	count(fractions) == 0
}

_ana_interpolated(bounds, fractions) := bounds[0] * fractions[0] if {
	count(bounds) == 1
	count(fractions) == 1
}

_ana_interpolated(bounds, fractions) := bounds[0] + (fractions[0] * (bounds[1] - bounds[0])) if {
	count(bounds) == 2
	count(fractions) == 1
}

_ana_reads_any(query, metrics) if {
	some metric in metrics
	contains(query, metric)
}

_ana_holds_availability(metrics, budget) if {
	some metric in metrics
	_ana_reads_any(_ana_query(metric), _ana_availability_metrics)
	_ana_bound(metric) <= budget + _ana_tolerance
}

_ana_holds_latency(metrics, sli, seconds) if {
	some metric in metrics
	query := _ana_query(metric)
	contains(query, concat("", [sli.metric, "_bucket"]))
	_ana_bound(metric) <= _ana_slow_share + _ana_tolerance
	_ana_threshold(query) <= seconds + _ana_tolerance
}

# Argument names every analysed step (and the background analysis) of the canary fills with
# the newest ReplicaSet's pod-template hash: the canary's pods during its steps.
_ana_latest_hash_args(canary) := {name |
	some name in _ana_step_args(canary)
	every analysis in _ana_analyses(canary) {
		_ana_passes_latest(analysis, name)
	}
}

_ana_analyses(canary) := array.concat(
	[analysis |
		steps := object.get(canary, "steps", [])
		is_array(steps)
		some step in steps
		analysis := object.get(step, "analysis", null)
		is_object(analysis)
	],
	[analysis |
		analysis := object.get(canary, "analysis", null)
		is_object(analysis)
	],
)

_ana_step_args(canary) := {name |
	some analysis in _ana_analyses(canary)
	args := object.get(analysis, "args", [])
	is_array(args)
	some arg in args
	name := object.get(arg, "name", "")
	name != ""
}

_ana_passes_latest(analysis, name) if {
	args := object.get(analysis, "args", [])
	is_array(args)
	some arg in args
	object.get(arg, "name", "") == name
	object.get(arg, ["valueFrom", "podTemplateHashValue"], "") == "Latest"
}

# The argument names a query matches rollouts_pod_template_hash on (Argo Rollouts writes
# {{args.NAME}} into the query when it starts the run; it trims spaces inside the braces).
# \W+ before the braces: the quote (rego-cpp keeps the backslash of an escaped quote).
_ana_hash_matcher := `rollouts_pod_template_hash\s*=\s*\W+\{\{\s*args\.([A-Za-z0-9_.-]+)\s*\}\}\W`

_ana_hash_args_read(query) := {m[1] | some m in regex.find_all_string_submatch_n(_ana_hash_matcher, query, -1)}

_ana_holds_canary_latency(metrics, sli, seconds, hash_args) if {
	some metric in metrics
	query := _ana_query(metric)
	contains(query, concat("", [sli.metric, "_bucket"]))
	some name in _ana_hash_args_read(query)
	name in hash_args
	_ana_bound(metric) <= _ana_slow_share + _ana_tolerance
	_ana_threshold(query) <= seconds + _ana_tolerance
}

_ana_holds_canary_errors(metrics, budget, hash_args) if {
	some metric in metrics
	query := _ana_query(metric)
	contains(query, _ana_canary_requests_metric)
	regex.match(_ana_server_errors, query)
	some name in _ana_hash_args_read(query)
	name in hash_args
	_ana_bound(metric) <= budget + _ana_tolerance
}

_ana_guards_no_data(metric) if {
	condition := object.get(metric, "successCondition", "")
	contains(condition, "len(result) > 0")
	contains(condition, "!isNaN(result[0])")
	not contains(condition, "||")
}

# METADATA
# title: A production canary's analysis holds every SLI to the SLO
# description: A canary analysed on looser bounds than the SLO, on fewer SLIs than the SLA
#   promises, only on the whole model where the stable's traffic dilutes the canary's own
#   errors and latency, or passing on missing data promotes a version that breaks the promise.
# custom:
#   id: SLA-021
#   area: sla
#   severity: high
#   enforcement: mandatory
#   scope: stack
#   resource_types: ["kubernetes:argoproj.io/v1alpha1:Rollout"]
#   applies_when: declared.sla
#   not_applicable: no SLA declared, or not a production environment
#   parameters: []
#   remediation: Analyse each canary with an AnalysisTemplate measuring the gateway's
#     availability (failed share at most the error budget), time to first token and
#     end-to-end latency (slow share at most 5 % at the SLA's thresholds), plus the error
#     ratio (vLLM's http_requests_total, 5xx share at most the error budget) and both
#     latency SLIs on the canary's pods alone (vLLM's series matched on
#     rollouts_pod_template_hash="{{args.NAME}}", NAME passed by every analysis step with
#     valueFrom.podTemplateHashValue Latest), with success conditions that require data
#     (len(result) > 0 && !isNaN(result[0])); the ProgressiveDelivery component renders
#     them from the SLO rules.
deny contains v if {
	sla_lib.sla_declared(input.declared)
	_ana_production(input.declared)
	by_key := data.lib.sla.analysis_templates_by_key
	some rollout in inv.resources(input, _ana_rollout_type)
	canary := _ana_canary(rollout)
	is_object(canary)
	names := _ana_template_names(canary)
	count(names) > 0
	metrics := _ana_metrics(sla_lib.analysis_templates_named(by_key, sla_lib.namespace(rollout), names))
	budget := 1 - (input.declared.sla.availability / 100)
	not _ana_holds_availability(metrics, budget)
	v := inv.violation(
		"SLA-021", rollout,
		concat("", [
			"the canary analysis of Rollout ",
			sla_lib.object_name(rollout),
			" does not hold availability to the SLO: no metric reads the gateway's responses (",
			concat(", ", _ana_availability_metrics),
			") with a failed share bound of at most ",
			inv.text(budget),
		]),
		"spec.strategy.canary", sort(names),
	)
}

deny contains v if {
	sla_lib.sla_declared(input.declared)
	_ana_production(input.declared)
	by_key := data.lib.sla.analysis_templates_by_key
	some rollout in inv.resources(input, _ana_rollout_type)
	canary := _ana_canary(rollout)
	is_object(canary)
	names := _ana_template_names(canary)
	count(names) > 0
	metrics := _ana_metrics(sla_lib.analysis_templates_named(by_key, sla_lib.namespace(rollout), names))
	some sli in _ana_latency_slis
	seconds := object.get(input.declared.sla, ["latency", sli.slo], null)
	is_number(seconds)
	not _ana_holds_latency(metrics, sli, seconds)
	v := inv.violation(
		"SLA-021", rollout,
		concat("", [
			"the canary analysis of Rollout ",
			sla_lib.object_name(rollout),
			" does not hold ",
			sli.name,
			" to the SLO: no metric reads ",
			sli.metric,
			" with at most ",
			inv.text(_ana_slow_share),
			" of requests slower than ",
			inv.text(seconds),
			" s",
		]),
		"spec.strategy.canary", sort(names),
	)
}

deny contains v if {
	sla_lib.sla_declared(input.declared)
	_ana_production(input.declared)
	by_key := data.lib.sla.analysis_templates_by_key
	some rollout in inv.resources(input, _ana_rollout_type)
	canary := _ana_canary(rollout)
	is_object(canary)
	names := _ana_template_names(canary)
	count(names) > 0
	metrics := _ana_metrics(sla_lib.analysis_templates_named(by_key, sla_lib.namespace(rollout), names))
	hash_args := _ana_latest_hash_args(canary)
	some sli in _ana_canary_latency_slis
	seconds := object.get(input.declared.sla, ["latency", sli.slo], null)
	is_number(seconds)
	not _ana_holds_canary_latency(metrics, sli, seconds, hash_args)
	v := inv.violation(
		"SLA-021", rollout,
		concat("", [
			"the canary analysis of Rollout ",
			sla_lib.object_name(rollout),
			" does not measure the canary's own ",
			sli.name,
			": no metric reads ",
			sli.metric,
			" of the pods whose rollouts_pod_template_hash is an analysis argument every step ",
			"fills with podTemplateHashValue: Latest, with at most ",
			inv.text(_ana_slow_share),
			" of requests slower than ",
			inv.text(seconds),
			" s",
		]),
		"spec.strategy.canary", sort(names),
	)
}

deny contains v if {
	sla_lib.sla_declared(input.declared)
	_ana_production(input.declared)
	by_key := data.lib.sla.analysis_templates_by_key
	some rollout in inv.resources(input, _ana_rollout_type)
	canary := _ana_canary(rollout)
	is_object(canary)
	names := _ana_template_names(canary)
	count(names) > 0
	metrics := _ana_metrics(sla_lib.analysis_templates_named(by_key, sla_lib.namespace(rollout), names))
	budget := 1 - (input.declared.sla.availability / 100)
	not _ana_holds_canary_errors(metrics, budget, _ana_latest_hash_args(canary))
	v := inv.violation(
		"SLA-021", rollout,
		concat("", [
			"the canary analysis of Rollout ",
			sla_lib.object_name(rollout),
			" does not measure the canary's own error ratio: no metric reads ",
			_ana_canary_requests_metric,
			" (status 5xx) of the pods whose rollouts_pod_template_hash is an analysis argument ",
			"every step fills with podTemplateHashValue: Latest, with a failed share bound of at most ",
			inv.text(budget),
		]),
		"spec.strategy.canary", sort(names),
	)
}

deny contains v if {
	sla_lib.sla_declared(input.declared)
	_ana_production(input.declared)
	by_key := data.lib.sla.analysis_templates_by_key
	some rollout in inv.resources(input, _ana_rollout_type)
	canary := _ana_canary(rollout)
	is_object(canary)
	names := _ana_template_names(canary)
	some metric in _ana_metrics(sla_lib.analysis_templates_named(by_key, sla_lib.namespace(rollout), names))
	not _ana_guards_no_data(metric)
	v := inv.violation(
		"SLA-021", rollout,
		concat("", [
			"metric ",
			object.get(metric, "name", ""),
			" of the canary analysis of Rollout ",
			sla_lib.object_name(rollout),
			" can pass without data: its successCondition must require ",
			"len(result) > 0 && !isNaN(result[0])",
		]),
		"spec.strategy.canary", object.get(metric, "successCondition", ""),
	)
}
