package sla

import data.lib.inventory as inv
import data.lib.sla as sla_lib
import rego.v1

# SLA-018: a node autoscaler never adds GPUs beyond what the pool's maxSize holds, the
# maximum COST-001 prices. Cluster Autoscaler only moves a managed node group's desired size
# between its minSize and maxSize, so it holds by construction; a Karpenter NodePool launches
# its own instances beside the node groups and is bounded only by its spec.limits.

_node_pool_gpu_limit(node_pool) := object.get(node_pool.props, ["spec", "limits", data.lib.sla.gpu_resource], null)

# The pools a NodePool's template selects, by label or by an In requirement.
_node_pool_pools(node_pool) := _pools_of_template(object.get(node_pool.props, ["spec", "template"], {}))

_pools_of_template(template) := {pool |
	pool := object.get(template, ["metadata", "labels", "servegate.io/pool"], "")
	pool != ""
} | {pool |
	requirements := object.get(template, ["spec", "requirements"], [])
	requirement := requirements[_]
	requirement.key == "servegate.io/pool"
	requirement.operator == "In"
	pool := requirement.values[_]
}

_pool_members(pool) := [pair[1] | some pair in data.lib.sla.pooled_groups; pair[0] == pool]

# [GPUs priced, GPUs the pool's node groups reach on their own] at the pools' maxSize: a group
# a cluster-autoscaler discovers reaches its maxSize, any other stays at its minSize. Defined
# when every group's size and GPUs per node are known; a pool with no node group is priced 0.
_pool_gpus(pool) := [priced, reached] if {
	members := _pool_members(pool)
	count([ng | some ng in members; not sla_lib.gpus_per_node(ng)]) == 0
	count([ng | some ng in members; inv.is_unknown(ng, "scalingConfig.maxSize")]) == 0
	priced := sum([n | some ng in members; n := _max_size(ng) * sla_lib.gpus_per_node(ng)])
	reached := sum([n | some ng in members; n := _reached_size(ng) * sla_lib.gpus_per_node(ng)])
}

_max_size(ng) := object.get(ng.props, ["scalingConfig", "maxSize"], 0)

_reached_size(ng) := _max_size(ng) if {
	sla_lib.cluster_autoscaler_discovers(ng)
} else := sla_lib.min_size(ng)

_quantity(value) := to_number(value) if {
	regex.match(`^[0-9]+$`, inv.text(value))
}

# METADATA
# title: Node autoscalers stay within the pool's priced maximum
# description: The budget check prices each GPU pool at its node groups' maxSize. A Karpenter
#   NodePool launches instances beside the node groups, bounded only by its limits, so its
#   nvidia.com/gpu limit must fit in what the price leaves after the node groups' own reach
#   (maxSize when a cluster-autoscaler scales them, else minSize).
# custom:
#   id: SLA-018
#   area: sla
#   severity: high
#   enforcement: mandatory
#   scope: resource
#   resource_types: ["kubernetes:karpenter.sh/v1:NodePool"]
#   config_key: gpuPools
#   parameters: []
#   remediation: Set the NodePool's spec.limits["nvidia.com/gpu"] to at most the pool's priced GPUs
#     (maxSize x GPUs per node) minus what its node groups reach, or let Cluster Autoscaler
#     scale the pool's managed node group instead.
deny contains v if {
	some node_pool in inv.resources(input, data.lib.sla.karpenter_node_pool_type)
	some pool in _node_pool_pools(node_pool)
	[priced, _] := _pool_gpus(pool)
	_node_pool_gpu_limit(node_pool) == null
	v := inv.violation(
		"SLA-018", node_pool,
		concat("", [
			"Karpenter NodePool ",
			node_pool.name,
			" for pool ",
			inv.text(pool),
			" has no nvidia.com/gpu limit, so it can add GPUs without bound; the pool is priced at ",
			inv.text(priced),
			" GPUs (maxSize x GPUs per node)",
		]),
		"spec.limits.nvidia.com/gpu", null,
	)
}

deny contains v if {
	some node_pool in inv.resources(input, data.lib.sla.karpenter_node_pool_type)
	some pool in _node_pool_pools(node_pool)
	[priced, _] := _pool_gpus(pool)
	limit := _node_pool_gpu_limit(node_pool)
	limit != null
	not _quantity(limit)
	v := inv.violation(
		"SLA-018", node_pool,
		concat("", [
			"Karpenter NodePool ",
			node_pool.name,
			" limits nvidia.com/gpu to ",
			inv.text(limit),
			", not a whole number; pool ",
			inv.text(pool),
			" is priced at ",
			inv.text(priced),
			" GPUs",
		]),
		"spec.limits.nvidia.com/gpu", limit,
	)
}

deny contains v if {
	some node_pool in inv.resources(input, data.lib.sla.karpenter_node_pool_type)
	some pool in _node_pool_pools(node_pool)
	[priced, reached] := _pool_gpus(pool)
	limit := _quantity(_node_pool_gpu_limit(node_pool))
	reached + limit > priced
	v := inv.violation(
		"SLA-018", node_pool,
		concat("", [
			"Karpenter NodePool ",
			node_pool.name,
			" may add ",
			inv.text(limit),
			" GPUs to pool ",
			inv.text(pool),
			", whose node groups reach ",
			inv.text(reached),
			" on their own: ",
			inv.text(reached + limit),
			" GPUs where ",
			inv.text(priced),
			" are priced (maxSize x GPUs per node)",
		]),
		"spec.limits.nvidia.com/gpu", _node_pool_gpu_limit(node_pool),
	)
}
