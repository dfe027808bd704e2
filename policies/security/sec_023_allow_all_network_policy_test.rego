package security_test

import rego.v1

_netpol_sec_023(spec) := {urn |
	some [id, urn] in _netpol_hits({"open": _netpol_policy("open", "serving", spec)})
	id == "SEC-023"
}

_netpol_open_urn := _netpol_urn(_netpol_policy_type, "serving-open")

_netpol_everyone(rules) := {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": rules}

test_sec_023_empty_ingress_rule_denied if {
	_netpol_sec_023(_netpol_everyone([{}])) == {_netpol_open_urn}
}

test_sec_023_empty_from_denied if {
	_netpol_sec_023(_netpol_everyone([{"from": [], "ports": [{"port": 8000}]}])) == {_netpol_open_urn}
}

test_sec_023_null_from_denied if {
	_netpol_sec_023(_netpol_everyone([{"from": null}])) == {_netpol_open_urn}
}

test_sec_023_every_namespace_denied if {
	_netpol_sec_023(_netpol_everyone([{"from": [{"namespaceSelector": {}, "podSelector": {}}]}])) == {_netpol_open_urn}
}

test_sec_023_every_address_denied if {
	_netpol_sec_023(_netpol_everyone([{"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}])) == {_netpol_open_urn}
}

test_sec_023_every_ipv6_address_denied if {
	_netpol_sec_023(_netpol_everyone([{"from": [{"ipBlock": {"cidr": "::/0"}}]}])) == {_netpol_open_urn}
}

test_sec_023_every_address_but_some_passes if {
	_netpol_sec_023(_netpol_everyone([{"from": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}}]}])) == set()
}

test_sec_023_allow_all_egress_denied if {
	spec := {"podSelector": {}, "policyTypes": ["Egress"], "egress": [{"ports": [{"port": 443}]}]}
	denies := _netpol_denies({"open": _netpol_policy("open", "serving", spec)})
	{v.path | some v in denies; v.rule_id == "SEC-023"} == {"spec.egress[0].to"}
}

test_sec_023_default_policy_types_include_egress_with_egress_rules if {
	spec := {"podSelector": {}, "egress": [{}]}
	_netpol_sec_023(spec) == {_netpol_open_urn}
}

test_sec_023_same_namespace_pods_pass if {
	_netpol_sec_023(_netpol_everyone([{"from": [{"podSelector": {}}]}])) == set()
}

test_sec_023_namespace_selector_with_labels_passes if {
	peer := {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}
	_netpol_sec_023(_netpol_everyone([{"from": [peer]}])) == set()
}

test_sec_023_policy_selecting_some_pods_passes if {
	spec := _netpol_with(_netpol_everyone([{}]), {"podSelector": {"matchLabels": {"app": "web"}}})
	_netpol_sec_023(spec) == set()
}

test_sec_023_rules_of_a_direction_not_isolated_pass if {
	spec := {"podSelector": {}, "policyTypes": ["Egress"], "ingress": [{}], "egress": [{"to": [{"podSelector": {}}]}]}
	_netpol_sec_023(spec) == set()
}
