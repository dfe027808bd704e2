# RES-013: A backend receives only the classifications it declares.
package residency

import data.lib.inventory as inv
import data.lib.traffic as traffic
import rego.v1

# METADATA
# title: Backends receive only the classifications they declare
# description: An external backend declares the classifications it may receive (its Backend's
#   servegate.io/classifications annotation; a Backend of this cluster without one may receive
#   every classification, an external one none). A route that sends it another classification
#   breaks that declaration, whatever the zone. Fallback steps are RES-014's, the catch-all
#   RES-018's.
# custom:
#   id: RES-013
#   area: residency
#   severity: high
#   enforcement: mandatory
#   scope: stack
#   resource_types: ["kubernetes:aigateway.envoyproxy.io/v1beta1:AIGatewayRoute",
#     "kubernetes:aigateway.envoyproxy.io/v1alpha1:AIGatewayRoute"]
#   parameters: ["classifications.order"]
#   remediation: Route the classification to a backend that declares it, or, when the provider's
#     terms allow it, add the classification to the backend's declared list
#     (externalBackends[].classifications).
deny contains v if {
	some entry in data.lib.traffic.routes
	not entry.unclassified
	some ref in entry.refs
	ref.priority == entry.primary
	not traffic.declares(ref.backend, entry.class)
	v := inv.violation(
		"RES-013", entry.res,
		concat("", [
			"AIGatewayRoute ", entry.res.name, " sends ", traffic.entry_text(entry),
			" to backend ", ref.name, ", which declares only ", inv.text(ref.backend.classes),
		]),
		traffic.ref_path(entry, ref), ref.name,
	)
}
