# METADATA
# title: Availability SLOs measured at the gateway (SLA-019)
# description: What a model's availability SLO reads, over any plan's PrometheusRules.
package sla

import data.lib.inventory as inv
import data.lib.sla as sla_lib
import rego.v1

# A model's availability SLI is the text of every rule (recording or alerting) of a
# PrometheusRule labelled model=<name> and slo=availability: whatever series those
# expressions read is what the SLO measures. Users reach the models through the gateway, so
# the SLI must read the gateway's request outcomes (Envoy's per-cluster or per-listener
# responses, or Envoy AI Gateway's request duration, whose error_type marks failures), must
# not count vLLM's finished requests (their "abort" reason is mostly client disconnects, and
# requests the gateway refused or failed never reach vLLM), and the Envoy proxies it reads
# must be scraped: a PodMonitor selecting Envoy Gateway's proxy pods on their metrics port.

_gateway_request_metrics := [
	"envoy_cluster_upstream_rq",
	"envoy_http_downstream_rq",
	"gen_ai_server_request_duration_seconds",
]

_engine_outcome_metric := "vllm:request_success"

_pod_monitor_type := "kubernetes:monitoring.coreos.com/v1:PodMonitor"

_sli_availability_rules(res) := [rule |
	groups := object.get(res.props, ["spec", "groups"], [])
	group := groups[_]
	rules := object.get(group, "rules", [])
	rule := rules[_]
	object.get(rule, ["labels", "slo"], "") == "availability"
	is_string(object.get(rule, "expr", null))
]

_sli_models(rules) := {model |
	some rule in rules
	model := object.get(rule, ["labels", "model"], "")
	model != ""
}

_sli_exprs(rules, model) := [rule.expr |
	some rule in rules
	object.get(rule, ["labels", "model"], "") == model
]

_sli_reads(exprs, metric) if {
	some expr in exprs
	contains(expr, metric)
}

_sli_reads_gateway(exprs) if {
	some metric in _gateway_request_metrics
	_sli_reads(exprs, metric)
}

_sli_reads_envoy(rules) if {
	some rule in rules
	contains(rule.expr, "envoy_")
}

# A PodMonitor that scrapes Envoy Gateway's proxy pods (labels of every proxy it runs) on the
# Envoy stats port.
_sli_scrapes_proxies(monitor) if {
	labels := object.get(monitor.props, ["spec", "selector", "matchLabels"], {})
	labels["app.kubernetes.io/managed-by"] == "envoy-gateway"
	labels["app.kubernetes.io/component"] == "proxy"
	endpoints := object.get(monitor.props, ["spec", "podMetricsEndpoints"], [])
	endpoint := endpoints[_]
	object.get(endpoint, "port", "") == "metrics"
}

_sli_proxies_scraped if {
	some monitor in inv.resources(input, _pod_monitor_type)
	_sli_scrapes_proxies(monitor)
}

# METADATA
# title: Availability SLOs measure what users get, at the gateway
# description: An availability SLO on vLLM's finished requests counts client disconnects as
#   errors and never sees requests the gateway refused or failed; the SLA promises what users
#   see, which only the gateway's request metrics measure, and only if they are scraped.
# custom:
#   id: SLA-019
#   area: sla
#   severity: medium
#   enforcement: mandatory
#   scope: resource
#   resource_types: ["kubernetes:monitoring.coreos.com/v1:PrometheusRule"]
#   applies_when: declared.sla
#   not_applicable: no SLA declared
#   parameters: []
#   remediation: Compute each model's availability SLI (rules labelled model=<name>,
#     slo=availability) from the gateway's request metrics (envoy_cluster_upstream_rq by
#     response code, or gen_ai_server_request_duration_seconds with error_type), not from
#     vllm:request_success_total, and scrape the Envoy proxy pods with a PodMonitor (the
#     Monitoring component does both).
deny contains v if {
	sla_lib.sla_declared(input.declared)
	some res in inv.resources(input, data.lib.sla.prometheus_rule_type)
	rules := _sli_availability_rules(res)
	some model in _sli_models(rules)
	exprs := _sli_exprs(rules, model)
	not _sli_reads_gateway(exprs)
	v := inv.violation(
		"SLA-019", res,
		concat("", [
			"the availability SLO of model ",
			model,
			" reads none of the gateway's request metrics (",
			concat(", ", _gateway_request_metrics),
			"): it does not measure what users get",
		]),
		"spec.groups", model,
	)
}

deny contains v if {
	sla_lib.sla_declared(input.declared)
	some res in inv.resources(input, data.lib.sla.prometheus_rule_type)
	rules := _sli_availability_rules(res)
	some model in _sli_models(rules)
	_sli_reads(_sli_exprs(rules, model), _engine_outcome_metric)
	v := inv.violation(
		"SLA-019", res,
		concat("", [
			"the availability SLO of model ",
			model,
			" counts vLLM's finished requests (",
			_engine_outcome_metric,
			"): client disconnects spend its budget and gateway rejections never reach it",
		]),
		"spec.groups", model,
	)
}

deny contains v if {
	sla_lib.sla_declared(input.declared)
	some res in inv.resources(input, data.lib.sla.prometheus_rule_type)
	_sli_reads_envoy(_sli_availability_rules(res))
	not _sli_proxies_scraped
	v := inv.violation(
		"SLA-019", res,
		concat("", [
			"availability SLOs in PrometheusRule ",
			res.name,
			" read Envoy metrics, but no PodMonitor scrapes Envoy Gateway's proxy ",
			"pods (matchLabels app.kubernetes.io/managed-by=envoy-gateway, ",
			"app.kubernetes.io/component=proxy, port metrics)",
		]),
		"spec.groups", res.name,
	)
}
