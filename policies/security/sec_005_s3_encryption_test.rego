# SEC-005: the rule's cases, on the builders of security_test.rego.
package security_test

import data.lib.test_kit as kit
import rego.v1

test_sec_005_kms_bucket_passes if {
	count(kit.fired(_deny(_inventory({})), "SEC-005")) == 0
}

test_sec_005_bucket_without_sse_configuration_denied if {
	kit.only_on(_deny(_inventory({"encryption": null})), "SEC-005", {_bucket.urn})
}

test_sec_005_sse_s3_denied if {
	sse := kit.with_props(
		_compliant.encryption,
		{"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]},
	)
	kit.only_on(_deny(_inventory({"encryption": sse})), "SEC-005", {_bucket.urn})
}

test_sec_005_configuration_of_another_bucket_denied if {
	other := kit.resource("aws:s3/bucket:Bucket", "other", {})
	kit.only_on(_deny(_inventory({"other": other})), "SEC-005", {other.urn})
}
