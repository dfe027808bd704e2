# RES-015: An air-gapped stack reaches external backends only through its VPC endpoints.
package residency

import data.lib.inventory as inv
import data.lib.residency as residency_lib
import rego.v1

# METADATA
# title: Air-gapped stacks reach external backends only over PrivateLink in the zone
# description: An air-gapped stack has no path to the internet, so every Backend endpoint
#   outside the cluster must be the private DNS name of an interface VPC endpoint of the plan
#   (privateDnsEnabled, com.amazonaws.<region>.<service>) whose service region is in the zone.
#   An internet hostname, an IP address or a Backend the plan does not declare is a route out of
#   the air gap. (It replaces RES-010's in-cluster-only check.)
# custom:
#   id: RES-015
#   area: residency
#   severity: critical
#   enforcement: mandatory
#   scope: stack
#   resource_types: ["kubernetes:gateway.envoyproxy.io/v1alpha1:Backend",
#     "kubernetes:aigateway.envoyproxy.io/v1beta1:AIServiceBackend",
#     "kubernetes:aigateway.envoyproxy.io/v1alpha1:AIServiceBackend"]
#   applies_when: "declared.residency.airGapped == true"
#   not_applicable: not air-gapped
#   parameters: ["zones"]
#   remediation: Use connectivity privatelink (an interface VPC endpoint created by
#     SovereignNetwork, private DNS on) for a managed API in a zone region, or serve the model
#     in the cluster.
deny contains v if {
	residency_lib.air_gapped(input.declared)
	private := _r015_private(data.lib.traffic.private_hosts, residency_lib.zone_regions(input.declared))
	some backend in data.lib.traffic.backends
	some [i, host, p] in backend.endpoints
	p.kind != "cluster"
	not host in private
	v := inv.violation(
		"RES-015", backend.res,
		concat("", [
			"Backend ", backend.res.name, " sends traffic to ", inv.text(host),
			", which is not the private DNS name of an interface VPC endpoint in zone ",
			residency_lib.zone(input.declared), "; an air-gapped stack reaches external APIs only over PrivateLink",
		]),
		concat(".", ["spec.endpoints", format_int(i, 10)]), host,
	)
}

deny contains v if {
	residency_lib.air_gapped(input.declared)
	some backend in data.lib.traffic.ai_backends
	backend.backend_key == ""
	backend.external
	ref := object.get(backend.res.props, ["spec", "backendRef"], {})
	v := inv.violation(
		"RES-015", backend.res,
		concat("", [
			"AIServiceBackend ", backend.res.name, " routes to ", inv.text(object.get(ref, "kind", "Service")), " ",
			inv.text(object.get(ref, "name", "")),
			", which this stack does not declare; an air-gapped stack routes only to its own Backends",
		]),
		"spec.backendRef", object.get(ref, "name", ""),
	)
}

# The private DNS names of the stack's interface endpoints for services in the zone.
_r015_private(hosts, regions) := {host |
	some [host, region] in hosts
	region in regions
}
