# SEC-009: Model servers are reachable only inside the cluster.
package security

import data.lib.inventory as inv
import rego.v1

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
#   parameters: []
#   remediation: Make the model server's Service type ClusterIP and expose models only through the
#     gateway.
deny contains v if {
	some service in inv.resources(input, "kubernetes:core/v1:Service")
	service_type := object.get(service.props, ["spec", "type"], "ClusterIP")
	service_type != "ClusterIP"
	inv.has_role(service, "model-server")
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
	inv.has_role(service, "model-server")
	v := inv.undecided("SEC-009", service, "spec.type")
}
