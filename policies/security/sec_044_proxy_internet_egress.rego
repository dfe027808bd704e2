# SEC-044: The gateway's proxies reach the internet only on HTTPS, and only when the stack needs it.
package security

import data.lib.inventory as inv
import data.lib.residency as residency_lib
import rego.v1

# METADATA
# title: The gateway's proxies reach the internet only on HTTPS, and only when the stack needs it
# description: The Envoy proxies see every prompt and completion in clear text. In a sovereign
#   stack a NetworkPolicy that selects them (by the labels Envoy Gateway puts on its proxy pods)
#   may open egress to the internet -- a rule without destinations, or an ipBlock of /0 -- only
#   when the stack has an internet backend or fetches a remote JWKS, and then only to TCP 443;
#   any other port, or a port range, is a path the egress allow-list (RES-016, RES-026) does not
#   judge for what it carries.
# custom:
#   id: SEC-044
#   area: security
#   severity: high
#   enforcement: mandatory
#   scope: stack
#   resource_types: ["kubernetes:networking.k8s.io/v1:NetworkPolicy"]
#   applies_when: "declared.residency.sovereign != false"
#   not_applicable: not sovereign
#   parameters: ["network_policy"]
#   remediation: Let NetworkPolicies open the proxies' egress outside the VPC only on TCP 443 and
#     only for internet backends (externalBackends[].connectivity internet) or an OIDC issuer;
#     reach in-zone managed APIs through their interface endpoints' subnets instead.
deny contains v if {
	residency_lib.sovereign(input.declared)
	needed := _sec_044_internet_needed(
		data.lib.traffic.internet_hosts(data.lib.traffic.backends, data.lib.traffic.private_hosts),
		data.lib.traffic.jwks_hosts,
	)
	proxies := data.params.network_policy.gateway_proxies
	gateways := inv.resources(input, _sec_044_gateway_type)
	names := {object.get(g.props, ["metadata", "name"], g.name) | some g in gateways}
	namespaces := {data.lib.network_policies.namespace(g.props) | some g in gateways}
	some policy in data.lib.network_policies.policies
	policy_spec := data.lib.network_policies.spec(policy)
	_sec_044_selects_proxies(object.get(policy_spec, "podSelector", {}), proxies, names, namespaces)
	"Egress" in data.lib.network_policies.types(policy_spec)
	rules := data.lib.network_policies.rules(policy_spec, "Egress")
	some k
	rule := rules[k]
	_sec_044_to_internet(rule)
	some reason in _sec_044_reasons(rule, needed, proxies.internet_ports)
	v := inv.violation(
		"SEC-044", policy,
		concat("", [
			"NetworkPolicy ", policy.name, " lets the gateway's Envoy proxies connect to the internet ",
			"(egress rule ", format_int(k, 10), ") ", reason,
		]),
		concat(".", ["spec.egress", format_int(k, 10)]), "internet",
	)
}

_sec_044_gateway_type := "kubernetes:gateway.networking.k8s.io/v1:Gateway"

# A selector selects proxy pods: their labels, with the owning Gateway's name and namespace the
# selector's matchLabels ask for when a Gateway of the plan has them (looked up in sets: one
# label set per Gateway would join every policy with every Gateway).
_sec_044_selects_proxies(selector, proxies, names, namespaces) if {
	wanted := data.lib.network_policies.map(object.get(data.lib.network_policies.map(selector), "matchLabels", {}))
	name := object.get(wanted, proxies.owning_gateway_name_label, null)
	namespace := object.get(wanted, proxies.owning_gateway_namespace_label, null)
	_sec_044_owned(name, names)
	_sec_044_owned(namespace, namespaces)
	owners := {key: wanted[key] |
		some key in [proxies.owning_gateway_name_label, proxies.owning_gateway_namespace_label]
		is_string(wanted[key])
	}
	data.lib.network_policies.selects(selector, object.union(proxies.pod_labels, owners))
}

_sec_044_owned(value, _) if value == null

_sec_044_owned(value, known) if value in known

_sec_044_internet_needed(internet, jwks) := true if {
	count(internet) + count(jwks) > 0
} else := false

# An egress rule reaches the internet: it names no destination, or an ipBlock of /0.
_sec_044_to_internet(rule) if count(data.lib.network_policies.list(object.get(rule, "to", []))) == 0

_sec_044_to_internet(rule) if {
	some peer in data.lib.network_policies.list(object.get(rule, "to", []))
	data.lib.security.world_open(object.get(peer, ["ipBlock", "cidr"], ""))
}

_sec_044_reasons(_, needed, _) := {_sec_044_not_needed} if {
	not needed
}

_sec_044_reasons(rule, needed, allowed) := {reason |
	reason := _sec_044_port_reason(data.lib.network_policies.list(object.get(rule, "ports", [])), allowed)
} if {
	needed
}

_sec_044_not_needed := "although the stack has no internet backend and no remote JWKS; remove the rule"

_sec_044_port_reason(ports, _) := "on every port; allow only TCP 443" if count(ports) == 0

_sec_044_port_reason(ports, allowed) := "on a port other than TCP 443; allow only TCP 443" if {
	count(ports) > 0
	some port in ports
	not _sec_044_https(port, allowed)
}

_sec_044_https(port, allowed) if {
	object.get(port, "protocol", "TCP") == "TCP"
	object.get(port, "port", null) in allowed
	object.get(port, "endPort", null) == null
}
