# AUD-002: the rule's cases, on the builders of audit_test.rego.
package audit_test

import data.lib.test_kit as kit
import rego.v1

test_aud_002_validated_encrypted_trail_passes if {
	count(kit.fired(_deny(_inventory({})), "AUD-002")) == 0
}

test_aud_002_no_log_file_validation_denied if {
	trail := kit.with_fields(
		_compliant.trail,
		{"props": object.remove(_compliant.trail.props, ["enableLogFileValidation"])},
	)
	kit.only_on(_deny(_inventory({"trail": trail})), "AUD-002", {trail.urn})
}

test_aud_002_no_kms_key_denied if {
	trail := kit.with_fields(_compliant.trail, {"props": object.remove(_compliant.trail.props, ["kmsKeyId"])})
	denies := _deny(_inventory({"trail": trail}))
	kit.only_on(denies, "AUD-002", {trail.urn})
	some v in denies
	v.path == "kmsKeyId"
}

test_aud_002_string_true_validation_passes if {
	trail := kit.with_fields(
		_compliant.trail,
		{"props": object.union(_compliant.trail.props, {"enableLogFileValidation": "true"})},
	)
	count(kit.fired(_deny(_inventory({"trail": trail})), "AUD-002")) == 0
}


# AUD-002 undecided.
test_aud_002_unknown_log_file_validation_undecided if {
	trail := kit.with_fields(_compliant.trail, {"unknowns": ["enableLogFileValidation"]})
	denies := _deny(_inventory({"trail": trail}))
	kit.undecided(denies, "AUD-002") == {trail.urn}
	count(kit.fired(denies, "AUD-002")) == 0
}
