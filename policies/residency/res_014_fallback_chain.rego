# RES-014: Every fallback step is allowed for the request's classification.
package residency

import data.lib.inventory as inv
import data.lib.traffic as traffic
import rego.v1

# METADATA
# title: Fallback chains stay allowed at every step
# description: Envoy AI Gateway tries a rule's backendRefs by priority (lower first) and falls
#   back to the next when one fails. Each fallback must be allowed for the rule's
#   classification exactly as the primary is (RES-012, RES-013) -- it declares the
#   classification and, when the zone keeps it in the zone, processes requests in the zone -- so
#   that an outage of a self-hosted model never sends regulated traffic out of the zone.
# custom:
#   id: RES-014
#   area: residency
#   severity: critical
#   enforcement: mandatory
#   scope: stack
#   resource_types: ["kubernetes:aigateway.envoyproxy.io/v1beta1:AIGatewayRoute",
#     "kubernetes:aigateway.envoyproxy.io/v1alpha1:AIGatewayRoute"]
#   parameters: ["classifications", "external_endpoints", "zones"]
#   remediation: Remove the fallback, or fall back to a backend that declares the classification
#     and processes requests in the zone (another self-hosted model, an in-zone managed API).
deny contains v if {
	some entry in data.lib.traffic.routes
	not entry.unclassified
	some ref in entry.refs
	ref.priority > entry.primary
	reason := _r014_refused(ref.backend, entry.class, input.declared)
	v := inv.violation(
		"RES-014", entry.res,
		concat("", [
			"AIGatewayRoute ", entry.res.name, " falls back (priority ", format_int(ref.priority, 10),
			") for ", traffic.entry_text(entry), " to backend ", ref.name, ", which ", reason,
		]),
		traffic.ref_path(entry, ref), ref.name,
	)
}

_r014_refused(backend, class, _) := concat("", ["declares only ", inv.text(backend.classes)]) if {
	not traffic.declares(backend, class)
}

_r014_refused(backend, class, declared) := concat("", [
	"processes requests in ", traffic.place_text(traffic.outside_place(backend, declared)),
	", outside zone ", traffic.zone(declared), "; the zone keeps ", class, " in it",
]) if {
	data.lib.residency.sovereign(declared)
	traffic.declares(backend, class)
	not traffic.zone_allows(backend, class, declared)
}
