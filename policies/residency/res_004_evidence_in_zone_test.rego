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
