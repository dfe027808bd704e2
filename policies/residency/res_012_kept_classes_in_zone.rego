# RES-012: A backend outside the zone never receives a classification the zone keeps in it.
package residency

import data.lib.inventory as inv
import data.lib.residency as residency_lib
import data.lib.traffic as traffic
import rego.v1

# METADATA
# title: Classifications kept in the zone reach only backends in the zone
# description: A gateway route that sends a classification the zone's compliance data keeps in
#   the zone (policies/data/classifications.yaml, in_zone) to a backend that processes requests
#   outside the zone moves regulated data out of the jurisdiction. Where a backend processes
#   requests comes from what it is (a cluster Service, an endpoint of
#   policies/data/external_endpoints.yaml, else its declared processing region, reported as an
#   unverified claim), never from its name. Fallback steps are RES-014's, the catch-all RES-018's.
# custom:
#   id: RES-012
#   area: residency
#   severity: critical
#   enforcement: mandatory
#   scope: stack
#   resource_types: ["kubernetes:aigateway.envoyproxy.io/v1beta1:AIGatewayRoute",
#     "kubernetes:aigateway.envoyproxy.io/v1alpha1:AIGatewayRoute"]
#   applies_when: "declared.residency.sovereign != false"
#   not_applicable: not sovereign
#   parameters: ["classifications.in_zone", "external_endpoints", "zones"]
#   remediation: Route the classification to a self-hosted model or to a backend whose endpoint
#     processes requests in a zone region (e.g. Bedrock in the zone's region over PrivateLink).
deny contains v if {
	residency_lib.sovereign(input.declared)
	kept := traffic.kept_in_zone(input.declared)
	some entry in data.lib.traffic.routes
	not entry.unclassified
	entry.class in kept
	some ref in entry.refs
	ref.priority == entry.primary
	not traffic.zone_allows(ref.backend, entry.class, input.declared)
	v := inv.violation(
		"RES-012", entry.res,
		concat("", [
			"AIGatewayRoute ", entry.res.name, " sends ", traffic.entry_text(entry),
			" to backend ", ref.name, ", which processes requests in ",
			traffic.place_text(traffic.outside_place(ref.backend, input.declared)),
			", outside zone ", traffic.zone(input.declared), "; the zone keeps ", entry.class, " in it",
		]),
		traffic.ref_path(entry, ref), ref.name,
	)
}
