# AUD-001: the rule's cases, on the builders of audit_test.rego.
package audit_test

import data.lib.test_kit as kit
import rego.v1

test_aud_001_multi_region_trail_passes if {
	count(kit.fired(_deny(_inventory({})), "AUD-001")) == 0
}

test_aud_001_no_trail_denied if {
	# the tagged bucket stays the audit bucket without a trail
	kit.only_on(_deny(_inventory({"trail": null})), "AUD-001", {data.lib.test_kit.stack.urn})
}

test_aud_001_single_region_trail_denied if {
	trail := kit.with_fields(
		_compliant.trail,
		{"props": object.union(_compliant.trail.props, {"isMultiRegionTrail": false})},
	)
	kit.only_on(_deny(_inventory({"trail": trail})), "AUD-001", {trail.urn})
}

test_aud_001_multi_region_trail_with_logging_off_denied if {
	trail := kit.with_fields(_compliant.trail, {"props": object.union(_compliant.trail.props, {"enableLogging": false})})
	kit.only_on(_deny(_inventory({"trail": trail})), "AUD-001", {trail.urn})
}

test_aud_001_one_multi_region_trail_is_enough if {
	regional := _resource(
		_trail_type,
		"regional",
		{"isMultiRegionTrail": false, "enableLogFileValidation": true, "kmsKeyId": "arn:aws:kms:ca-central-1:1:key/x"},
	)
	count(kit.fired(_deny(_inventory({"regional": regional})), "AUD-001")) == 0
}

test_aud_001_unknown_multi_region_undecided if {
	trail := kit.with_fields(
		_compliant.trail,
		{"props": object.union(_compliant.trail.props, {"isMultiRegionTrail": data.lib.inventory.unknown_value})},
	)
	denies := _deny(_inventory({"trail": trail}))
	kit.undecided(denies, "AUD-001") == {trail.urn}
	count(kit.fired(denies, "AUD-001")) == 0
}
