# SEC-012: the rule's cases, on the builders of security_test.rego.
package security_test

import data.lib.test_kit as kit
import rego.v1

test_sec_012_standard_support_far_from_its_end_passes if {
	_version_findings(_on("2026-12-26", "1.35")) == set()
}

test_sec_012_denies_from_the_first_day_of_extended_support if {
	denies := _on("2027-03-27", "1.35")
	kit.only_on(denies, "SEC-012", {_compliant.cluster.urn})
	some v in denies
	contains(v.message, "in extended support since 2027-03-27 (until 2028-03-27")
}

test_sec_012_denies_on_the_last_day_of_extended_support if {
	kit.only_on(_on("2028-03-26", "1.35"), "SEC-012", {_compliant.cluster.urn})
}

test_sec_012_denies_past_the_end_of_extended_support if {
	denies := _on("2028-03-27", "1.35")
	kit.only_on(denies, "SEC-012", {_compliant.cluster.urn})
	some v in denies
	contains(v.message, "past the end of extended support on 2028-03-27")
}

test_sec_012_denies_1_33_in_extended_support_today if {
	kit.only_on(_on("2026-12-01", "1.33"), "SEC-012", {_compliant.cluster.urn})
}

test_sec_012_denies_a_version_without_support_dates if {
	denies := _on("2026-12-01", "1.99")
	kit.only_on(denies, "SEC-012", {_compliant.cluster.urn})
	some v in denies
	contains(v.message, "not in policies/data/eks_versions.yaml")
}

test_sec_012_denies_a_cluster_without_a_pinned_version if {
	cluster := kit.with_fields(_compliant.cluster, {"props": object.remove(_compliant.cluster.props, ["version"])})
	kit.only_on(_deny(_inventory({"cluster": cluster})), "SEC-012", {cluster.urn})
}

test_sec_012_unknown_version_is_undecided if {
	cluster := kit.with_fields(kit.with_props(_compliant.cluster, {"version": "x"}), {"unknowns": ["version"]})
	denies := _deny(_inventory({"cluster": cluster}))
	kit.undecided(denies, "SEC-012") == {cluster.urn}
	kit.fired(denies, "SEC-012") == set()
}

test_sec_012_missing_evaluation_date_is_undecided if {
	inventory := object.remove(_inventory({}), ["evaluation"])
	denies := data.security.deny with input.stack as inventory.stack
		with input.declared as inventory.declared
		with input.resources as inventory.resources
		with input.by_type as inventory.by_type
	kit.undecided(denies, "SEC-012") == {_compliant.cluster.urn}
}

test_sec_012_malformed_evaluation_date_is_undecided if {
	kit.undecided(_on("01/12/2026", "1.35"), "SEC-012") == {_compliant.cluster.urn}
}
