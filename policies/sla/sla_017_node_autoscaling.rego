package sla

import data.lib.inventory as inv
import data.lib.sla as sla_lib
import rego.v1

# SLA-017: a GPU pool whose models can scale past its minimum size has a node autoscaler.
# It judges what runs, not who declared it: a cluster-autoscaler (Helm release or
# Deployment) whose auto-discovery tags the node group's Auto Scaling group carries, or a
# Karpenter NodePool selecting the pool's label and carrying its taints.

# KEDA's default maxReplicaCount.
_keda_default_max := 100

# -- what the model autoscalers can ask for ----------------------------------------------------

# [namespace, target name, maximum replicas] of every autoscaler with a known maximum.
_scaling_maxima := array.concat(
	[[
		sla_lib.namespace(res),
		object.get(res.props, ["spec", "scaleTargetRef", "name"], ""),
		object.get(res.props, ["spec", "maxReplicaCount"], _keda_default_max),
	] |
		some res in inv.resources(input, data.lib.sla.scaled_object_type)
		not inv.is_unknown(res, "spec.maxReplicaCount")
	],
	[[
		sla_lib.namespace(res),
		object.get(res.props, ["spec", "scaleTargetRef", "name"], ""),
		object.get(res.props, ["spec", "maxReplicas"], 1),
	] |
		some type_token in data.lib.sla.hpa_types
		some res in inv.resources(input, type_token)
		not inv.is_unknown(res, "spec.maxReplicas")
	],
)

# The highest maximum of the autoscalers of each [namespace, target], computed once.
_scaled_max := {target: inv.largest([n | some [ns, name, n] in _scaling_maxima; [ns, name] == target]) |
	some target in {[ns, name] | some [ns, name, _] in _scaling_maxima}
}

_max_replicas(res) := object.get(
	_scaled_max,
	[[sla_lib.namespace(res), sla_lib.object_name(res)]],
	sla_lib.replicas(res),
)

# [pool, GPUs] every model server can reach at its autoscaler's maximum (an array: equal
# pairs of two servers must both count).
_max_demands := [[pool, _max_replicas(res) * sla_lib.gpus_per_replica(res)] |
	some res in data.lib.sla.model_servers
	pool := object.get(sla_lib.pod_spec(res), ["nodeSelector", "servegate.io/pool"], "")
	pool != ""
]

_pool_max_demand := {pool: total |
	some pool in {pair[0] | some pair in _max_demands}
	total := sum([pair[1] | some pair in _max_demands; pair[0] == pool])
}

_min_capacity(members) := sum([n | some ng in members; n := sla_lib.min_size(ng) * sla_lib.gpus_per_node(ng)])

# [pool, node groups, GPUs at maximum demand, GPUs at minimum size] of every pool whose
# models can outgrow its minimum.
_outgrown_pools := [[pool, members, demand, capacity] |
	some pool in object.keys(_pool_max_demand)
	demand := _pool_max_demand[pool]
	members := [pair[1] | some pair in data.lib.sla.pooled_groups; pair[0] == pool]
	count(members) > 0
	count([ng | some ng in members; not sla_lib.capacity_known(ng)]) == 0
	capacity := _min_capacity(members)
	demand > capacity
]

# -- node autoscalers --------------------------------------------------------------------------

_selects_pool(template, pool) if object.get(template, ["metadata", "labels", "servegate.io/pool"], "") == pool

_selects_pool(template, pool) if {
	requirements := object.get(template, ["spec", "requirements"], [])
	requirement := requirements[_]
	requirement.key == "servegate.io/pool"
	requirement.operator == "In"
	pool in requirement.values
}

_carries_taint(template, taint) if {
	taints := object.get(template, ["spec", "taints"], [])
	own := taints[_]
	own.key == taint.key
	object.get(own, "value", "") == object.get(taint, "value", "")
	own.effect == data.lib.sla.k8s_effect[taint.effect]
}

_karpenter_covers(ng, pool) if {
	some node_pool in inv.resources(input, data.lib.sla.karpenter_node_pool_type)
	template := object.get(node_pool.props, ["spec", "template"], {})
	_selects_pool(template, pool)
	every taint in sla_lib.blocking_taints(ng) {
		_carries_taint(template, taint)
	}
}

_managed(ng, _) if sla_lib.cluster_autoscaler_discovers(ng)

_managed(ng, pool) if _karpenter_covers(ng, pool)

_decidable(ng) if {
	not inv.is_unknown(ng, "clusterName")
	not data.lib.sla.cluster_autoscaler_undecided
}

# METADATA
# title: GPU pools that models can outgrow have a node autoscaler
# description: When the model autoscalers (KEDA maxReplicaCount x GPUs per replica) can ask for
#   more GPUs than a pool's minimum size holds, the extra pods stay Pending unless a node
#   autoscaler adds nodes; it must manage every node group of that pool.
# custom:
#   id: SLA-017
#   area: sla
#   severity: high
#   enforcement: mandatory
#   scope: stack
#   resource_types: ["aws:eks/nodeGroup:NodeGroup"]
#   config_key: gpuPools
#   parameters: []
#   remediation: Deploy a node autoscaler for the pool (the NodeAutoscaler component's
#     cluster-autoscaler discovers every managed node group of the cluster), or raise the pool's
#     minSize to hold the models' maximum replicas.
deny contains v if {
	some [pool, members, demand, capacity] in _outgrown_pools
	some ng in members
	not _managed(ng, pool)
	_decidable(ng)
	v := inv.violation(
		"SLA-017", ng,
		concat("", [
			"GPU pool ",
			inv.text(pool),
			": its models' autoscalers can ask for ",
			inv.text(demand),
			" GPUs but its minimum size holds ",
			inv.text(capacity),
			", and no node autoscaler manages node group ",
			ng.name,
			" (a cluster-autoscaler discovering its Auto Scaling group tags, or a ",
			"Karpenter NodePool with its labels and taints); the extra pods would ",
			"stay Pending",
		]),
		"scalingConfig.minSize", sla_lib.min_size(ng),
	)
}

deny contains v if {
	some [pool, members, _, _] in _outgrown_pools
	some ng in members
	not _managed(ng, pool)
	not _decidable(ng)
	v := inv.undecided("SLA-017", ng, "clusterName")
}

deny contains v if {
	some res in inv.resources(input, data.lib.sla.scaled_object_type)
	inv.is_unknown(res, "spec.maxReplicaCount")
	v := inv.undecided("SLA-017", res, "spec.maxReplicaCount")
}

