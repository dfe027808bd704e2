# SLA-001: Model servers run at least the SLA's replica floor.
package sla

import data.lib.inventory as inv
import data.lib.sla as sla_lib
import rego.v1

# METADATA
# title: Model servers run at least the SLA's replica floor
# description: A declared availability needs enough replicas to survive a pod or node loss; the
#   floor per availability tier is compliance's table, not the stack's choice.
# custom:
#   id: SLA-001
#   area: sla
#   severity: high
#   enforcement: mandatory
#   scope: resource
#   resource_types: ["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet",
#     "kubernetes:core/v1:Pod", "kubernetes:batch/v1:Job", "kubernetes:batch/v1:CronJob"]
#   config_key: models
#   applies_when: declared.sla
#   not_applicable: no SLA declared
#   parameters: [sla.tiers, sla.default_min_replicas]
#   remediation: Raise the model's replicas.min to at least the floor of its availability tier.
deny contains v if {
	sla_lib.sla_declared(input.declared)
	replica_floor := sla_lib.replica_floor(input.declared)
	some res in data.lib.sla.stable_model_servers
	res.type in data.lib.sla.replicated_types
	sla_lib.replicas(res) < replica_floor
	not inv.is_unknown(res, "spec.replicas")
	v := inv.violation(
		"SLA-001", res,
		concat("", [
			"model server ",
			res.name,
			" runs ",
			inv.text(sla_lib.replicas(res)),
			" replicas; availability ",
			inv.text(input.declared.sla.availability),
			"% requires at least ",
			inv.text(replica_floor),
		]),
		"spec.replicas", sla_lib.replicas(res),
	)
}

deny contains v if {
	sla_lib.sla_declared(input.declared)
	some res in data.lib.sla.stable_model_servers
	res.type in data.lib.sla.replicated_types
	inv.is_unknown(res, "spec.replicas")
	v := inv.undecided("SLA-001", res, "spec.replicas")
}

# A bare Pod is one replica nothing recreates; a Job or CronJob runs to completion: a model
# served by one can never hold a replica floor, whatever the floor is.
deny contains v if {
	sla_lib.sla_declared(input.declared)
	some res in data.lib.sla.stable_model_servers
	res.type in data.lib.sla.unreplicated_types
	v := inv.violation(
		"SLA-001", res,
		concat("", [
			"model server ",
			res.name,
			" runs as a ",
			res.type,
			", which nothing keeps at ",
			inv.text(sla_lib.replica_floor(input.declared)),
			" replicas; availability ",
			inv.text(input.declared.sla.availability),
			"% needs a Deployment or StatefulSet",
		]),
		"type", res.type,
	)
}
