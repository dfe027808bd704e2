# SEC-006: the rule's cases, on the builders of security_test.rego.
package security_test

import data.lib.test_kit as kit
import rego.v1

test_sec_006_kms_log_group_passes if {
	count(kit.fired(_deny(_inventory({})), "SEC-006")) == 0
}

test_sec_006_log_group_without_key_denied if {
	group := kit.with_fields(_compliant.log_group, {"props": {"retentionInDays": 365}})
	kit.only_on(_deny(_inventory({"log_group": group})), "SEC-006", {group.urn})
}
