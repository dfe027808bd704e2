# SLA-009: Production GPU pools are not spot-only.
package sla

import data.lib.inventory as inv
import data.lib.sla as sla_lib
import rego.v1

_production(declared) if startswith(object.get(declared, "environment", ""), "prod")

_capacity_matters(declared) if _production(declared)

_capacity_matters(declared) if sla_lib.sla_declared(declared)

_spot(ng) if object.get(ng.props, "capacityType", "ON_DEMAND") == "SPOT"

# METADATA
# title: Production GPU pools are not spot-only
# description: Spot capacity can be reclaimed with two minutes' notice, all at once; a pool made
#   only of spot nodes cannot carry a production or SLA-bound model.
# custom:
#   id: SLA-009
#   area: sla
#   severity: high
#   enforcement: mandatory
#   scope: stack
#   resource_types: ["aws:eks/nodeGroup:NodeGroup"]
#   config_key: gpuPools
#   parameters: []
#   remediation: Use capacityType on-demand (or a capacity reservation) for the pool, or add an
#     on-demand node group to it.
deny contains v if {
	_capacity_matters(input.declared)
	groups := data.lib.inventory.gpu_node_groups
	steady := {sla_lib.pool_of(ng) | some ng in groups; not _spot(ng)}
	some ng in groups
	_spot(ng)
	not sla_lib.pool_of(ng) in steady
	v := inv.violation(
		"SLA-009", ng,
		concat("", [
			"GPU pool ",
			inv.text(sla_lib.pool_of(ng)),
			" runs only on spot capacity; production and SLA-bound stacks need on-demand or reserved capacity",
		]),
		"capacityType", "SPOT",
	)
}
