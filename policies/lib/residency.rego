# METADATA
# title: Residency helpers
# description: What several residency rules share: declared facts, parameters and the
#   collections they judge, each built once per evaluation (rules, not functions).
package lib.residency

import data.lib.inventory as inv
import rego.v1

# Evidence stores, judged by RES-004 (critical) instead of RES-001/RES-002.
evidence_types := {
	"aws:kms/key:Key",
	"aws:kms/replicaKey:ReplicaKey",
	"aws:kms/replicaExternalKey:ReplicaExternalKey",
	"aws:cloudwatch/logGroup:LogGroup",
	"aws:cloudtrail/trail:Trail",
}

bucket_types := {"aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"}

zone(declared) := object.get(declared, ["residency", "zone"], "")

zone_regions(declared) := object.get(data.params.zones.zones, zone(declared), [])

# Sovereign is the safe default: a stack must opt out explicitly.
sovereign(declared) if object.get(declared, ["residency", "sovereign"], true) != false

air_gapped(declared) if inv.truthy(object.get(declared, ["residency", "airGapped"], false))

allowed_text(declared) := concat(", ", zone_regions(declared))

global(type_token) if strings.any_prefix_match(type_token, data.params.zones.global_type_prefixes)

regional(type_token) if {
	not global(type_token)
	not startswith(type_token, "kubernetes:")
}

region_unknown(res) if res.region == data.lib.inventory.unknown_value

region_unknown(res) if inv.is_unknown(res, "region")

region_missing(res) if not is_string(object.get(res, "region", null))

region_missing(res) if res.region == ""

region_known(res) if {
	not region_unknown(res)
	not region_missing(res)
}

out_of_zone(res, regions) if {
	region_known(res)
	not object.get(res, "region", null) in regions
}

# RES-001, RES-002 and RES-004 visit every regional resource of the plan, so the work per
# resource is one set lookup: the full region checks run only on the few resources whose region
# is not a zone region, or whose region input is flagged unknown. Rules, not functions, so that
# each collection is built once per evaluation (function results are not cached).
zone_region_set := {region | some region in zone_regions(input.declared)}

# The plan's types whose region RES-001 and RES-002 (regional types but evidence stores) or
# RES-004 (evidence stores) judge; the lists below keep the type so each rule takes its own.
zoned_types := [type_token |
	input.by_type[type_token]
	zoned(type_token)
]

zoned(type_token) if {
	regional(type_token)
	not type_token in evidence_types
}

zoned(type_token) if type_token in evidence_types

# [type, resource] of judged resources of those types whose region is not a zone region
# (missing, unknown or out of zone).
outside_zone := [[type_token, res] |
	some type_token in zoned_types
	some i in input.by_type[type_token]
	res := input.resources[i]
	not res.region in zone_region_set
	inv.judged(res)
]

# [type, resource] of judged resources of those types whose region input is unknown
# (inv.is_unknown's two forms, written out: a call per resource costs more than the lookup).
region_input_unknown := array.concat(
	[[type_token, res] |
		some type_token in zoned_types
		some i in input.by_type[type_token]
		res := input.resources[i]
		"region" in res.unknowns
		inv.judged(res)
	],
	[[type_token, res] |
		some type_token in zoned_types
		some i in input.by_type[type_token]
		res := input.resources[i]
		res.props.region == data.lib.inventory.unknown_value
		inv.judged(res)
	],
)

# Every resource whose region is not known is in one of the two lists.
region_unresolved := array.concat(outside_zone, region_input_unknown)

# [resource, pod spec, pod spec path] of every workload that runs a model server, whatever its
# kind and labels (data.lib.workloads judges what it runs).
model_servers := data.lib.workloads.model_servers

# Where a workload keeps its pod template's metadata (annotations): beside the pod spec
# (spec.template.metadata), or a bare Pod's own metadata.
pod_metadata_path(spec_path) := concat("", [trim_suffix(spec_path, "spec"), "metadata"])

