# SEC-003: the rule's cases, on the builders of security_test.rego.
package security_test

import data.lib.test_kit as kit
import rego.v1

test_sec_003_imdsv2_required_passes if {
	count(kit.fired(_deny(_inventory({})), "SEC-003")) == 0
}

test_sec_003_optional_tokens_denied if {
	template := kit.with_props(_compliant.launch_template, {"metadataOptions": {"httpTokens": "optional"}})
	kit.only_on(_deny(_inventory({"launch_template": template})), "SEC-003", {template.urn})
}

test_sec_003_no_metadata_options_denied if {
	template := kit.with_fields(
		_compliant.launch_template,
		{"props": {"blockDeviceMappings": _compliant.launch_template.props.blockDeviceMappings}},
	)
	kit.only_on(_deny(_inventory({"launch_template": template})), "SEC-003", {template.urn})
}


# SEC-003 undecided.
test_sec_003_unknown_http_tokens_undecided if {
	template := kit.with_fields(_compliant.launch_template, {"unknowns": ["metadataOptions.httpTokens"]})
	denies := _deny(_inventory({"launch_template": template}))
	kit.undecided(denies, "SEC-003") == {template.urn}
}
