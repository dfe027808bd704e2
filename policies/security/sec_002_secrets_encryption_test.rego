# SEC-002: the rule's cases, on the builders of security_test.rego.
package security_test

import data.lib.test_kit as kit
import rego.v1

test_sec_002_secrets_encryption_passes if {
	count(kit.fired(_deny(_inventory({})), "SEC-002")) == 0
}

test_sec_002_no_encryption_config_denied if {
	cluster := kit.with_fields(
		_compliant.cluster,
		{"props": {"version": "1.35", "vpcConfig": {"endpointPublicAccess": false}}},
	)
	kit.only_on(_deny(_inventory({"cluster": cluster})), "SEC-002", {cluster.urn})
}

test_sec_002_encryption_without_key_denied if {
	cluster := kit.with_props(_compliant.cluster, {"encryptionConfig": {"resources": ["secrets"], "provider": {}}})
	denies := _deny(_inventory({"cluster": cluster}))
	kit.only_on(denies, "SEC-002", {cluster.urn})
	some v in denies
	v.path == "encryptionConfig.provider.keyArn"
}


# SEC-002 main body: the finding names encryptionConfig.resources.
test_sec_002_no_encryption_config_names_the_resources_path if {
	cluster := kit.with_fields(
		_compliant.cluster,
		{"props": {"version": "1.35", "vpcConfig": {"endpointPublicAccess": false}}},
	)
	denies := _deny(_inventory({"cluster": cluster}))
	{v.path |
		some v in denies
		v.rule_id == "SEC-002"
	} == {"encryptionConfig.resources", "encryptionConfig.provider.keyArn"}
}

test_sec_002_other_resources_without_secrets_denied if {
	cluster := kit.with_props(
		_compliant.cluster,
		{"encryptionConfig": {"resources": ["configmaps"], "provider": {"keyArn": data.lib.inventory.unknown_value}}},
	)
	denies := _deny(_inventory({"cluster": cluster}))
	kit.only_on(denies, "SEC-002", {cluster.urn})
	{v.path | some v in denies} == {"encryptionConfig.resources"}
}

# SEC-002 undecided.
test_sec_002_unknown_resources_undecided if {
	cluster := kit.with_fields(_compliant.cluster, {"unknowns": ["encryptionConfig.resources"]})
	denies := _deny(_inventory({"cluster": cluster}))
	kit.undecided(denies, "SEC-002") == {cluster.urn}
	count(kit.fired(denies, "SEC-002")) == 0
}
