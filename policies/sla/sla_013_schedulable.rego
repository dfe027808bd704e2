# SLA-013: Every serving pod fits a GPU node group.
package sla

import data.lib.inventory as inv
import data.lib.sla as sla_lib
import rego.v1

_unplaceable_specs := {spec | some spec in data.lib.sla.server_pod_specs; not _fits_any(spec, _candidate_shapes(spec))}

# METADATA
# title: Every serving pod fits a GPU node group
# description: A pod whose nodeSelector or tolerations match no GPU node group stays Pending
#   forever; the mismatch is visible in the plan, long before anyone waits for it.
# custom:
#   id: SLA-013
#   area: sla
#   severity: high
#   enforcement: mandatory
#   scope: stack
#   resource_types: ["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet",
#     "kubernetes:apps/v1:DaemonSet", "kubernetes:batch/v1:Job", "kubernetes:batch/v1:CronJob",
#     "kubernetes:core/v1:Pod"]
#   parameters: []
#   remediation: Make the Deployment's nodeSelector equal labels of a GPU node group
#     (servegate.io/pool, servegate.io/gpu) and tolerate every taint of that group.
deny contains v if {
	count(_unplaceable_specs) > 0
	some res in data.lib.sla.model_servers
	spec := sla_lib.pod_spec(res)
	spec in _unplaceable_specs
	v := inv.violation(
		"SLA-013", res,
		concat("", [
			"pods of ",
			res.name,
			" match no GPU node group: nodeSelector ",
			inv.text(object.get(spec, "nodeSelector", {})),
			" must be among a group's labels and its tolerations must cover that group's taints",
		]),
		concat(".", [sla_lib.pod_spec_path(res), "nodeSelector"]), object.get(spec, "nodeSelector", {}),
	)
}

# Distinct node group shapes by pool label: few per pool, so each pod checks only its pool's.
_shapes_by_pool := {pool: shapes |
	some pool in {pair[0] | some pair in data.lib.sla.pooled_groups}
	shapes := {shape | some pair in data.lib.sla.pooled_groups; pair[0] == pool; shape := sla_lib.node_shape(pair[1])}
}

_candidate_shapes(spec) := object.get(_shapes_by_pool, spec.nodeSelector["servegate.io/pool"], set()) if {
	# mutation-equivalent: an index only; sla_lib.fits re-checks the nodeSelector on every shape.
	spec.nodeSelector["servegate.io/pool"]
} else := {sla_lib.node_shape(ng) | some ng in data.lib.inventory.gpu_node_groups}

_fits_any(spec, shapes) if {
	some shape in shapes
	sla_lib.fits(spec, shape)
}
