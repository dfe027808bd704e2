package sla_test

import data.lib.test_kit as kit
import rego.v1

_sli_expr(expr) := kit.with_patches(
	_prometheus_rule,
	[{"op": "replace", "path": "/props/spec/groups/0/rules/1/expr", "value": expr}],
)

_vllm_sli := concat("", [
	"sum(rate(vllm:request_success_total{finished_reason!~\"stop|length\"}[1h])) ",
	"/ sum(rate(vllm:request_success_total[1h])) > 0.0144",
])

_sla_019(resources) := [d | some d in _denials(resources, _declared); d.rule_id == "SLA-019"]

test_sla_019_gateway_sli_allowed if {
	count(_sla_019(_compliant)) == 0
}

test_sla_019_ai_gateway_request_duration_allowed if {
	expr := concat("", [
		"sum(rate(gen_ai_server_request_duration_seconds_count{error_type!=\"\"}[1h])) ",
		"/ sum(rate(gen_ai_server_request_duration_seconds_count[1h])) > ",
		"0.0144",
	])
	count(_sla_019(_changed(_sli_expr(expr)))) == 0
}

test_sla_019_vllm_sli_denied if {
	denials := _sla_019(_changed(_sli_expr(_vllm_sli)))
	count(denials) == 2
	every d in denials {
		d.urn == _prometheus_rule.urn
		contains(d.message, "availability SLO of model llama-8b")
	}
	some counted in denials
	contains(counted.message, "counts vLLM's finished requests (vllm:request_success)")
	some blind in denials
	contains(blind.message, "reads none of the gateway's request metrics")
}

# Reading the gateway alongside vLLM's outcomes still counts the disconnects.
test_sla_019_vllm_outcomes_next_to_gateway_metrics_denied if {
	expr := concat(" or ", [_prometheus_rule.props.spec.groups[0].rules[1].expr, _vllm_sli])
	[d] := _sla_019(_changed(_sli_expr(expr)))
	contains(d.message, "counts vLLM's finished requests")
}

test_sla_019_unscraped_proxies_denied if {
	resources := [r | some r in _compliant; r.urn != _gateway_monitor.urn]
	[d] := _sla_019(resources)
	d.urn == _prometheus_rule.urn
	contains(d.message, "no PodMonitor scrapes Envoy Gateway's proxy pods")
}

test_sla_019_monitor_of_other_pods_denied if {
	other := kit.with_patches(
		_gateway_monitor,
		[{"op": "replace", "path": "/props/spec/selector/matchLabels", "value": {"app.kubernetes.io/name": "vllm"}}],
	)
	[d] := _sla_019(_changed(other))
	contains(d.message, "no PodMonitor scrapes")
}

test_sla_019_not_applied_without_sla if {
	count([d | some d in _denials(_changed(_sli_expr(_vllm_sli)), _no_sla); d.rule_id == "SLA-019"]) == 0
}
