# SLA-006: Model servers roll out without losing capacity.
package sla

import data.lib.inventory as inv
import rego.v1

_zero(value) if value in {0, "0", "0%"}

# Kubernetes defaults: RollingUpdate with maxUnavailable 25%.
_rollout(res) := {
	"type": object.get(res.props, ["spec", "strategy", "type"], "RollingUpdate"),
	"maxUnavailable": object.get(res.props, ["spec", "strategy", "rollingUpdate", "maxUnavailable"], "25%"),
}

# METADATA
# title: Model servers roll out without losing capacity
# description: A rollout that stops old pods before new ones are ready (Recreate, or any
#   maxUnavailable) drops capacity for the minutes a replica takes to load its weights.
# custom:
#   id: SLA-006
#   area: sla
#   severity: medium
#   enforcement: mandatory
#   scope: resource
#   resource_types: ["kubernetes:apps/v1:Deployment"]
#   parameters: []
#   remediation: Use strategy RollingUpdate with maxUnavailable 0 (and maxSurge 1).
deny contains v if {
	some res in data.lib.sla.model_servers
	# Only a Deployment has a rollout strategy (StatefulSets update pod by pod).
	res.type == "kubernetes:apps/v1:Deployment"
	rollout := _rollout(res)
	not _safe_rollout(rollout)
	v := inv.violation(
		"SLA-006", res,
		concat("", [
			"model server ",
			res.name,
			" rolls out with strategy ",
			inv.text(rollout.type),
			" and maxUnavailable ",
			inv.text(rollout.maxUnavailable),
			"; use RollingUpdate with maxUnavailable 0",
		]),
		"spec.strategy", object.get(res.props, ["spec", "strategy"], null),
	)
}

_safe_rollout(rollout) if {
	rollout.type == "RollingUpdate"
	_zero(rollout.maxUnavailable)
}