# The distinct [kind, containers] lists of the model servers' pod specs. Servers share them
# (tracks of a model, copies of a stack) and the engine compares whole lists natively, which
# costs far less than visiting every server's containers in Rego. The container rules
# first judge these lists and visit the servers themselves only when one fails.
server_containers := {[kind, containers] |
	some [_, spec, _] in model_servers
	some kind in ["initContainers", "containers"]
	containers := object.get(spec, kind, [])
}

# -- S3 replication (RES-003, the data-flow view) --------------------------------------------

replication_type := "aws:s3/bucketReplicationConfig:BucketReplicationConfig"

_bucket_name_of_arn(arn) := trim_prefix(split(arn, "/")[0], "arn:aws:s3:::") if {
	is_string(arn)
	startswith(arn, "arn:aws:s3:::")
}

# The stack's buckets a replication destination names: by ARN when known, else through the
# rule's property dependencies (a new bucket's ARN is unknown until apply).
destinations(doc, _, dest) := {b |
	some t in bucket_types
	some b in inv.resources(doc, t)
	object.get(b.props, "bucket", "") == name
} if {
	name := _bucket_name_of_arn(dest)
}

destinations(doc, res, dest) := {b |
	some t in bucket_types
	some b in inv.resources(doc, t)
	b.urn in targets
} if {
	dest == inv.unknown_value
	source := {u | some u in object.get(res.deps, "bucket", [])}
	targets := {u | some u in object.get(res.deps, "rules", []); not u in source}
}

resolved(doc, res, dest) if count(destinations(doc, res, dest)) > 0

replication_rules(doc) := [[res, dest] |
	some res in inv.resources(doc, replication_type)
	rule_list := object.get(res.props, "rules", [])
	rule := rule_list[_]
	dest := object.get(rule, ["destination", "bucket"], null)
]

# -- model weights (RES-005, the data-flow view) --------------------------------------------

# Something shaped like an AWS region name inside a bucket name or argument.
_region_token := concat("", [
	`(us|eu|ap|ca|sa|me|af|il|mx)(-gov|-iso[a-z]*)?-(north|south|east|west|`,
	`central|northeast|southeast|northwest|southwest)-[0-9]+`,
])

url_pattern := `[a-z][a-z0-9+.-]*://[^\s"',]+`

# Every URL-looking string a model server names its weights with, as [path, value].
weight_references(res, spec, spec_path) := array.concat(
	[[path, value] |
		some path in {"metadata.annotations", concat(".", [pod_metadata_path(spec_path), "annotations"])}
		value := object.get(res.props, array.concat(split(path, "."), ["servegate.io/model-source"]), null)
		is_string(value)
	],
	[[path, value] |
		some kind in ["initContainers", "containers"]
		containers := object.get(spec, kind, [])
		some i in numbers.range(0, count(containers) - 1)
		some field in ["command", "args"]
		values := object.get(containers[i], field, [])
		some j in numbers.range(0, count(values) - 1)
		value := values[j]
		is_string(value)
		contains(value, "://")
		path := concat(".", [spec_path, kind, format_int(i, 10), field, format_int(j, 10)])
	],
)

_bucket_of_s3_url(url) := split(trim_prefix(url, "s3://"), "/")[0]

_stack_bucket_names := {n |
	some t in bucket_types
	some b in inv.resources(input, t)
	n := object.get(b.props, "bucket", "")
	is_string(n)
	n != inv.unknown_value
}

# Why a weights URL is not allowed on an air-gapped stack; undefined when it is allowed.
weights_problem(url, _) := "needs the internet" if {
	some scheme in ["hf://", "http://", "https://"]
	startswith(url, scheme)
}

weights_problem(url, _) := "uses a scheme other than s3:// or pvc://" if {
	not startswith(url, "s3://")
	not startswith(url, "pvc://")
	not startswith(url, "hf://")
	not startswith(url, "http://")
	not startswith(url, "https://")
}

weights_problem(url, regions) := "names a bucket outside the zone" if {
	startswith(url, "s3://")
	bucket := _bucket_of_s3_url(url)
	some token in regex.find_n(_region_token, bucket, -1)
	not token in regions
	not bucket in _stack_bucket_names
}
