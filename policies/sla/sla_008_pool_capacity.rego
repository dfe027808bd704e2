# SLA-008: GPU pools hold the replica floor of their models.
package sla

import data.lib.inventory as inv
import data.lib.sla as sla_lib
import rego.v1

# [pool, GPUs per replica] of every stable model server placed on a pool.
_placed_servers := [[pool, sla_lib.gpus_per_replica(res)] |
	some res in data.lib.sla.stable_model_servers
	pool := object.get(sla_lib.pod_spec(res), ["nodeSelector", "servegate.io/pool"], "")
	pool != ""
]

# METADATA
# title: GPU pools hold the replica floor of their models
# description: If a pool's minimum nodes cannot hold every model's floor of replicas, replicas stay
#   Pending until the autoscaler adds nodes, which is exactly when the SLA is at risk.
# custom:
#   id: SLA-008
#   area: sla
#   severity: high
#   enforcement: mandatory
#   scope: stack
#   resource_types: ["aws:eks/nodeGroup:NodeGroup"]
#   config_key: gpuPools
#   parameters: [sla.tiers, sla.default_min_replicas]
#   remediation: Raise the pool's minSize to at least the sum over its models of replica floor x
#     GPUs per replica, divided by GPUs per node.
deny contains v if {
	replica_floor := sla_lib.replica_floor(input.declared)
	pools := {pair[0] | some pair in data.lib.sla.pooled_groups}
	some pool in pools
	members := [pair[1] | some pair in data.lib.sla.pooled_groups; pair[0] == pool]
	every ng in members {
		sla_lib.capacity_known(ng)
	}
	capacity := sum([n | some ng in members; n := sla_lib.min_size(ng) * sla_lib.gpus_per_node(ng)])
	demand := sum([n | some server in _placed_servers; server[0] == pool; n := replica_floor * server[1]])
	demand > capacity
	reported := inv.smallest({ng.urn | some ng in members})
	some ng in members
	ng.urn == reported
	v := inv.violation(
		"SLA-008", ng,
		concat("", [
			"GPU pool ",
			inv.text(pool),
			" holds ",
			inv.text(capacity),
			" GPUs at its minimum size but its models need ",
			inv.text(demand),
			" (replica floor ",
			inv.text(replica_floor),
			" x GPUs per replica)",
		]),
		"scalingConfig.minSize", sla_lib.min_size(ng),
	)
}

deny contains v if {
	some ng in data.lib.inventory.gpu_node_groups
	sla_lib.pool_of(ng) != ng.urn
	not sla_lib.gpus_per_node(ng)
	v := inv.violation(
		"SLA-008", ng,
		concat("", [
			"GPU node group ",
			ng.name,
			" has no numeric ",
			data.lib.sla.gpus_per_node_label,
			" label, so its capacity cannot be checked; GpuNodePool must set it",
		]),
		concat("", ["labels.", data.lib.sla.gpus_per_node_label]), inv.node_group_label(ng, data.lib.sla.gpus_per_node_label),
	)
}

deny contains v if {
	some ng in data.lib.inventory.gpu_node_groups
	inv.is_unknown(ng, "scalingConfig.minSize")
	v := inv.undecided("SLA-008", ng, "scalingConfig.minSize")
}
