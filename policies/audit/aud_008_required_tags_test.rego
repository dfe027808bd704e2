# AUD-008: the rule's cases, on the builders of audit_test.rego.
package audit_test

import data.lib.test_kit as kit
import rego.v1

test_aud_008_tags_from_provider_defaults_pass if {
	count(kit.fired(_deny(_inventory({})), "AUD-008")) == 0
}

test_aud_008_missing_owner_tag_denied if {
	vpc := kit.with_fields(_vpc, {"tags": object.remove(_stack_tags, ["owner"])})
	denies := _deny(_inventory({"vpc": vpc}))
	kit.only_on(denies, "AUD-008", {_vpc.urn})
	some v in denies
	{tag | some tag in v.value} == {"owner"}
}

test_aud_008_empty_tag_value_denied if {
	vpc := kit.with_fields(_vpc, {"tags": object.union(_stack_tags, {"cost-center": ""})})
	kit.only_on(_deny(_inventory({"vpc": vpc})), "AUD-008", {_vpc.urn})
}

test_aud_008_untaggable_types_are_skipped if {
	# BucketOwnershipControls has no tags argument in pulumi-aws
	ownership := kit.with_fields(_compliant.ownership, {"tags": {}})
	count(kit.fired(_deny(_inventory({"ownership": ownership})), "AUD-008")) == 0
}

test_aud_008_non_aws_resources_are_skipped if {
	count(_compliant.envoy_proxy.tags) == 0
	count(kit.fired(_deny(_inventory({})), "AUD-008")) == 0
}

test_aud_008_required_tags_come_from_params if {
	inventory := _inventory({})
	denies := data.audit.deny with input.stack as inventory.stack
		with input.declared as inventory.declared
		with input.resources as inventory.resources
		with input.by_type as inventory.by_type
		with data.params.tags.required as ["owner", "team"]
	count(kit.fired(denies, "AUD-008")) > 0
	{v.rule_id | some v in denies} == {"AUD-008"}
	{tag | some v in denies; some tag in v.value} == {"team"}
}


# AUD-008 undecided: tags not known until apply.
test_aud_008_unknown_tags_undecided if {
	vpc := kit.with_fields(_vpc, {"tags": data.lib.inventory.unknown_value})
	denies := _deny(_inventory({"vpc": vpc}))
	kit.undecided(denies, "AUD-008") == {_vpc.urn}
	count(kit.fired(denies, "AUD-008")) == 0
}
