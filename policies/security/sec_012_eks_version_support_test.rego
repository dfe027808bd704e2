package security_test

import data.security
import rego.v1

# SEC-012 and SEC-013 on the evaluation date, on both sides of each boundary of 1.35
# (standard support until 2027-03-27, extended until 2028-03-27; SEC-013 from 90 days before).

_on(as_of, version) := denies if {
	cluster := _with_props(_compliant.cluster, {"version": version})
	inventory := _with(_inventory({"cluster": cluster}), {"evaluation": {"as_of": as_of}})
	denies := _deny(inventory)
}

_version_findings(denies) := {[v.rule_id, object.get(v, "undecided", false)] | some v in denies; v.rule_id in {"SEC-012", "SEC-013"}}

test_sec_012_standard_support_far_from_its_end_passes if {
	_version_findings(_on("2026-12-26", "1.35")) == set()
}

test_sec_013_advises_within_90_days_of_the_end_of_standard_support if {
	denies := _on("2026-12-27", "1.35")
	_only(denies, "SEC-013", {_compliant.cluster.urn})
	some v in denies
	contains(v.message, "2027-03-27 (90 days after 2026-12-27)")
}

test_sec_013_advises_on_the_last_day_of_standard_support if {
	_only(_on("2027-03-26", "1.35"), "SEC-013", {_compliant.cluster.urn})
}

test_sec_012_denies_from_the_first_day_of_extended_support if {
	denies := _on("2027-03-27", "1.35")
	_only(denies, "SEC-012", {_compliant.cluster.urn})
	some v in denies
	contains(v.message, "in extended support since 2027-03-27 (until 2028-03-27")
}

test_sec_012_denies_on_the_last_day_of_extended_support if {
	_only(_on("2028-03-26", "1.35"), "SEC-012", {_compliant.cluster.urn})
}

test_sec_012_denies_past_the_end_of_extended_support if {
	denies := _on("2028-03-27", "1.35")
	_only(denies, "SEC-012", {_compliant.cluster.urn})
	some v in denies
	contains(v.message, "past the end of extended support on 2028-03-27")
}

test_sec_012_denies_1_33_in_extended_support_today if {
	_only(_on("2026-12-01", "1.33"), "SEC-012", {_compliant.cluster.urn})
}

test_sec_013_advises_1_34_the_day_before_its_end if {
	_only(_on("2026-12-01", "1.34"), "SEC-013", {_compliant.cluster.urn})
}

test_sec_012_denies_a_version_without_support_dates if {
	denies := _on("2026-12-01", "1.99")
	_only(denies, "SEC-012", {_compliant.cluster.urn})
	some v in denies
	contains(v.message, "not in policies/data/eks_versions.yaml")
}

test_sec_012_denies_a_cluster_without_a_pinned_version if {
	cluster := _with(_compliant.cluster, {"props": object.remove(_compliant.cluster.props, ["version"])})
	_only(_deny(_inventory({"cluster": cluster})), "SEC-012", {cluster.urn})
}

test_sec_012_unknown_version_is_undecided if {
	cluster := _with(_with_props(_compliant.cluster, {"version": "x"}), {"unknowns": ["version"]})
	denies := _deny(_inventory({"cluster": cluster}))
	_undecided(denies, "SEC-012") == {cluster.urn}
	_fired(denies, "SEC-012") == set()
}

test_sec_012_missing_evaluation_date_is_undecided if {
	inventory := object.remove(_inventory({}), ["evaluation"])
	denies := security.deny with input.stack as inventory.stack
		with input.declared as inventory.declared
		with input.resources as inventory.resources
		with input.by_type as inventory.by_type
	_undecided(denies, "SEC-012") == {_compliant.cluster.urn}
}

test_sec_012_malformed_evaluation_date_is_undecided if {
	_undecided(_on("01/12/2026", "1.35"), "SEC-012") == {_compliant.cluster.urn}
}
