# SLA-012: Every model has an availability burn-rate alert.
package sla

import data.lib.inventory as inv
import data.lib.sla as sla_lib
import rego.v1

_alerted_models := {model |
	some groups in {object.get(res.props, ["spec", "groups"], []) |
		some res in inv.resources(input, data.lib.sla.prometheus_rule_type)
	}
	group := groups[_]
	rule_list := object.get(group, "rules", [])
	rule := rule_list[_]
	is_string(object.get(rule, "alert", null))
	object.get(rule, ["labels", "slo"], "") == "availability"
	model := object.get(rule, ["labels", "model"], "")
}

# A superset of the models SLA-012 reports, gathered without a call per server.
_unalerted_models := {model |
	some res in data.lib.sla.stable_model_servers
	model := _model(res)
	not model in _alerted_models
}

# The model a server serves as alerts name it: its servegate.io/model label, else (a workload
# our components did not write) its name.
_model(res) := inv.label(res.props, "servegate.io/model") if inv.label(res.props, "servegate.io/model") != ""

else := sla_lib.object_name(res)

# METADATA
# title: Every model has an availability burn-rate alert
# description: An SLA nobody is alerted about is not managed; each model needs an error-budget
#   burn-rate alert so that on-call hears before the budget is gone.
# custom:
#   id: SLA-012
#   area: sla
#   severity: medium
#   enforcement: mandatory
#   scope: stack
#   resource_types: ["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet",
#     "kubernetes:apps/v1:DaemonSet", "kubernetes:batch/v1:Job", "kubernetes:batch/v1:CronJob",
#     "kubernetes:core/v1:Pod"]
#   applies_when: declared.sla
#   not_applicable: no SLA declared
#   parameters: []
#   remediation: Add a PrometheusRule alert labelled model=<name> and slo=availability (the
#     Monitoring component generates one per model).
deny contains v if {
	sla_lib.sla_declared(input.declared)
	count(_unalerted_models) > 0
	some res in data.lib.sla.stable_model_servers
	model := _model(res)
	not model in _alerted_models
	v := inv.violation(
		"SLA-012", res,
		concat("", [
			"model ",
			inv.text(model),
			" has no availability burn-rate alert (a PrometheusRule alert labelled model=",
			inv.text(model),
			", slo=availability)",
		]),
		"metadata.labels.servegate.io/model", model,
	)
}
