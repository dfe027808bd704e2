# SLA-011: The gateway runs redundant Envoy replicas.
package sla

import data.lib.inventory as inv
import data.lib.sla as sla_lib
import rego.v1

_envoy_proxy_type := "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy"

_min_gateway_replicas := object.get(data.params.sla, "min_gateway_replicas", 2)

_gateway_replicas(kubernetes) := object.get(kubernetes, ["envoyHpa", "minReplicas"], 1) if {
	is_object(object.get(kubernetes, "envoyHpa", null))
} else := object.get(kubernetes, ["envoyDeployment", "replicas"], 1)

# METADATA
# title: The gateway runs redundant Envoy replicas
# description: Every request passes the gateway; a single Envoy replica makes it the one thing
#   whose restart takes every model offline.
# custom:
#   id: SLA-011
#   area: sla
#   severity: high
#   enforcement: mandatory
#   scope: resource
#   resource_types: ["kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy"]
#   config_key: gateway.replicas
#   applies_when: declared.sla
#   not_applicable: no SLA declared
#   parameters: []
#   remediation: Set gateway.replicas (EnvoyProxy envoyDeployment.replicas) to at least 2.
deny contains v if {
	sla_lib.sla_declared(input.declared)
	some res in inv.resources(input, _envoy_proxy_type)
	replicas := _gateway_replicas(object.get(res.props, ["spec", "provider", "kubernetes"], {}))
	replicas < _min_gateway_replicas
	v := inv.violation(
		"SLA-011", res,
		concat("", [
			"gateway EnvoyProxy ",
			res.name,
			" runs ",
			inv.text(replicas),
			" Envoy replica(s); an SLA needs at least ",
			inv.text(_min_gateway_replicas),
		]),
		"spec.provider.kubernetes.envoyDeployment.replicas", replicas,
	)
}
