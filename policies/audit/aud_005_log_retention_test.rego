# AUD-005: the rule's cases, on the builders of audit_test.rego.
package audit_test

import data.lib.test_kit as kit
import rego.v1

test_aud_005_retention_at_minimum_passes if {
	count(kit.fired(_deny(_inventory({})), "AUD-005")) == 0
}

test_aud_005_never_expiring_log_group_passes if {
	forever := kit.with_fields(_log_group, {"props": {"retentionInDays": 0, "kmsKeyId": "k"}})
	absent := _resource("aws:cloudwatch/logGroup:LogGroup", "absent", {"kmsKeyId": "k"})
	count(kit.fired(_deny(_inventory({"log_group": forever, "absent": absent})), "AUD-005")) == 0
}

test_aud_005_short_retention_for_regulated_denied if {
	group := kit.with_fields(_log_group, {"props": {"retentionInDays": 90, "kmsKeyId": "k"}})
	kit.only_on(_deny(_inventory({"log_group": group})), "AUD-005", {group.urn})
}

test_aud_005_minimum_follows_declared_classification if {
	group := kit.with_fields(_log_group, {"props": {"retentionInDays": 90, "kmsKeyId": "k"}})
	internal := object.union(_declared, {"tags": object.union(_stack_tags, {"data-classification": "internal"})})
	count(kit.fired(_deny(kit.inventory(_resources({"log_group": group}), internal)), "AUD-005")) == 0
}

test_aud_005_unknown_classification_gets_strictest_minimum if {
	group := kit.with_fields(_log_group, {"props": {"retentionInDays": 180, "kmsKeyId": "k"}})
	typo := object.union(_declared, {"tags": object.union(_stack_tags, {"data-classification": "publik"})})
	kit.fired(_deny(kit.inventory(_resources({"log_group": group}), typo)), "AUD-005") == {group.urn}
}

test_aud_005_thresholds_come_from_params if {
	group := kit.with_fields(_log_group, {"props": {"retentionInDays": 90, "kmsKeyId": "k"}})
	params := object.union(
		data.params,
		{"retention": {"min_log_retention_days": {"regulated": 30}, "min_object_lock_days": {"regulated": 1}}},
	)
	denies := _deny_with(_inventory({"log_group": group}), params)
	count(kit.fired(denies, "AUD-005")) == 0
}


# AUD-005 undecided.
test_aud_005_unknown_retention_undecided if {
	group := kit.with_fields(_log_group, {"unknowns": ["retentionInDays"]})
	denies := _deny(_inventory({"log_group": group}))
	kit.undecided(denies, "AUD-005") == {group.urn}
}
