# SEC-010: Every gateway requires authentication.
package security

import data.lib.inventory as inv
import rego.v1

_gateway_type := "kubernetes:gateway.networking.k8s.io/v1:Gateway"

_security_policy_type := "kubernetes:gateway.envoyproxy.io/v1alpha1:SecurityPolicy"

_namespace(res) := object.get(res.props, ["metadata", "namespace"], "default")

_authenticates(policy) if inv.is_present(object.get(policy.props, ["spec", "apiKeyAuth"], null))

_authenticates(policy) if inv.is_present(object.get(policy.props, ["spec", "jwt"], null))

_target_refs(policy) := array.concat(
	object.get(policy.props, ["spec", "targetRefs"], []),
	[ref | ref := object.get(policy.props, ["spec", "targetRef"], null); is_object(ref)],
)

# "<namespace>/<name>" of every Gateway an authenticating SecurityPolicy targets.
_protected_gateways(doc) := {concat("/", [inv.text(_namespace(policy)), inv.text(ref.name)]) |
	some policy in inv.resources(doc, _security_policy_type)
	_authenticates(policy)
	some ref in _target_refs(policy)
	object.get(ref, "kind", "Gateway") == "Gateway"
}

_gateway_name(gateway) := object.get(gateway.props, ["metadata", "name"], "")

# METADATA
# title: Every gateway requires authentication
# description: The gateway fronts models that have no authentication of their own; without an
#   API-key or JWT SecurityPolicy on it anyone who reaches it can use the GPUs and the models.
# custom:
#   id: SEC-010
#   area: security
#   severity: critical
#   enforcement: mandatory
#   scope: stack
#   resource_types: ["kubernetes:gateway.networking.k8s.io/v1:Gateway"]
#   config_key: gateway.auth
#   parameters: []
#   remediation: Add an Envoy Gateway SecurityPolicy with apiKeyAuth or jwt whose targetRefs name
#     the Gateway (the ModelGateway component does this from llm-serving:gateway.auth).
deny contains v if {
	protected := _protected_gateways(input)
	some gateway in inv.resources(input, _gateway_type)
	not inv.is_unknown(gateway, "metadata.name")
	not concat("/", [inv.text(_namespace(gateway)), inv.text(_gateway_name(gateway))]) in protected
	v := inv.violation(
		"SEC-010", gateway,
		concat("", [
			"Gateway ",
			gateway.name,
			" has no SecurityPolicy with apiKeyAuth or jwt targeting it; every gateway must authenticate clients",
		]),
		"metadata.name", _gateway_name(gateway),
	)
}

deny contains v if {
	some gateway in inv.resources(input, _gateway_type)
	inv.is_unknown(gateway, "metadata.name")
	v := inv.undecided("SEC-010", gateway, "metadata.name")
}
