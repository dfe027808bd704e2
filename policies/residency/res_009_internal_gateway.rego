# RES-009: The gateway is internal unless declared internet-facing.
package residency

import data.lib.inventory as inv
import rego.v1

_scheme_annotation := "service.beta.kubernetes.io/aws-load-balancer-scheme"

_internal_annotation := "service.beta.kubernetes.io/aws-load-balancer-internal"

_annotations(obj) := object.get(obj, ["metadata", "annotations"], {})

_internet_facing(annotations, _) if annotations[_scheme_annotation] == "internet-facing"

# Without a scheme, the in-tree AWS cloud provider makes LoadBalancer Services public.
_internet_facing(annotations, service_type) if {
	service_type == "LoadBalancer"
	not _scheme_annotation in object.keys(annotations)
	not inv.truthy(object.get(annotations, _internal_annotation, false))
}

_public_load_balancers(doc) := array.concat(
	[[res, "spec.provider.kubernetes.envoyService.annotations", envoy_service] |
		some res in inv.resources(doc, "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy")
		envoy_service := object.get(res.props, ["spec", "provider", "kubernetes", "envoyService"], {})
		_internet_facing(object.get(envoy_service, "annotations", {}), object.get(envoy_service, "type", "LoadBalancer"))
	],
	array.concat(
		[[res, "metadata.annotations", _annotations(res.props)] |
			some res in inv.resources(doc, "kubernetes:core/v1:Service")
			_internet_facing(_annotations(res.props), object.get(res.props, ["spec", "type"], "ClusterIP"))
		],
		[[res, "internal", object.get(res.props, "internal", false)] |
			some res in inv.resources(doc, "aws:lb/loadBalancer:LoadBalancer")
			not inv.truthy(object.get(res.props, "internal", false))
			not inv.is_unknown(res, "internal")
		],
	),
)

# METADATA
# title: The gateway is internal unless declared internet-facing
# description: A public load balancer exposes the models to the internet; that must be a declared
#   decision of the stack, never a default.
# custom:
#   id: RES-009
#   area: residency
#   severity: high
#   enforcement: mandatory
#   scope: resource
#   resource_types: ["kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy",
#     "kubernetes:core/v1:Service", "aws:lb/loadBalancer:LoadBalancer"]
#   config_key: gateway.internetFacing
#   parameters: []
#   remediation: Annotate the service with aws-load-balancer-scheme internal (or set internal on the
#     load balancer), or declare gateway.internetFacing true for the stack.
deny contains v if {
	not inv.truthy(object.get(input.declared, ["gateway", "internetFacing"], false))
	some [res, path, value] in _public_load_balancers(input)
	v := inv.violation(
		"RES-009", res,
		concat("", [
			res.name,
			" is an internet-facing load balancer but the stack does not declare gateway.internetFacing; use scheme internal",
		]),
		path, value,
	)
}
