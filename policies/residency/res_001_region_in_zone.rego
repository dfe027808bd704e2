# RES-001: Resources stay inside the stack's sovereignty zone.
package residency

import data.lib.inventory as inv
import data.lib.residency as residency_lib
import rego.v1

_zone_known(declared) if residency_lib.zone(declared) in object.keys(data.params.zones.zones)

# METADATA
# title: Resources stay inside the stack's sovereignty zone
# description: Every regional cloud resource must be created in a region of the zone the stack
#   declares, so that the data it holds stays under that jurisdiction.
# custom:
#   id: RES-001
#   area: residency
#   severity: critical
#   enforcement: mandatory
#   scope: resource
#   resource_types: ["aws:*", "!aws:iam/*", "!aws:kms/key:Key", "!aws:kms/replicaKey:ReplicaKey",
#     "!aws:kms/replicaExternalKey:ReplicaExternalKey", "!aws:cloudwatch/logGroup:LogGroup",
#     "!aws:cloudtrail/trail:Trail"]
#   config_key: residency.zone
#   parameters: [zones.zones, zones.global_type_prefixes]
#   remediation: Create the resource in one of the zone's regions (set aws:region or the
#     resource's region), or declare the zone the data is actually allowed to live in.
deny contains v if {
	_zone_known(input.declared)
	some [type_token, res] in data.lib.residency.outside_zone
	not type_token in data.lib.residency.evidence_types
	object.get(res, "custom", true) != false
	residency_lib.region_known(res)
	v := inv.violation(
		"RES-001", res,
		concat("", [
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
	not residency_lib.sovereign(input.declared)
	some [type_token, res] in data.lib.residency.region_unresolved
	not type_token in data.lib.residency.evidence_types
	object.get(res, "custom", true) != false
	residency_lib.region_unknown(res)
	v := inv.undecided("RES-001", res, "region")
}

deny contains v if {
	not _zone_known(input.declared)
	v := inv.violation(
		"RES-001", inv.stack_resource(input),
		concat("", [
			"declared zone ",
			inv.quoted(residency_lib.zone(input.declared)),
			" is not a zone of policies/data/zones.yaml (known: ",
			concat(", ", sort(object.keys(data.params.zones.zones))),
			")",
		]),
		"declared.residency.zone", residency_lib.zone(input.declared),
	)
}
