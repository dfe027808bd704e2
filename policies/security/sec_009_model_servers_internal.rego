# SEC-009: Model servers are reachable only inside the cluster.
package security

import data.lib.inventory as inv
import rego.v1

# [namespace, pod labels] of every model server (data.lib.workloads: by what it runs).
_model_server_pods := {[
	object.get(res.props, ["metadata", "namespace"], "default"),
	object.get(res.props, _labels_path(path), {}),
] |
	some [res, _, path] in data.lib.workloads.model_servers
}

# Where the pods' labels sit beside their spec: spec.template.metadata.labels, a Pod's own.
_labels_path(spec_path) := array.concat(
	split(concat("", [trim_suffix(spec_path, "spec"), "metadata"]), "."),
	["labels"],
)

# A Service reaches model servers when its selector picks a model server's pods in its
# namespace; our components also label it so.
_fronts_a_model_server(service) if inv.has_role(service, "model-server")

_fronts_a_model_server(service) if {
	selector := object.get(service.props, ["spec", "selector"], {})
	is_object(selector)
	count(selector) > 0
	namespace := object.get(service.props, ["metadata", "namespace"], "default")
	some pod in _model_server_pods
	pod[0] == namespace
	every key, value in selector {
		pod[1][key] == value
	}
}

# METADATA
# title: Model servers are reachable only inside the cluster
# description: vLLM serves without authentication; a LoadBalancer or NodePort Service would let
#   anyone who reaches the network bypass the gateway's authentication and rate limits.
# custom:
#   id: SEC-009
#   area: security
#   severity: critical
#   enforcement: mandatory
#   scope: resource
#   resource_types: ["kubernetes:core/v1:Service"]
#   parameters: []
#   remediation: Make the model server's Service type ClusterIP and expose models only through the
#     gateway.
deny contains v if {
	some service in inv.resources(input, "kubernetes:core/v1:Service")
	service_type := object.get(service.props, ["spec", "type"], "ClusterIP")
	service_type != "ClusterIP"
	_fronts_a_model_server(service)
	not inv.is_unknown(service, "spec.type")
	v := inv.violation(
		"SEC-009", service,
		concat("", [
			"model-server Service ",
			service.name,
			" is of type ",
			inv.text(service_type),
			"; it must be ClusterIP so that only the gateway reaches it",
		]),
		"spec.type", service_type,
	)
}

deny contains v if {
	some service in inv.resources(input, "kubernetes:core/v1:Service")
	inv.is_unknown(service, "spec.type")
	_fronts_a_model_server(service)
	v := inv.undecided("SEC-009", service, "spec.type")
}
