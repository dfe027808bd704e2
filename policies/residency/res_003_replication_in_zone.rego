# RES-003: S3 replication stays inside the zone.
package residency

import data.lib.inventory as inv
import data.lib.residency as residency_lib
import rego.v1

_replication_type := "aws:s3/bucketReplicationConfig:BucketReplicationConfig"

_bucket_name_of_arn(arn) := trim_prefix(split(arn, "/")[0], "arn:aws:s3:::") if {
	is_string(arn)
	startswith(arn, "arn:aws:s3:::")
}

# The stack's buckets a replication destination names: by ARN when known, else through the
# rule's property dependencies (a new bucket's ARN is unknown until apply).
_destinations(doc, _, dest) := {b |
	some t in data.lib.residency.bucket_types
	some b in inv.resources(doc, t)
	object.get(b.props, "bucket", "") == name
} if {
	name := _bucket_name_of_arn(dest)
}

_destinations(doc, res, dest) := {b |
	some t in data.lib.residency.bucket_types
	some b in inv.resources(doc, t)
	b.urn in targets
} if {
	dest == data.lib.inventory.unknown_value
	source := {u | some u in object.get(res.deps, "bucket", [])}
	targets := {u | some u in object.get(res.deps, "rules", []); not u in source}
}

_resolved(doc, res, dest) if count(_destinations(doc, res, dest)) > 0

_replication_rules(doc) := [[res, dest] |
	some res in inv.resources(doc, _replication_type)
	rule_list := object.get(res.props, "rules", [])
	rule := rule_list[_]
	dest := object.get(rule, ["destination", "bucket"], null)
]

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
	some [res, dest] in _replication_rules(input)
	some b in _destinations(input, res, dest)
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
	some [res, dest] in _replication_rules(input)
	not _resolved(input, res, dest)
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
	some [res, dest] in _replication_rules(input)
	not _resolved(input, res, dest)
	v := inv.undecided("RES-003", res, "rules.destination.bucket")
}
