package sla_test

import data.lib.test_kit as kit
import rego.v1

# SLA-018 on the compliant serving fixture of sla_test.rego: pool l4 is priced at maxSize 6 x
# 1 GPU = 6 GPUs. With the cluster-autoscaler its node group reaches all 6 itself; without it
# the group stays at minSize 3, which leaves a NodePool 3 GPUs. _node_pool, _gpu_taint and
# _without_autoscaler come from sla_017_node_autoscaling_test.rego.

_l4_template := {"metadata": {"labels": {"servegate.io/pool": "l4"}}, "spec": {"taints": [_gpu_taint]}}

_limited(limit) := kit.with_patches(
	_node_pool(_l4_template),
	[{"op": "replace", "path": "/props/spec/limits", "value": {"nvidia.com/gpu": limit}}],
)

_fires_018(resources, node_pool) := kit.findings(_denials(array.concat(resources, [node_pool]), _declared), "SLA-018")

test_sla_018_no_node_pool_allowed if {
	count(kit.findings(_denials(_compliant, _declared), "SLA-018")) == 0
}

test_sla_018_node_pool_within_the_headroom_allowed if {
	count(_fires_018(_without_autoscaler, _limited(3))) == 0
	count(_fires_018(_without_autoscaler, _limited("2"))) == 0
}

test_sla_018_node_pool_beyond_the_headroom_denied if {
	node_pool := _limited(4)
	_fires_018(_without_autoscaler, node_pool) == {node_pool.urn}
}

test_sla_018_node_pool_beside_a_cluster_autoscaled_group_denied if {
	# The cluster-autoscaler already takes the group to its maxSize: nothing is left.
	node_pool := _limited(1)
	_fires_018(_compliant, node_pool) == {node_pool.urn}
}

test_sla_018_node_pool_without_a_gpu_limit_denied if {
	node_pool := kit.with_patches(
		_node_pool(_l4_template),
		[{"op": "replace", "path": "/props/spec/limits", "value": {"cpu": 1000}}],
	)
	_fires_018(_without_autoscaler, node_pool) == {node_pool.urn}
}

test_sla_018_non_numeric_limit_denied if {
	node_pool := _limited("lots")
	_fires_018(_without_autoscaler, node_pool) == {node_pool.urn}
}

test_sla_018_requirement_selects_the_pool if {
	template := {"spec": {
		"requirements": [{"key": "servegate.io/pool", "operator": "In", "values": ["l4"]}],
		"taints": [_gpu_taint],
	}}
	node_pool := kit.with_patches(
		_node_pool(template),
		[{"op": "replace", "path": "/props/spec/limits", "value": {"nvidia.com/gpu": 12}}],
	)
	_fires_018(_without_autoscaler, node_pool) == {node_pool.urn}
}

test_sla_018_pool_without_a_node_group_is_priced_at_zero if {
	template := {"metadata": {"labels": {"servegate.io/pool": "h100"}}}
	node_pool := kit.with_patches(
		_node_pool(template),
		[{"op": "replace", "path": "/props/spec/limits", "value": {"nvidia.com/gpu": 8}}],
	)
	_fires_018(_compliant, node_pool) == {node_pool.urn}
}

test_sla_018_message_names_limit_reach_and_price if {
	node_pool := _limited(4)
	some d in _denials(array.concat(_without_autoscaler, [node_pool]), _declared)
	d.rule_id == "SLA-018"
	d.message == concat("", [
		"Karpenter NodePool l4 may add 4 GPUs to pool l4, whose node groups ",
		"reach 3 on their own: 7 GPUs where 6 are priced (maxSize x GPUs per ",
		"node)",
	])
}

test_sla_018_node_pools_for_other_workloads_ignored if {
	node_pool := _node_pool({"metadata": {"labels": {"team": "batch"}}})
	count(_fires_018(_compliant, node_pool)) == 0
}
