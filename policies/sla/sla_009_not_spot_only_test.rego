# SLA-009: the rule's cases, on the builders of sla_test.rego.
package sla_test

import data.lib.test_kit as kit
import rego.v1

_spot_group := kit.with_patches(_node_group, [{"op": "replace", "path": "/props/capacityType", "value": "SPOT"}])

test_sla_009_on_demand_pool_allowed if {
	count(kit.findings(_denials(_compliant, _declared), "SLA-009")) == 0
}

test_sla_009_spot_only_pool_denied_in_prod if {
	kit.only(_denials(_changed(_spot_group), _declared), "SLA-009", _spot_group.urn)
}

test_sla_009_spot_pool_allowed_in_dev_without_sla if {
	count(_denials(_changed(_spot_group), _no_sla)) == 0
}

test_sla_009_spot_with_on_demand_group_in_pool_allowed if {
	extra := kit.with_patches(_spot_group, [{
		"op": "replace",
		"path": "/urn",
		"value": kit.urn("aws:eks/nodeGroup:NodeGroup", "l4-spot"),
	}])
	count(kit.findings(_denials(array.concat(_compliant, [extra]), _declared), "SLA-009")) == 0
}
