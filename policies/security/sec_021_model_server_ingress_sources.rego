package security

import data.lib.inventory as inv
import rego.v1

# METADATA
# title: Model servers admit connections only from the gateway and monitoring
# description: The gateway authenticates, rate-limits and logs every request; Prometheus only
#   scrapes metrics. Any other source a NetworkPolicy lets reach a model server's pods (another
#   namespace, an address block, every pod of the namespace, or every source at all) calls the
#   model without authentication or limits. Peers are judged by the labels the gateway's and
#   Prometheus's own controllers set (policies/data/network_policy.yaml), model servers by what
#   they run (data.lib.workloads.model_servers).
# custom:
#   id: SEC-021
#   area: security
#   severity: high
#   enforcement: mandatory
#   scope: stack
#   resource_types: ["kubernetes:networking.k8s.io/v1:NetworkPolicy"]
#   parameters: ["network_policy.model_server_ingress_sources"]
#   remediation: Narrow the NetworkPolicy's ingress rule to peers that name the source's namespace
#     (namespaceSelector matchLabels kubernetes.io/metadata.name) and its pods (podSelector with at
#     least the labels in policies/data/network_policy.yaml), as components/network_policies.py does.
deny contains v if {
	some [policy, i, rule, server] in _sec_021_ingress_rules
	_sec_021_no_peers(rule)
	v := inv.violation(
		"SEC-021", policy,
		concat("", [
			"NetworkPolicy ", _sec_021_policy_name(policy), " ingress rule ", format_int(i, 10),
			" has no `from`: every source can reach model server ", server.type, " ", server.name,
		]),
		concat("", ["spec.ingress[", format_int(i, 10), "].from"]), object.get(rule, "from", null),
	)
}

deny contains v if {
	some [policy, i, rule, server] in _sec_021_ingress_rules
	ns := data.lib.network_policies.namespace(policy.props)
	some j, peer in data.lib.network_policies.list(object.get(rule, "from", []))
	not _sec_021_allowed(peer, ns)
	v := inv.violation(
		"SEC-021", policy,
		concat("", [
			"NetworkPolicy ", _sec_021_policy_name(policy), " ingress rule ", format_int(i, 10), " peer ",
			format_int(j, 10), " lets sources other than ", _sec_021_sources_text, " reach model server ",
			server.type, " ", server.name,
		]),
		concat("", ["spec.ingress[", format_int(i, 10), "].from[", format_int(j, 10), "]"]), peer,
	)
}

# [policy, rule index, rule, model server] for each ingress rule of a policy selecting a model
# server's pods in its namespace.
# [policy, rule index, ingress rule, model server] of every ingress rule of a policy selecting a
# model server's pods. Joined on the servers' distinct [namespace, pod labels]: copies and replicas
# share them, and matching every server against every policy of its namespace is quadratic in a
# 10k-resource plan.
# Each collection below reads the one before it once, bound before any loop: rego-cpp
# (regopy 1.5.2) re-evaluates a rule at every reference under the tests' `with`, so a
# reference inside a loop re-ran the model-server detection per policy and per target (the
# compliant stack's test took 36 s and 13 GB).
_sec_021_ingress_rules := [[policy, i, rule, server] |
	servers := _sec_021_servers
	some [target, policy, i, rule] in _sec_021_target_rules
	some server in servers[target]
]

_sec_021_servers := _sec_021_grouped(_sec_021_server_targets)

_sec_021_grouped(pairs) := {target: [res | some [t, res] in pairs; t == target] |
	some [target, _] in pairs
}

_sec_021_server_targets := [[_sec_021_target(res, base), res] | some [res, _, base] in data.lib.workloads.model_servers]

_sec_021_target(res, base) := [
	data.lib.network_policies.namespace(res.props),
	data.lib.network_policies.pod_labels(res, base),
]

_sec_021_targets_by_namespace := _sec_021_by_namespace(object.keys(_sec_021_servers))

_sec_021_by_namespace(targets) := {ns: [target | some target in targets; target[0] == ns] |
	some ns in {target[0] | some target in targets}
}

_sec_021_target_rules := [[target, policy, i, rule] |
	by_namespace := _sec_021_targets_by_namespace
	some policy in data.lib.network_policies.policies
	some target in object.get(by_namespace, data.lib.network_policies.namespace(policy.props), [])
	spec := data.lib.network_policies.spec(policy)
	"Ingress" in data.lib.network_policies.types(spec)
	data.lib.network_policies.selects(data.lib.network_policies.map(object.get(spec, "podSelector", {})), target[1])
	# `some i; ...[i]`: regopy 1.5.2 cannot parse `some i, rule in` inside a comprehension.
	ingress := data.lib.network_policies.rules(spec, "Ingress")
	some i
	rule := ingress[i]
]

_sec_021_sources := data.params.network_policy.model_server_ingress_sources

_sec_021_sources_text := concat(" and ", [concat("", [s.name, " (", s.namespace, ")"]) | some s in _sec_021_sources])

_sec_021_policy_name(policy) := concat("/", [
	data.lib.network_policies.namespace(policy.props),
	object.get(policy.props, ["metadata", "name"], policy.name),
])

# A rule without peers admits every source (a missing, null or empty `from`).
_sec_021_no_peers(rule) if not "from" in object.keys(rule)

_sec_021_no_peers(rule) if rule.from == null

_sec_021_no_peers(rule) if rule.from == []

# A peer naming one allowed source's namespace and requiring at least its pod labels.
_sec_021_allowed(peer, policy_ns) if {
	not "ipBlock" in object.keys(peer)
	"podSelector" in object.keys(peer)
	some source in _sec_021_sources
	_sec_021_in_namespace(peer, policy_ns, source.namespace)
	required := data.lib.network_policies.map(object.get(peer, ["podSelector", "matchLabels"], {}))
	every key, value in source.pod_labels {
		object.get(required, key, null) == value
	}
}

# Without a namespaceSelector a peer means pods of the policy's own namespace.
_sec_021_in_namespace(peer, policy_ns, ns) if {
	not "namespaceSelector" in object.keys(peer)
	policy_ns == ns
}

_sec_021_in_namespace(peer, _, ns) if {
	object.get(peer, ["namespaceSelector", "matchLabels", data.lib.network_policies.namespace_name_label], null) == ns
}
