# SLA-008: the rule's cases, on the builders of sla_test.rego.
package sla_test

import data.lib.test_kit as kit
import rego.v1

test_sla_008_pool_holds_floor_allowed if {
	# floor 2 x 1 GPU (stable only; canaries are extra) <= 3 nodes x 1 GPU
	count(kit.findings(_denials(_compliant, _declared), "SLA-008")) == 0
}

test_sla_008_pool_too_small_denied if {
	small := kit.with_patches(_node_group, [{"op": "replace", "path": "/props/scalingConfig/minSize", "value": 1}])
	kit.only(_denials(_changed(small), _declared), "SLA-008", small.urn)
}

test_sla_008_multi_gpu_replicas_counted if {
	big := kit.with_patches(
		_stable_server,
		[{"op": "replace", "path": "/props/spec/template/spec/containers/0/resources/limits/nvidia.com~1gpu", "value": "2"}],
	)
	kit.only(_denials(_changed(big), _declared), "SLA-008", _node_group.urn)
}

test_sla_008_missing_gpus_per_node_label_denied if {
	unlabelled := kit.with_patches(_node_group, [{"op": "remove", "path": "/props/labels/servegate.io~1gpus-per-node"}])
	kit.only(_denials(_changed(unlabelled), _declared), "SLA-008", unlabelled.urn)
}


# SLA-008 undecided: a pool whose minimum size is not known until apply.
test_sla_008_unknown_minimum_size_undecided if {
	pending := kit.with_patches(_node_group, [{"op": "add", "path": "/unknowns/-", "value": "scalingConfig.minSize"}])
	resources := array.concat([r | some r in _compliant; r.urn != pending.urn], [pending])
	kit.undecided_on(_denials(resources, _declared), "SLA-008", pending.urn)
}
