# SLA-002: Autoscalers never scale model servers below the floor.
package sla

import data.lib.inventory as inv
import data.lib.sla as sla_lib
import rego.v1

_stable(res) if inv.label(res.props, "servegate.io/track") != "canary"

_autoscalers(doc) := array.concat(
	[[res, "spec.minReplicaCount", object.get(res.props, ["spec", "minReplicaCount"], 0)] |
		some res in inv.resources(doc, data.lib.sla.scaled_object_type)
	],
	[[res, "spec.minReplicas", object.get(res.props, ["spec", "minReplicas"], 1)] |
		some type_token in data.lib.sla.hpa_types
		some res in inv.resources(doc, type_token)
	],
)

# An autoscaler scales a stable model server: labelled so, or targeting one by name.
_scaling_targets := {[sla_lib.namespace(res), sla_lib.object_name(res)] | some res in data.lib.sla.stable_model_servers}

_scales_stable_server(res) if {
	inv.has_role(res, "model-server")
	_stable(res)
}

_scales_stable_server(res) if {
	[sla_lib.namespace(res), object.get(res.props, ["spec", "scaleTargetRef", "name"], "")] in _scaling_targets
}

# METADATA
# title: Autoscalers never scale model servers below the floor
# description: KEDA defaults to scaling to zero; with an SLA declared the autoscaler's minimum
#   must hold the replica floor so that idle periods do not become outages.
# custom:
#   id: SLA-002
#   area: sla
#   severity: high
#   enforcement: mandatory
#   scope: stack
#   resource_types: ["kubernetes:keda.sh/v1alpha1:ScaledObject",
#     "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
#     "kubernetes:autoscaling/v1:HorizontalPodAutoscaler"]
#   config_key: models
#   applies_when: declared.sla
#   not_applicable: no SLA declared
#   parameters: [sla.tiers, sla.default_min_replicas]
#   remediation: Set the ScaledObject's minReplicaCount (or the HPA's minReplicas) to at least the
#     floor of the availability tier.
deny contains v if {
	sla_lib.sla_declared(input.declared)
	replica_floor := inv.largest([sla_lib.replica_floor(input.declared), 1])
	some [res, path, minimum] in _autoscalers(input)
	minimum < replica_floor
	_scales_stable_server(res)
	not inv.is_unknown(res, path)
	v := inv.violation(
		"SLA-002", res,
		concat("", [
			"autoscaler ",
			res.name,
			" allows ",
			inv.text(minimum),
			" replicas; availability ",
			inv.text(input.declared.sla.availability),
			"% requires a minimum of ",
			inv.text(replica_floor),
		]),
		path, minimum,
	)
}
