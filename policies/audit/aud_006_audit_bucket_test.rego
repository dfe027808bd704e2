# AUD-006: the rule's cases, on the builders of audit_test.rego.
package audit_test

import data.lib.test_kit as kit
import rego.v1

test_aud_006_complete_audit_bucket_passes if {
	count(kit.fired(_deny(_inventory({})), "AUD-006")) == 0
}

test_aud_006_suspended_versioning_denied if {
	versioning := kit.with_fields(_compliant.versioning, {"props": {"versioningConfiguration": {"status": "Suspended"}}})
	denies := _deny(_inventory({"versioning": versioning}))
	kit.only_on(denies, "AUD-006", {_bucket.urn})
	some v in denies
	contains(v.message, "versioning")
}

test_aud_006_short_object_lock_denied if {
	lock := kit.with_fields(
		_compliant.object_lock,
		{"props": {"rule": {"defaultRetention": {"mode": "COMPLIANCE", "days": 30}}}},
	)
	kit.only_on(_deny(_inventory({"object_lock": lock})), "AUD-006", {_bucket.urn})
}

test_aud_006_object_lock_in_years_passes if {
	lock := kit.with_fields(
		_compliant.object_lock,
		{"props": {"rule": {"defaultRetention": {"mode": "COMPLIANCE", "years": 1}}}},
	)
	count(kit.fired(_deny(_inventory({"object_lock": lock})), "AUD-006")) == 0
}

test_aud_006_object_lock_disabled_on_bucket_denied if {
	bucket := kit.with_fields(_bucket, {"props": object.union(_bucket.props, {"objectLockEnabled": false})})
	denies := _deny(_inventory({"bucket": bucket}))
	kit.only_on(denies, "AUD-006", {_bucket.urn})
	some v in denies
	v.path == "objectLockEnabled"
}

test_aud_006_each_missing_piece_is_one_violation if {
	denies := _deny(_inventory({"versioning": null, "object_lock": null, "public_access": null}))
	pieces := {v.path | some v in denies; v.rule_id == "AUD-006"}
	pieces == {"versioning", "object lock retention", "public access block"}
}

test_aud_006_partial_public_access_block_denied if {
	block := kit.with_fields(
		_compliant.public_access,
		{"props": object.union(_compliant.public_access.props, {"restrictPublicBuckets": false})},
	)
	kit.only_on(_deny(_inventory({"public_access": block})), "AUD-006", {_bucket.urn})
}

test_aud_006_sse_s3_instead_of_kms_denied if {
	sse := kit.with_fields(
		_compliant.encryption,
		{"props": {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]}},
	)
	kit.only_on(_deny(_inventory({"encryption": sse})), "AUD-006", {_bucket.urn})
}

test_aud_006_trail_bucket_without_purpose_tag_is_judged if {
	untagged := kit.with_fields(_bucket, {"props": {"objectLockEnabled": true}, "tags": _stack_tags})
	kit.only_on(_deny(_inventory({"bucket": untagged, "versioning": null})), "AUD-006", {_bucket.urn})
}

test_aud_006_no_audit_bucket_denied if {
	untagged := kit.with_fields(_bucket, {"props": {"objectLockEnabled": true}, "tags": _stack_tags})
	trail := kit.with_fields(_compliant.trail, {"deps": {}})
	kit.only_on(_deny(_inventory({"bucket": untagged, "trail": trail})), "AUD-006", {data.lib.test_kit.stack.urn})
}

test_aud_006_unknown_versioning_status_undecided if {
	versioning := kit.with_fields(
		_compliant.versioning,
		{"props": {"versioningConfiguration": {"status": data.lib.inventory.unknown_value}}},
	)
	denies := _deny(_inventory({"versioning": versioning}))
	kit.undecided(denies, "AUD-006") == {_bucket.urn}
	count(kit.fired(denies, "AUD-006")) == 0
}
