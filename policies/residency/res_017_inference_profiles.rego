# RES-017: A Bedrock cross-region inference profile routes only to regions in the zone.
package residency

import data.lib.inventory as inv
import data.lib.residency as residency_lib
import data.lib.traffic as traffic
import rego.v1

# METADATA
# title: Bedrock inference profiles stay in the zone
# description: A Bedrock model id with a geography prefix (us., eu., apac., global. ...) is a
#   cross-region inference profile; Bedrock may then process the request in any destination
#   region of that geography, whatever the endpoint's own region. A route may use one only when
#   every destination it may use is in the zone (policies/data/bedrock_inference_profiles.yaml);
#   global profiles and prefixes whose destinations are not known are refused.
# custom:
#   id: RES-017
#   area: residency
#   severity: critical
#   enforcement: mandatory
#   scope: stack
#   resource_types: ["kubernetes:aigateway.envoyproxy.io/v1beta1:AIGatewayRoute",
#     "kubernetes:aigateway.envoyproxy.io/v1alpha1:AIGatewayRoute"]
#   applies_when: "declared.residency.sovereign != false"
#   not_applicable: not sovereign
#   parameters: ["bedrock_inference_profiles", "zones"]
#   remediation: Use the model's in-region model id (without the geography prefix) in
#     modelNameOverride, served by the Bedrock endpoint of a zone region.
deny contains v if {
	residency_lib.sovereign(input.declared)
	regions := residency_lib.zone_regions(input.declared)
	some entry in data.lib.traffic.routes
	some ref in entry.refs
	_r017_bedrock(ref.backend)
	is_string(ref.model_id)
	prefix := split(ref.model_id, ".")[0]
	reason := _r017_leaves(prefix, regions)
	v := inv.violation(
		"RES-017", entry.res,
		concat("", [
			"AIGatewayRoute ", entry.res.name, " asks Bedrock backend ", ref.name, " for ",
			ref.model_id, ", a cross-region inference profile that ", reason, "; zone ",
			residency_lib.zone(input.declared), " allows ", residency_lib.allowed_text(input.declared),
		]),
		concat(".", [traffic.ref_path(entry, ref), "modelNameOverride"]), ref.model_id,
	)
}

_r017_bedrock(backend) if backend.schema in {"AWSBedrock", "AWSAnthropic"}

_r017_bedrock(backend) if {
	some host in backend.hosts
	startswith(host, "bedrock-runtime.")
}

_r017_leaves(prefix, regions) := "may process the request in any commercial region" if {
	data.params.bedrock_inference_profiles.geographies[prefix].destinations == "any"
} else := concat("", ["may process the request in ", concat(", ", outside)]) if {
	destinations := data.params.bedrock_inference_profiles.geographies[prefix].destinations
	is_array(destinations)
	outside := [r | some r in destinations; not r in regions]
	count(outside) > 0
} else := "routes to destinations no compliance data lists" if {
	prefix in data.params.bedrock_inference_profiles.unverified
}
