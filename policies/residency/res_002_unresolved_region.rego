# RES-002: Sovereign stacks fail closed on unresolvable regions.
package residency

import data.lib.inventory as inv
import data.lib.residency as residency_lib
import rego.v1

# METADATA
# title: Sovereign stacks fail closed on unresolvable regions
# description: On a sovereign stack a regional AWS resource whose region cannot be resolved could
#   land anywhere, so it is denied rather than assumed compliant.
# custom:
#   id: RES-002
#   area: residency
#   severity: critical
#   enforcement: mandatory
#   scope: resource
#   resource_types: ["aws:*", "!aws:iam/*", "!aws:kms/key:Key", "!aws:kms/replicaKey:ReplicaKey",
#     "!aws:kms/replicaExternalKey:ReplicaExternalKey", "!aws:cloudwatch/logGroup:LogGroup",
#     "!aws:cloudtrail/trail:Trail"]
#   config_key: residency.zone
#   applies_when: "declared.residency.sovereign != false"
#   not_applicable: not sovereign
#   parameters: [zones.global_type_prefixes]
#   remediation: Give the resource (or its AWS provider) an explicit, known region inside the zone.
deny contains v if {
	residency_lib.sovereign(input.declared)
	some [type_token, res] in data.lib.residency.region_unresolved
	startswith(type_token, "aws:")
	not type_token in data.lib.residency.evidence_types
	not residency_lib.region_known(res)
	v := inv.violation(
		"RES-002", res,
		concat("", [
			res.name,
			" has no resolvable region on sovereign stack zone ",
			inv.text(residency_lib.zone(input.declared)),
			"; set a region in: ",
			residency_lib.allowed_text(input.declared),
		]),
		"region", object.get(res, "region", null),
	)
}
