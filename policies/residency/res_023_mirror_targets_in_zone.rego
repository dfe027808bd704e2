# RES-023: A mirror (shadow) target processes requests in the zone.
package residency

import data.lib.inventory as inv
import data.lib.residency as residency_lib
import data.lib.traffic as traffic
import rego.v1

# METADATA
# title: Mirrored requests stay in the zone
# description: A request mirror (shadow traffic for a candidate model) sends a copy of every
#   request of the routes it is on, whatever their classification, and the catch-all route
#   carries unclassified requests as the most restrictive class. In a stack whose zone keeps
#   classifications in it (policies/data/classifications.yaml, in_zone) a mirror target that
#   processes requests outside the zone, or whose place the plan does not state, moves those
#   copies out of the jurisdiction. Mirrors are what the plan declares, Envoy's
#   request_mirror_policies added by an EnvoyPatchPolicy (judged by the endpoints of the
#   cluster the same plan adds) and the Gateway API RequestMirror filter of an HTTPRoute (by
#   its backendRef's Service or Backend), placed as RES-012 places backends.
# custom:
#   id: RES-023
#   area: residency
#   severity: critical
#   enforcement: mandatory
#   scope: stack
#   resource_types: ["kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyPatchPolicy",
#     "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute",
#     "kubernetes:gateway.networking.k8s.io/v1beta1:HTTPRoute"]
#   applies_when: "declared.residency.sovereign != false"
#   not_applicable: not sovereign
#   parameters: ["classifications.in_zone", "external_endpoints", "zones"]
#   remediation: Mirror to a shadow model server in this cluster (models[].shadow), or to an
#     endpoint that processes requests in a zone region; never to an external API.
deny contains v if {
	residency_lib.sovereign(input.declared)
	kept := traffic.kept_in_zone(input.declared)
	count(kept) > 0
	some mirror in data.lib.mirroring.mirrors
	some p in mirror.places
	not traffic.in_zone(p, input.declared)
	v := inv.violation(
		"RES-023", mirror.res,
		concat("", [
			mirror.res.name, " mirrors requests to ", mirror.target, ", which processes requests in ",
			traffic.place_text(p), ", outside zone ", traffic.zone(input.declared),
			"; a mirror copies every classification of its routes, and the zone keeps ",
			concat(", ", kept), " in it",
		]),
		mirror.path, mirror.target,
	)
}
