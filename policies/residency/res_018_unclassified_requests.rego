# RES-018: Unclassified requests are routed as the most restrictive classification.
package residency

import data.lib.inventory as inv
import data.lib.traffic as traffic
import rego.v1

# METADATA
# title: Unclassified requests are routed as the most restrictive class
# description: A route rule without an x-data-classification match (each model's catch-all)
#   receives the requests that carry no classification. The gateway must treat them as the
#   most restrictive class of policies/data/classifications.yaml, so every backend of that rule,
#   fallbacks included, must be allowed for it -- it declares that class and, when the zone
#   keeps it in the zone, processes requests in the zone.
# custom:
#   id: RES-018
#   area: residency
#   severity: critical
#   enforcement: mandatory
#   scope: stack
#   resource_types: ["kubernetes:aigateway.envoyproxy.io/v1beta1:AIGatewayRoute",
#     "kubernetes:aigateway.envoyproxy.io/v1alpha1:AIGatewayRoute"]
#   parameters: ["classifications.order", "classifications.in_zone"]
#   remediation: Route each model's catch-all rule to its self-hosted model (or a backend allowed
#     for the most restrictive class), and send less restricted classes through their own rules.
deny contains v if {
	some entry in data.lib.traffic.routes
	entry.unclassified
	some ref in entry.refs
	reason := _r018_refused(ref.backend, entry.class, input.declared)
	v := inv.violation(
		"RES-018", entry.res,
		concat("", [
			"AIGatewayRoute ", entry.res.name, " sends ", traffic.entry_text(entry), " to backend ",
			ref.name, ", which ", reason,
		]),
		traffic.ref_path(entry, ref), ref.name,
	)
}

_r018_refused(backend, class, _) := concat("", ["declares only ", inv.text(backend.classes)]) if {
	not traffic.declares(backend, class)
}

_r018_refused(backend, class, declared) := concat("", [
	"processes requests in ", traffic.place_text(traffic.outside_place(backend, declared)),
	", outside zone ", traffic.zone(declared),
]) if {
	data.lib.residency.sovereign(declared)
	traffic.declares(backend, class)
	not traffic.zone_allows(backend, class, declared)
}
