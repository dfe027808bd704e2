# METADATA
# title: Canaries roll back by themselves (SLA-022)
# description: What aborts a production canary when it breaks the SLO.
package sla

import data.lib.inventory as inv
import data.lib.sla as sla_lib
import rego.v1

# Argo Rollouts aborts a canary, scaling it away and leaving the traffic on the stable
# version, when an AnalysisRun of its analysis fails. That is the only automatic rollback:
# - a canary strategy that names no AnalysisTemplate only waits (or pauses for a person);
# - a metric run as dryRun never fails the run;
# - a metric with neither a success nor a failure condition always succeeds;
# - a metric whose failureLimit is negative or reaches its count can never fail the run.
# A route rule that sends a model's traffic to several backends by fixed weights (a static
# canary split) has no controller at all: only a person moves the weights back.

_rb_rollout_type := "kubernetes:argoproj.io/v1alpha1:Rollout"

_rb_route_types := [
	"kubernetes:aigateway.envoyproxy.io/v1beta1:AIGatewayRoute",
	"kubernetes:aigateway.envoyproxy.io/v1alpha1:AIGatewayRoute",
	"kubernetes:gateway.networking.k8s.io/v1:HTTPRoute",
]

_rb_production(declared) if startswith(object.get(declared, "environment", ""), "prod")

_rb_refs(canary) := array.concat(
	[ref |
		steps := object.get(canary, "steps", [])
		is_array(steps)
		some step in steps
		refs := object.get(step, ["analysis", "templates"], [])
		is_array(refs)
		some ref in refs
	],
	[ref |
		refs := object.get(canary, ["analysis", "templates"], [])
		is_array(refs)
		some ref in refs
	],
)

_rb_names(canary) := {name |
	some ref in _rb_refs(canary)
	name := object.get(ref, "templateName", "")
	name != ""
}

# Metric names run dry by the Rollout's analysis steps ("*" for all of them).
_rb_rollout_dry(canary) := {name |
	steps := object.get(canary, "steps", [])
	is_array(steps)
	some step in steps
	dry := object.get(step, ["analysis", "dryRun"], [])
	is_array(dry)
	some entry in dry
	name := object.get(entry, "metricName", "")
} | {name |
	dry := object.get(canary, ["analysis", "dryRun"], [])
	is_array(dry)
	some entry in dry
	name := object.get(entry, "metricName", "")
}

# [template, metric, why it cannot fail] over the named templates of the namespace.
_rb_unfailing(templates, rollout_dry) := [[template, metric, why] |
	some template in templates
	dry := {object.get(e, "metricName", "") | some e in object.get(template.props, ["spec", "dryRun"], [])} | rollout_dry
	metrics := object.get(template.props, ["spec", "metrics"], [])
	is_array(metrics)
	some metric in metrics
	some why in _rb_why_unfailing(metric, dry)
]

_rb_why_unfailing(metric, dry) := {why |
	some why in [
		_rb_dry(metric, dry),
		_rb_conditionless(metric),
		_rb_unbounded(metric),
	]
	why != ""
}

_rb_dry(metric, dry) := "runs as dryRun: its failure never aborts the rollout" if {
	some name in dry
	name in {"*", object.get(metric, "name", "")}
} else := ""

_rb_conditionless(metric) := "has neither a successCondition nor a failureCondition: it always succeeds" if {
	object.get(metric, "successCondition", "") == ""
	object.get(metric, "failureCondition", "") == ""
} else := ""

_rb_unbounded(metric) := "has a negative failureLimit: it never fails" if {
	limit := object.get(metric, "failureLimit", 0)
	is_number(limit)
	limit < 0
} else := "has a failureLimit reaching its count: it never fails" if {
	limit := object.get(metric, "failureLimit", 0)
	runs := object.get(metric, "count", null)
	is_number(limit)
	is_number(runs)
	limit >= runs
} else := ""

