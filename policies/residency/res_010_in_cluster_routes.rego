# RES-010: Sovereign stacks route only to in-cluster models.
package residency

import data.lib.inventory as inv
import data.lib.residency as residency_lib
import rego.v1

_in_cluster_suffix := ".svc.cluster.local"

_backend_type := "kubernetes:gateway.envoyproxy.io/v1alpha1:Backend"

# Envoy AI Gateway v1.x serves AIServiceBackend as v1beta1 and still serves the deprecated
# v1alpha1: both route traffic, so both are judged.
_ai_service_backend_types := [
	"kubernetes:aigateway.envoyproxy.io/v1beta1:AIServiceBackend",
	"kubernetes:aigateway.envoyproxy.io/v1alpha1:AIServiceBackend",
]

_namespace(res) := object.get(res.props, ["metadata", "namespace"], "default")

_external_endpoint(endpoint) := hostname if {
	hostname := endpoint.fqdn.hostname
	not endswith(hostname, _in_cluster_suffix)
}

_external_endpoint(endpoint) := endpoint.ip.address if endpoint.ip.address

_external_backends := {[_namespace(res), object.get(res.props, ["metadata", "name"], res.name)] |
	some res in inv.resources(input, _backend_type)
	endpoint_list := object.get(res.props, ["spec", "endpoints"], [])
	endpoint := endpoint_list[_]
	_external_endpoint(endpoint)
}

_known_backends := {[_namespace(res), object.get(res.props, ["metadata", "name"], res.name)] |
	some res in inv.resources(input, _backend_type)
}

_backend_ref(res) := [object.get(ref, "namespace", _namespace(res)), ref.name] if {
	ref := object.get(res.props, ["spec", "backendRef"], {})
	# Gateway API's default kind is Service, which is in-cluster by definition.
	object.get(ref, "kind", "Service") == "Backend"
}

# METADATA
# title: Sovereign stacks route only to in-cluster models
# description: A gateway route to an external model API sends prompts and completions outside the
#   zone; sovereign stacks serve only models running in their own cluster.
# custom:
#   id: RES-010
#   area: residency
#   severity: critical
#   enforcement: mandatory
#   scope: stack
#   resource_types: ["kubernetes:gateway.envoyproxy.io/v1alpha1:Backend",
#     "kubernetes:aigateway.envoyproxy.io/v1beta1:AIServiceBackend",
#     "kubernetes:aigateway.envoyproxy.io/v1alpha1:AIServiceBackend"]
#   applies_when: "declared.residency.sovereign != false"
#   not_applicable: not sovereign
#   parameters: []
#   remediation: Point the Backend at an in-cluster Service (<svc>.<ns>.svc.cluster.local) and
#     remove routes to external providers.
deny contains v if {
	residency_lib.sovereign(input.declared)
	some res in inv.resources(input, _backend_type)
	endpoint_list := object.get(res.props, ["spec", "endpoints"], [])
	some i
	endpoint := endpoint_list[i]
	target := _external_endpoint(endpoint)
	v := inv.violation(
		"RES-010", res,
		concat("", [
			"Backend ",
			res.name,
			" sends traffic to ",
			inv.text(target),
			" outside the cluster; sovereign stacks route only to *",
			_in_cluster_suffix,
			" services",
		]),
		concat(".", ["spec.endpoints", format_int(i, 10)]), target,
	)
}

deny contains v if {
	residency_lib.sovereign(input.declared)
	some backend_type in _ai_service_backend_types
	some res in inv.resources(input, backend_type)
	ref := _backend_ref(res)
	_refers_outside(ref)
	v := inv.violation(
		"RES-010", res,
		concat("", [
			"AIServiceBackend ",
			res.name,
			" routes to Backend ",
			inv.text(ref[0]),
			"/",
			inv.text(ref[1]),
			", which is external or not part of this stack; sovereign stacks route only to in-cluster models",
		]),
		"spec.backendRef", ref,
	)
}

_refers_outside(ref) if ref in _external_backends

_refers_outside(ref) if not ref in _known_backends
