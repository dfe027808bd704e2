# SEC-004: the rule's cases, on the builders of security_test.rego.
package security_test

import data.lib.test_kit as kit
import rego.v1

test_sec_004_kms_encrypted_volumes_pass if {
	count(kit.fired(_deny(_inventory({})), "SEC-004")) == 0
}

test_sec_004_unencrypted_launch_template_volume_denied if {
	mappings := [{"deviceName": "/dev/xvda", "ebs": {"encrypted": "false", "kmsKeyId": "k", "volumeSize": 200}}]
	template := kit.with_props(_compliant.launch_template, {"blockDeviceMappings": mappings})
	denies := _deny(_inventory({"launch_template": template}))
	kit.only_on(denies, "SEC-004", {template.urn})
	some v in denies
	v.path == kit.evidence_path(["blockDeviceMappings", 0, "ebs", "encrypted"])
}

test_sec_004_launch_template_volume_without_key_denied if {
	mappings := [{"deviceName": "/dev/xvda", "ebs": {"encrypted": "true", "volumeSize": 200}}]
	template := kit.with_props(_compliant.launch_template, {"blockDeviceMappings": mappings})
	kit.only_on(_deny(_inventory({"launch_template": template})), "SEC-004", {template.urn})
}

test_sec_004_unencrypted_ebs_volume_denied if {
	volume := kit.with_props(_compliant.volume, {"encrypted": false})
	kit.only_on(_deny(_inventory({"volume": volume})), "SEC-004", {volume.urn})
}


# SEC-004 launch template volume undecided.
test_sec_004_unknown_volume_encryption_undecided if {
	template := kit.with_fields(_compliant.launch_template, {"unknowns": ["blockDeviceMappings.0.ebs.encrypted"]})
	denies := _deny(_inventory({"launch_template": template}))
	kit.undecided(denies, "SEC-004") == {template.urn}
}

# SEC-004 EBS volume without a key and undecided.
test_sec_004_encrypted_ebs_volume_without_key_denied if {
	volume := kit.resource("aws:ebs/volume:Volume", "cache", {"encrypted": true})
	denies := _deny(_inventory({"volume": volume}))
	kit.only_on(denies, "SEC-004", {volume.urn})
	{v.path | some v in denies} == {"kmsKeyId"}
}

test_sec_004_unknown_ebs_encryption_undecided if {
	volume := kit.with_fields(
		kit.resource("aws:ebs/volume:Volume", "cache", {"kmsKeyId": data.lib.inventory.unknown_value}),
		{"unknowns": ["encrypted"]},
	)
	denies := _deny(_inventory({"volume": volume}))
	kit.undecided(denies, "SEC-004") == {volume.urn}
	count(kit.fired(denies, "SEC-004")) == 0
}
