# SEC-002: the rule's cases, on the builders of security_test.rego.
package security_test

import data.lib.test_kit as kit
import rego.v1

test_sec_002_secrets_encryption_passes if {
	count(kit.fired(_deny(_inventory({})), "SEC-002")) == 0
}

test_sec_002_no_encryption_config_denied if {
	cluster := kit.with_fields(_compliant.cluster, {"props": {"version": "1.35", "vpcConfig": {"endpointPublicAccess": false}}})
	kit.only_on(_deny(_inventory({"cluster": cluster})), "SEC-002", {cluster.urn})
}

test_sec_002_encryption_without_key_denied if {
	cluster := kit.with_props(_compliant.cluster, {"encryptionConfig": {"resources": ["secrets"], "provider": {}}})
	denies := _deny(_inventory({"cluster": cluster}))
	kit.only_on(denies, "SEC-002", {cluster.urn})
	some v in denies
	v.path == "encryptionConfig.provider.keyArn"
}
