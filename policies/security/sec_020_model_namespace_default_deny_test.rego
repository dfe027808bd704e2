package security_test

import rego.v1

test_netpol_compliant_stack_has_no_network_isolation_findings if {
	_netpol_denies({}) == set()
}

test_sec_020_namespace_without_policies_denied if {
	server := _netpol_server("llama", "other", _netpol_server_labels)
	_netpol_hits({"server": server}) == {["SEC-020", server.urn], ["SEC-024", server.urn]}
}

test_sec_020_judges_what_a_workload_runs_not_its_labels if {
	server := _netpol_server("hand-written", "other", {"app": "llm"})
	hits := _netpol_hits({"server": server})
	["SEC-020", server.urn] in hits
}

test_sec_020_egress_only_default_deny_denied if {
	deny_all := _netpol_policy("default-deny", "serving", {"podSelector": {}, "policyTypes": ["Egress"]})
	_netpol_hits({"deny_all": deny_all}) == {["SEC-020", _netpol_roles.server.urn]}
}

test_sec_020_policy_selecting_some_pods_is_no_default_deny if {
	deny_all := _netpol_policy("default-deny", "serving", {
		"podSelector": {"matchLabels": {"app": "x"}}, "policyTypes": ["Ingress", "Egress"],
	})
	hits := _netpol_hits({"deny_all": deny_all})
	hits == {["SEC-020", _netpol_roles.server.urn], ["SEC-024", _netpol_roles.server.urn]}
}

test_sec_020_selector_with_expressions_is_no_default_deny if {
	deny_all := _netpol_policy("default-deny", "serving", {
		"podSelector": {"matchExpressions": [{"key": "app", "operator": "Exists"}]}, "policyTypes": ["Ingress", "Egress"],
	})
	["SEC-020", _netpol_roles.server.urn] in _netpol_hits({"deny_all": deny_all})
}

test_sec_020_policy_with_ingress_rules_is_no_default_deny if {
	deny_all := _netpol_policy("default-deny", "serving", {
		"podSelector": {}, "policyTypes": ["Ingress", "Egress"],
		"ingress": [{"from": [{"podSelector": {}}]}],
	})
	# The rule also lets every pod of "serving" reach the model server (SEC-021).
	_netpol_hits({"deny_all": deny_all}) == {["SEC-020", _netpol_roles.server.urn], ["SEC-021", deny_all.urn]}
}

test_sec_020_default_policy_types_deny_ingress if {
	# No policyTypes and no egress rules: the API reads it as Ingress only.
	deny_all := _netpol_policy("default-deny", "serving", {"podSelector": {}})
	_netpol_hits({"deny_all": deny_all}) == {["SEC-024", _netpol_roles.server.urn]}
}

test_sec_020_default_deny_of_another_namespace_does_not_count if {
	_netpol_hits({"deny_all": _netpol_deny_all("elsewhere")}) == {
		["SEC-020", _netpol_roles.server.urn],
		["SEC-024", _netpol_roles.server.urn],
	}
}

test_sec_020_workload_without_namespace_is_in_default if {
	server := _netpol_server("llama", "", _netpol_server_labels)
	_netpol_hits({"server": server, "deny_all": _netpol_deny_all("default")}) == set()
}

test_sec_020_deleted_default_deny_does_not_count if {
	deny_all := _netpol_with(_netpol_roles.deny_all, {"op": "delete"})
	["SEC-020", _netpol_roles.server.urn] in _netpol_hits({"deny_all": deny_all})
}
