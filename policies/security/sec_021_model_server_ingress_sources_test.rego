package security_test

import rego.v1

_netpol_allow_urn := _netpol_roles.allow.urn

# The model servers' policy opened to every pod of every namespace.
_netpol_open_spec := _netpol_allow_spec([{"from": [{"namespaceSelector": {}}]}])

_netpol_with_rules(rules) := {"allow": _netpol_allow(rules)}

_netpol_sec_021(rules) := {urn | some [id, urn] in _netpol_hits(_netpol_with_rules(rules)); id == "SEC-021"}

test_sec_021_gateway_and_prometheus_pass if {
	_netpol_sec_021(_netpol_good_rules) == set()
}

test_sec_021_rule_without_from_denied if {
	_netpol_sec_021([{"ports": [{"port": 8000}]}]) == {_netpol_allow_urn}
}

test_sec_021_rule_with_empty_from_denied if {
	_netpol_sec_021([{"from": []}]) == {_netpol_allow_urn}
}

test_sec_021_rule_with_null_from_denied if {
	_netpol_sec_021([{"from": null}]) == {_netpol_allow_urn}
}

test_sec_021_every_namespace_denied if {
	_netpol_sec_021([{"from": [{"namespaceSelector": {}}]}]) == {_netpol_allow_urn}
}

test_sec_021_address_block_denied if {
	_netpol_sec_021([{"from": [{"ipBlock": {"cidr": "10.40.0.0/16"}}]}]) == {_netpol_allow_urn}
}

test_sec_021_proxy_labels_in_the_wrong_namespace_denied if {
	# Without a namespaceSelector the peer means pods of "serving", which anyone can label.
	peer := {"podSelector": _netpol_proxies.podSelector}
	_netpol_sec_021([{"from": [peer]}]) == {_netpol_allow_urn}
}

test_sec_021_peer_without_pod_selector_denied if {
	peer := {"namespaceSelector": _netpol_proxies.namespaceSelector}
	_netpol_sec_021([{"from": [peer]}]) == {_netpol_allow_urn}
}

test_sec_021_peer_missing_a_controller_label_denied if {
	peer := {
		"namespaceSelector": _netpol_proxies.namespaceSelector,
		"podSelector": {"matchLabels": {"app.kubernetes.io/name": "envoy"}},
	}
	_netpol_sec_021([{"from": [peer]}]) == {_netpol_allow_urn}
}

test_sec_021_one_bad_peer_among_good_ones_denied if {
	denies := _netpol_denies(_netpol_with_rules([{"from": [_netpol_proxies, {"podSelector": {}}]}]))
	{v.path | some v in denies; v.rule_id == "SEC-021"} == {"spec.ingress[0].from[1]"}
}

test_sec_021_source_in_the_servers_own_namespace_passes_without_namespace_selector if {
	server := _netpol_server("llama", "monitoring", _netpol_server_labels)
	rules := [{"from": [{"podSelector": _netpol_prometheus.podSelector}]}]
	allow := _netpol_policy("model-servers", "monitoring", _netpol_allow_spec(rules))
	_netpol_hits({"server": server, "deny_all": _netpol_deny_all("monitoring"), "allow": allow}) == set()
}

test_sec_021_policy_not_selecting_the_server_is_not_judged if {
	spec := _netpol_with(_netpol_open_spec, {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "redis"}}})
	_netpol_hits({"allow": _netpol_policy("redis", "serving", spec)}) == set()
}

test_sec_021_policy_selecting_by_expression_is_judged if {
	spec := _netpol_with(_netpol_open_spec, {"podSelector": {
		"matchExpressions": [{"key": "servegate.io/role", "operator": "In", "values": ["model-server"]}],
	}})
	policy := _netpol_policy("by-role", "serving", spec)
	_netpol_hits({"allow": policy}) == {["SEC-021", policy.urn]}
}

test_sec_021_expressions_that_exclude_the_server_are_not_judged if {
	spec := _netpol_with(_netpol_open_spec, {"podSelector": {"matchExpressions": [
		{"key": "servegate.io/role", "operator": "NotIn", "values": ["model-server"]},
		{"key": "missing", "operator": "Exists"},
	]}})
	_netpol_hits({"allow": _netpol_policy("others", "serving", spec)}) == set()
}

test_sec_021_expressions_on_absent_labels_select_the_server if {
	spec := _netpol_with(_netpol_open_spec, {"podSelector": {"matchExpressions": [
		{"key": "tier", "operator": "NotIn", "values": ["db"]},
		{"key": "tier", "operator": "DoesNotExist"},
		{"key": "servegate.io/role", "operator": "NotIn", "values": ["gateway"]},
	]}})
	policy := _netpol_policy("wide", "serving", spec)
	_netpol_hits({"allow": policy}) == {["SEC-021", policy.urn]}
}

test_sec_021_policy_of_another_namespace_is_not_judged if {
	allow := _netpol_policy("model-servers", "elsewhere", _netpol_allow_spec([{"from": [{"namespaceSelector": {}}]}]))
	_netpol_hits({"allow": allow}) == set()
}

test_sec_021_egress_only_policy_is_not_judged if {
	spec := _netpol_with(_netpol_open_spec, {"policyTypes": ["Egress"]})
	_netpol_hits({"allow": _netpol_policy("model-servers", "serving", spec)}) == set()
}