# Backend references of a route rule that share its traffic: a positive weight (an absent
# weight is 1) at the rule's first-tried priority. Envoy AI Gateway v1.1 sends a request to a
# higher priority only when every lower one fails (a fallback, not a split); an absent
# priority is 0 (AIGatewayRoute backendRefs[].priority).
_rb_weighted(rule) := [ref |
	refs := object.get(rule, "backendRefs", [])
	is_array(refs)
	first := data.lib.inventory.smallest([_rb_priority(r) | some r in refs])
	some ref in refs
	_rb_priority(ref) == first
	weight := object.get(ref, "weight", 1)
	is_number(weight)
	weight > 0
]

_rb_priority(ref) := priority if {
	priority := object.get(ref, "priority", 0)
	is_number(priority)
} else := 0

# METADATA
# title: A production canary rolls back automatically when it fails its analysis
# description: A canary that only a person can roll back keeps breaking the SLA until
#   someone notices; Argo Rollouts aborts it when an analysis fails, if one can fail.
# custom:
#   id: SLA-022
#   area: sla
#   severity: high
#   enforcement: mandatory
#   scope: stack
#   resource_types: ["kubernetes:argoproj.io/v1alpha1:Rollout",
#     "kubernetes:aigateway.envoyproxy.io/v1beta1:AIGatewayRoute",
#     "kubernetes:aigateway.envoyproxy.io/v1alpha1:AIGatewayRoute",
#     "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"]
#   applies_when: declared.sla
#   not_applicable: no SLA declared, or not a production environment
#   parameters: []
#   remediation: Roll canaries out with Argo Rollouts and an analysis whose metrics can fail
#     (a failure or success condition, no dryRun, failureLimit below count), so a failed
#     analysis aborts the rollout; do not split a model's traffic by fixed route weights
#     (canary.analysis true, the default in production with an SLA).
deny contains v if {
	sla_lib.sla_declared(input.declared)
	_rb_production(input.declared)
	some rollout in inv.resources(input, _rb_rollout_type)
	canary := object.get(rollout.props, ["spec", "strategy", "canary"], null)
	is_object(canary)
	count(_rb_names(canary)) == 0
	v := inv.violation(
		"SLA-022", rollout,
		concat("", [
			"Rollout ",
			sla_lib.object_name(rollout),
			" runs no analysis: nothing aborts its canary when it fails, only a person can roll it back",
		]),
		"spec.strategy.canary", "no analysis",
	)
}

deny contains v if {
	sla_lib.sla_declared(input.declared)
	_rb_production(input.declared)
	by_key := data.lib.sla.analysis_templates_by_key
	some rollout in inv.resources(input, _rb_rollout_type)
	canary := object.get(rollout.props, ["spec", "strategy", "canary"], null)
	is_object(canary)
	templates := sla_lib.analysis_templates_named(by_key, sla_lib.namespace(rollout), _rb_names(canary))
	some [template, metric, why] in _rb_unfailing(templates, _rb_rollout_dry(canary))
	v := inv.violation(
		"SLA-022", rollout,
		concat("", [
			"metric ",
			object.get(metric, "name", ""),
			" of AnalysisTemplate ",
			sla_lib.object_name(template),
			" (Rollout ",
			sla_lib.object_name(rollout),
			") ",
			why,
		]),
		"spec.strategy.canary", object.get(metric, "name", ""),
	)
}

deny contains v if {
	sla_lib.sla_declared(input.declared)
	_rb_production(input.declared)
	some type_token in _rb_route_types
	some route in inv.resources(input, type_token)
	rules := object.get(route.props, ["spec", "rules"], [])
	is_array(rules)
	some i
	rule := rules[i]
	count(_rb_weighted(rule)) > 1
	v := inv.violation(
		"SLA-022", route,
		concat("", [
			"rule ",
			inv.text(i),
			" of route ",
			sla_lib.object_name(route),
			" splits traffic between ",
			inv.text(count(_rb_weighted(rule))),
			" backends by fixed weights: no analysis watches the split and only a person can roll it back",
		]),
		concat("", ["spec.rules[", inv.text(i), "].backendRefs"]), count(_rb_weighted(rule)),
	)
}
