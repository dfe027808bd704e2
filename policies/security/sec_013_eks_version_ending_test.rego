# SEC-013: the rule's cases, on the builders of security_test.rego.
package security_test

import data.lib.test_kit as kit
import rego.v1

test_sec_013_advises_within_90_days_of_the_end_of_standard_support if {
	denies := _on("2026-12-27", "1.35")
	kit.only_on(denies, "SEC-013", {_compliant.cluster.urn})
	some v in denies
	contains(v.message, "2027-03-27 (90 days after 2026-12-27)")
}

test_sec_013_advises_on_the_last_day_of_standard_support if {
	kit.only_on(_on("2027-03-26", "1.35"), "SEC-013", {_compliant.cluster.urn})
}

test_sec_013_advises_1_34_the_day_before_its_end if {
	kit.only_on(_on("2026-12-01", "1.34"), "SEC-013", {_compliant.cluster.urn})
}


test_sec_013_silent_91_days_before_the_end if {
	_version_findings(_on("2026-12-26", "1.35")) == set()
}


test_sec_013_silent_once_extended_support_begins if {
	_version_findings(_on("2027-03-27", "1.35")) == {["SEC-012", false]}
}
