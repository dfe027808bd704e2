# RES-004: Keys, logs and audit trails stay inside the zone.
package residency

import data.lib.inventory as inv
import data.lib.residency as residency_lib
import rego.v1

# METADATA
# title: Keys, logs and audit trails stay inside the zone
# description: Encryption keys, log groups and CloudTrail trails are the evidence an auditor relies
#   on; their location must be provably inside the zone, so an unresolvable region is denied too.
# custom:
#   id: RES-004
#   area: residency
#   severity: critical
#   enforcement: mandatory
#   scope: resource
#   resource_types: ["aws:kms/key:Key", "aws:kms/replicaKey:ReplicaKey",
#     "aws:kms/replicaExternalKey:ReplicaExternalKey", "aws:cloudwatch/logGroup:LogGroup",
#     "aws:cloudtrail/trail:Trail"]
#   config_key: residency.zone
#   parameters: [zones.zones]
#   remediation: Create the key, log group or trail with the stack's AWS provider in a zone region.
deny contains v if {
	regions := residency_lib.zone_regions(input.declared)
	some [type_token, res] in data.lib.residency.outside_zone
	type_token in data.lib.residency.evidence_types
	residency_lib.out_of_zone(res, regions)
	v := inv.violation(
		"RES-004", res,
		concat("", [
			"evidence store ",
			res.name,
			" is in region ",
			inv.text(res.region),
			", outside zone ",
			inv.text(residency_lib.zone(input.declared)),
			" (allowed: ",
			residency_lib.allowed_text(input.declared),
			")",
		]),
		"region", res.region,
	)
}

deny contains v if {
	residency_lib.sovereign(input.declared)
	some [type_token, res] in data.lib.residency.region_unresolved
	type_token in data.lib.residency.evidence_types
	not residency_lib.region_known(res)
	v := inv.violation(
		"RES-004", res,
		concat("", [
			"evidence store ",
			res.name,
			" has no resolvable region; it must be provably in zone ",
			inv.text(residency_lib.zone(input.declared)),
			" (allowed: ",
			residency_lib.allowed_text(input.declared),
			")",
		]),
		"region", object.get(res, "region", null),
	)
}

deny contains v if {
	not residency_lib.sovereign(input.declared)
	some [type_token, res] in data.lib.residency.region_unresolved
	type_token in data.lib.residency.evidence_types
	not residency_lib.region_known(res)
	v := inv.undecided("RES-004", res, "region")
}
