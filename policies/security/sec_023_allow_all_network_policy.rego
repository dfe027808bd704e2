package security

import data.lib.inventory as inv
import rego.v1

# METADATA
# title: No NetworkPolicy allows all traffic to or from a whole namespace
# description: A policy selecting every pod of its namespace (an empty podSelector) with a rule
#   whose peers are missing or empty admits every source (ingress) or every destination
#   (egress), and policies only add up, so it cancels the namespace's default-deny and every
#   narrower allow beside it. A peer that selects every pod of every namespace
#   (namespaceSelector {}) or every address (ipBlock 0.0.0.0/0 or ::/0 with no except) does the
#   same.
# custom:
#   id: SEC-023
#   area: security
#   severity: high
#   enforcement: mandatory
#   scope: resource
#   resource_types: ["kubernetes:networking.k8s.io/v1:NetworkPolicy"]
#   parameters: []
#   remediation: Remove the rule, or give it peers naming the namespaces and pods (or the address
#     blocks) that need the traffic and the ports they use.
deny contains v if {
	some policy in data.lib.network_policies.policies
	spec := data.lib.network_policies.spec(policy)
	data.lib.network_policies.empty_selector(object.get(spec, "podSelector", {}))
	some direction in {"Ingress", "Egress"}
	direction in data.lib.network_policies.types(spec)
	some i, rule in data.lib.network_policies.rules(spec, direction)
	peers_key := data.lib.network_policies.peers_key[direction]
	_sec_023_everyone(rule, peers_key)
	rules_key := data.lib.network_policies.rules_key[direction]
	v := inv.violation(
		"SEC-023", policy,
		concat("", [
			"NetworkPolicy ", data.lib.network_policies.namespace(policy.props), "/",
			object.get(policy.props, ["metadata", "name"], policy.name), " selects every pod of its namespace and its ",
			rules_key, " rule ", format_int(i, 10), " allows ", _sec_023_whom[direction],
		]),
		concat("", ["spec.", rules_key, "[", format_int(i, 10), "].", peers_key]), object.get(rule, peers_key, null),
	)
}

_sec_023_whom := {"Ingress": "every source", "Egress": "every destination"}

_sec_023_everyone(rule, key) if not key in object.keys(rule)

_sec_023_everyone(rule, key) if rule[key] == null

_sec_023_everyone(rule, key) if rule[key] == []

_sec_023_everyone(rule, key) if {
	some peer in data.lib.network_policies.list(rule[key])
	_sec_023_every_pod(peer)
}

_sec_023_everyone(rule, key) if {
	some peer in data.lib.network_policies.list(rule[key])
	object.get(peer, ["ipBlock", "cidr"], "") in {"0.0.0.0/0", "::/0"}
	count(data.lib.network_policies.list(object.get(peer, ["ipBlock", "except"], []))) == 0
}

# namespaceSelector {} with no podSelector, or an empty one: every pod of every namespace.
_sec_023_every_pod(peer) if {
	"namespaceSelector" in object.keys(peer)
	data.lib.network_policies.empty_selector(peer.namespaceSelector)
	data.lib.network_policies.empty_selector(object.get(peer, "podSelector", {}))
}
