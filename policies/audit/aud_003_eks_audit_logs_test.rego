# AUD-003: the rule's cases, on the builders of audit_test.rego.
package audit_test

import data.lib.test_kit as kit
import rego.v1

test_aud_003_audit_and_authenticator_logs_pass if {
	count(kit.fired(_deny(_inventory({})), "AUD-003")) == 0
}

test_aud_003_missing_authenticator_log_denied if {
	cluster := kit.with_fields(_compliant.cluster, {"props": {"enabledClusterLogTypes": ["api", "audit"]}})
	denies := _deny(_inventory({"cluster": cluster}))
	kit.only_on(denies, "AUD-003", {cluster.urn})
	some v in denies
	# The one missing type is named bare: rego-cpp's sprintf would quote it.
	contains(v.message, "does not ship the authenticator control-plane log(s)")
	not contains(v.message, "audit,")
}

test_aud_003_no_log_types_denied if {
	cluster := kit.with_fields(_compliant.cluster, {"props": {}})
	kit.only_on(_deny(_inventory({"cluster": cluster})), "AUD-003", {cluster.urn})
}

test_aud_003_unknown_log_types_undecided if {
	cluster := kit.with_fields(_compliant.cluster, {"props": {"enabledClusterLogTypes": data.lib.inventory.unknown_value}})
	denies := _deny(_inventory({"cluster": cluster}))
	kit.undecided(denies, "AUD-003") == {cluster.urn}
	count(kit.fired(denies, "AUD-003")) == 0
}
