package security_test

import rego.v1

test_sec_024_ingress_only_default_deny_denied if {
	deny_all := _netpol_policy("default-deny", "serving", {"podSelector": {}, "policyTypes": ["Ingress"]})
	_netpol_hits({"deny_all": deny_all}) == {["SEC-024", _netpol_roles.server.urn]}
}

test_sec_024_egress_rules_are_no_default_deny if {
	deny_all := _netpol_policy("default-deny", "serving", {
		"podSelector": {}, "policyTypes": ["Ingress", "Egress"],
		"egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]}],
	})
	_netpol_hits({"deny_all": deny_all}) == {["SEC-024", _netpol_roles.server.urn]}
}

test_sec_024_split_default_deny_policies_pass if {
	ingress := _netpol_policy("deny-ingress", "serving", {"podSelector": {}, "policyTypes": ["Ingress"]})
	egress := _netpol_policy("deny-egress", "serving", {"podSelector": {}, "policyTypes": ["Egress"]})
	_netpol_hits({"deny_all": ingress, "deny_egress": egress}) == set()
}

test_sec_024_no_model_server_no_finding if {
	_netpol_hits({"server": null, "deny_all": null, "allow": null}) == set()
}
