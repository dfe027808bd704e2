# RES-003: S3 replication stays inside the zone.
package residency

import data.lib.inventory as inv
import data.lib.residency as residency_lib
import rego.v1

# METADATA
# title: S3 replication stays inside the zone
# description: Replicating a bucket copies its objects; the destination must be a bucket of this
#   stack in a zone region, or the copy leaves the jurisdiction.
# custom:
#   id: RES-003
#   area: residency
#   severity: critical
#   enforcement: mandatory
#   scope: stack
#   resource_types: ["aws:s3/bucketReplicationConfig:BucketReplicationConfig"]
#   config_key: residency.zone
#   parameters: [zones.zones]
#   remediation: Replicate only to a bucket this stack creates in one of the zone's regions.
deny contains v if {
	regions := residency_lib.zone_regions(input.declared)
	some [res, dest] in residency_lib.replication_rules(input)
	some b in residency_lib.destinations(input, res, dest)
	residency_lib.out_of_zone(b, regions)
	v := inv.violation(
		"RES-003", res,
		concat("", [
			res.name,
			" replicates to bucket ",
			b.name,
			" in region ",
			inv.text(b.region),
			", outside zone ",
			inv.text(residency_lib.zone(input.declared)),
			" (allowed: ",
			residency_lib.allowed_text(input.declared),
			")",
		]),
		"rules.destination.bucket", dest,
	)
}

deny contains v if {
	residency_lib.sovereign(input.declared)
	some [res, dest] in residency_lib.replication_rules(input)
	not residency_lib.resolved(input, res, dest)
	v := inv.violation(
		"RES-003", res,
		concat("", [
			res.name,
			" replicates to ",
			inv.text(dest),
			", which is not a bucket of this stack; sovereign stacks replicate only to in-zone buckets they create",
		]),
		"rules.destination.bucket", dest,
	)
}

deny contains v if {
	not residency_lib.sovereign(input.declared)
	some [res, dest] in residency_lib.replication_rules(input)
	not residency_lib.resolved(input, res, dest)
	v := inv.undecided("RES-003", res, "rules.destination.bucket")
}
