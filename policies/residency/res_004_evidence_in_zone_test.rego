# RES-004: the rule's cases, on the builders of residency_test.rego.
package residency_test

import data.lib.test_kit as kit
import rego.v1

test_res_004_evidence_in_zone_allowed if {
	count(kit.findings(_denials(_compliant, _declared), "RES-004")) == 0
}

test_res_004_log_group_outside_zone_denied if {
	moved := kit.with_patches(_log_group, [{"op": "replace", "path": "/region", "value": "us-east-1"}])
	kit.only(_denials(array.concat(_swap(moved), [moved]), _declared), "RES-004", moved.urn)
}

test_res_004_trail_outside_zone_denied_on_open_stack if {
	moved := kit.with_patches(_trail, [{"op": "replace", "path": "/region", "value": "us-east-1"}])
	kit.only(_denials(array.concat(_swap(moved), [moved]), _open_declared), "RES-004", moved.urn)
}

test_res_004_key_without_region_denied if {
	lost := kit.with_patches(_key, [{"op": "replace", "path": "/region", "value": null}])
	kit.only(_denials(array.concat(_swap(lost), [lost]), _declared), "RES-004", lost.urn)
}


# RES-004 on an open stack: an evidence store whose region is not known is
# undecided, not denied; one outside the zone is still denied.
test_res_004_key_without_region_undecided_on_open_stack if {
	lost := kit.with_patches(_key, [{"op": "replace", "path": "/region", "value": null}])
	denials := _denials(array.concat(_swap(lost), [lost]), _open_declared)
	kit.undecided_on(denials, "RES-004", lost.urn)
	{[d.rule_id, d.urn] | some d in denials} == {["RES-004", lost.urn]}
}

test_res_004_known_regions_are_not_undecided_on_open_stack if {
	moved := kit.with_patches(_trail, [{"op": "replace", "path": "/region", "value": "us-east-1"}])
	denials := _denials(array.concat(_swap(moved), [moved]), _open_declared)
	count([d | some d in denials; d.rule_id == "RES-004"; object.get(d, "undecided", false)]) == 0
}
