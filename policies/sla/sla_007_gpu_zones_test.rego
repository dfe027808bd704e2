# SLA-007: the rule's cases, on the builders of sla_test.rego.
package sla_test

import data.lib.test_kit as kit
import rego.v1

test_sla_007_three_zones_allowed if {
	count(kit.findings(_denials(_compliant, _declared), "SLA-007")) == 0
}

test_sla_007_single_zone_denied if {
	one_zone := kit.with_patches(_node_group, [{"op": "replace", "path": "/deps/subnetIds", "value": [_subnets[0].urn]}])
	kit.only(_denials(_changed(one_zone), _declared), "SLA-007", one_zone.urn)
}

test_sla_007_unknown_zone_undecided if {
	unknown := kit.with_patches(_subnets[1], [{
		"op": "replace",
		"path": "/props/availabilityZone",
		"value": "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
	}])
	two := kit.with_patches(_node_group, [{
		"op": "replace",
		"path": "/deps/subnetIds",
		"value": [_subnets[0].urn, unknown.urn],
	}])
	resources := array.concat([r | some r in _changed(two); r.urn != unknown.urn], [unknown])
	kit.undecided_on(_denials(resources, _declared), "SLA-007", two.urn)
}


test_sla_007_single_zone_is_a_finding_not_undecided if {
	one_zone := kit.with_patches(_node_group, [{"op": "replace", "path": "/deps/subnetIds", "value": [_subnets[0].urn]}])
	denials := _denials(_changed(one_zone), _declared)
	kit.fired(denials, "SLA-007") == {one_zone.urn}
	count(kit.undecided(denials, "SLA-007")) == 0
}

test_sla_007_no_subnet_dependencies_undecided if {
	# Without subnetIds dependencies the zones cannot be known: undecided, never a pass.
	bare := kit.with_patches(_node_group, [{"op": "replace", "path": "/deps/subnetIds", "value": []}])
	kit.undecided_on(_denials(_changed(bare), _declared), "SLA-007", bare.urn)
}
