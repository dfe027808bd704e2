# METADATA
# title: Data residency
# description: Where resources, evidence, model weights, images and traffic may live and go,
#   judged against the stack's declared sovereignty zone and compliance's zone table.
package residency

import data.lib.inventory as inv
import data.lib.inventory.distinct_workload_pod_specs
import data.lib.inventory.unknown_value
import data.lib.inventory.workload_pod_specs
import rego.v1

# Evidence stores, judged by RES-004 (critical) instead of RES-001/RES-002.
_evidence_types := {
	"aws:kms/key:Key",
	"aws:kms/replicaKey:ReplicaKey",
	"aws:kms/replicaExternalKey:ReplicaExternalKey",
	"aws:cloudwatch/logGroup:LogGroup",
	"aws:cloudtrail/trail:Trail",
}

_bucket_types := {"aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"}

_replication_type := "aws:s3/bucketReplicationConfig:BucketReplicationConfig"

_deployment_type := "kubernetes:apps/v1:Deployment"

_helm_types := {"kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart"}

_egress_gateway_types := {
	"aws:ec2/natGateway:NatGateway",
	"aws:ec2/internetGateway:InternetGateway",
	"aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway",
}

_scheme_annotation := "service.beta.kubernetes.io/aws-load-balancer-scheme"

_internal_annotation := "service.beta.kubernetes.io/aws-load-balancer-internal"

_in_cluster_suffix := ".svc.cluster.local"

# ECR hosts: <12-digit account>.dkr.ecr[-fips].<region>.amazonaws.com
_ecr_host := `^(oci://)?[0-9]{12}\.dkr\.ecr(-fips)?\.([a-z0-9-]+)\.amazonaws\.com/`

# Something shaped like an AWS region name inside a bucket name or argument.
_region_token := `(us|eu|ap|ca|sa|me|af|il|mx)(-gov|-iso[a-z]*)?-(north|south|east|west|central|northeast|southeast|northwest|southwest)-[0-9]+`

_url := `[a-z][a-z0-9+.-]*://[^\s"',]+`

# -- declared facts (thresholds never come from here) --------------------------------------

_zone(declared) := object.get(declared, ["residency", "zone"], "")

_zone_regions(declared) := object.get(data.params.zones.zones, _zone(declared), [])

_zone_known(declared) if _zone(declared) in object.keys(data.params.zones.zones)

# Sovereign is the safe default: a stack must opt out explicitly.
_sovereign(declared) if object.get(declared, ["residency", "sovereign"], true) != false

_air_gapped(declared) if inv.truthy(object.get(declared, ["residency", "airGapped"], false))

_allowed_text(declared) := concat(", ", _zone_regions(declared))

# -- regions ---------------------------------------------------------------------------------

_global(type_token) if strings.any_prefix_match(type_token, data.params.zones.global_type_prefixes)

_regional(type_token) if {
	not _global(type_token)
	not startswith(type_token, "kubernetes:")
}

_region_unknown(res) if res.region == unknown_value

_region_unknown(res) if inv.is_unknown(res, "region")

_region_missing(res) if not is_string(object.get(res, "region", null))

_region_missing(res) if res.region == ""

_region_known(res) if {
	not _region_unknown(res)
	not _region_missing(res)
}

_out_of_zone(res, regions) if {
	_region_known(res)
	not res.region in regions
}

# RES-001, RES-002 and RES-004 visit every regional resource of the plan, so the work per
# resource is one set lookup: the full region checks run only on the few resources whose region
# is not a zone region, or whose region input is flagged unknown. Rules, not functions, so that
# each collection is built once per evaluation (function results are not cached).

_zone_region_set := {region | some region in _zone_regions(input.declared)}

# The plan's types whose region RES-001 and RES-002 (regional types but evidence stores) or
# RES-004 (evidence stores) judge; the lists below keep the type so each rule takes its own.
_zoned_types := [type_token |
	input.by_type[type_token]
	_zoned(type_token)
]

_zoned(type_token) if {
	_regional(type_token)
	not type_token in _evidence_types
}

_zoned(type_token) if type_token in _evidence_types

# [type, resource] of judged resources of those types whose region is not a zone region
# (missing, unknown or out of zone).
_outside_zone := [[type_token, res] |
	some type_token in _zoned_types
	some i in input.by_type[type_token]
	res := input.resources[i]
	not res.region in _zone_region_set
	inv.judged(res)
]

# [type, resource] of judged resources of those types whose region input is unknown
# (inv.is_unknown's two forms, written out: a call per resource costs more than the lookup).
_region_input_unknown := array.concat(
	[[type_token, res] |
		some type_token in _zoned_types
		some i in input.by_type[type_token]
		res := input.resources[i]
		"region" in res.unknowns
		inv.judged(res)
	],
	[[type_token, res] |
		some type_token in _zoned_types
		some i in input.by_type[type_token]
		res := input.resources[i]
		res.props.region == unknown_value
		inv.judged(res)
	],
)

# Every resource whose region is not known is in one of the two lists.
_region_unresolved := array.concat(_outside_zone, _region_input_unknown)

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
#   parameters: [zones.zones, zones.global_type_prefixes]
#   remediation: Create the resource in one of the zone's regions (set aws:region or the
#     resource's region), or declare the zone the data is actually allowed to live in.
deny contains v if {
	_zone_known(input.declared)
	some [type_token, res] in _outside_zone
	not type_token in _evidence_types
	object.get(res, "custom", true) != false
	_region_known(res)
	v := inv.violation(
		"RES-001", res,
		concat("", [res.name, " is in region ", inv.text(res.region), ", outside zone ", inv.text(_zone(input.declared)), " (allowed: ", _allowed_text(input.declared), ")"]),
		"region", res.region,
	)
}

deny contains v if {
	not _sovereign(input.declared)
	some [type_token, res] in _region_unresolved
	not type_token in _evidence_types
	object.get(res, "custom", true) != false
	_region_unknown(res)
	v := inv.undecided("RES-001", res, "region")
}

deny contains v if {
	not _zone_known(input.declared)
	v := inv.violation(
		"RES-001", inv.stack_resource(input),
		concat("", ["declared zone ", inv.quoted(_zone(input.declared)), " is not a zone of policies/data/zones.yaml (known: ", concat(", ", sort(object.keys(data.params.zones.zones))), ")"]),
		"declared.residency.zone", _zone(input.declared),
	)
}

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
#   applies_when: "declared.residency.sovereign != false"
#   not_applicable: not sovereign
#   parameters: [zones.global_type_prefixes]
#   remediation: Give the resource (or its AWS provider) an explicit, known region inside the zone.
deny contains v if {
	_sovereign(input.declared)
	some [type_token, res] in _region_unresolved
	startswith(type_token, "aws:")
	not type_token in _evidence_types
	not _region_known(res)
	v := inv.violation(
		"RES-002", res,
		concat("", [res.name, " has no resolvable region on sovereign stack zone ", inv.text(_zone(input.declared)), "; set a region in: ", _allowed_text(input.declared)]),
		"region", object.get(res, "region", null),
	)
}

# -- RES-003 ---------------------------------------------------------------------------------

_bucket_name_of_arn(arn) := trim_prefix(split(arn, "/")[0], "arn:aws:s3:::") if {
	is_string(arn)
	startswith(arn, "arn:aws:s3:::")
}

# The stack's buckets a replication destination names: by ARN when known, else through the
# rule's property dependencies (a new bucket's ARN is unknown until apply).
_destinations(doc, res, dest) := {b |
	some t in _bucket_types
	some b in inv.resources(doc, t)
	object.get(b.props, "bucket", "") == name
} if {
	name := _bucket_name_of_arn(dest)
}

_destinations(doc, res, dest) := {b |
	some t in _bucket_types
	some b in inv.resources(doc, t)
	b.urn in targets
} if {
	dest == unknown_value
	source := {u | some u in object.get(res.deps, "bucket", [])}
	targets := {u | some u in object.get(res.deps, "rules", []); not u in source}
}

_resolved(doc, res, dest) if count(_destinations(doc, res, dest)) > 0

_replication_rules(doc) := [[res, dest] |
	some res in inv.resources(doc, _replication_type)
	some rule in object.get(res.props, "rules", [])
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
#   parameters: [zones.zones]
#   remediation: Replicate only to a bucket this stack creates in one of the zone's regions.
deny contains v if {
	regions := _zone_regions(input.declared)
	some [res, dest] in _replication_rules(input)
	some b in _destinations(input, res, dest)
	_out_of_zone(b, regions)
	v := inv.violation(
		"RES-003", res,
		concat("", [res.name, " replicates to bucket ", b.name, " in region ", inv.text(b.region), ", outside zone ", inv.text(_zone(input.declared)), " (allowed: ", _allowed_text(input.declared), ")"]),
		"rules.destination.bucket", dest,
	)
}

deny contains v if {
	_sovereign(input.declared)
	some [res, dest] in _replication_rules(input)
	not _resolved(input, res, dest)
	v := inv.violation(
		"RES-003", res,
		concat("", [res.name, " replicates to ", inv.text(dest), ", which is not a bucket of this stack; sovereign stacks replicate only to in-zone buckets they create"]),
		"rules.destination.bucket", dest,
	)
}

deny contains v if {
	not _sovereign(input.declared)
	some [res, dest] in _replication_rules(input)
	not _resolved(input, res, dest)
	v := inv.undecided("RES-003", res, "rules.destination.bucket")
}

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
#   parameters: [zones.zones]
#   remediation: Create the key, log group or trail with the stack's AWS provider in a zone region.
deny contains v if {
	regions := _zone_regions(input.declared)
	some [type_token, res] in _outside_zone
	type_token in _evidence_types
	_out_of_zone(res, regions)
	v := inv.violation(
		"RES-004", res,
		concat("", ["evidence store ", res.name, " is in region ", inv.text(res.region), ", outside zone ", inv.text(_zone(input.declared)), " (allowed: ", _allowed_text(input.declared), ")"]),
		"region", res.region,
	)
}

deny contains v if {
	_sovereign(input.declared)
	some [type_token, res] in _region_unresolved
	type_token in _evidence_types
	not _region_known(res)
	v := inv.violation(
		"RES-004", res,
		concat("", ["evidence store ", res.name, " has no resolvable region; it must be provably in zone ", inv.text(_zone(input.declared)), " (allowed: ", _allowed_text(input.declared), ")"]),
		"region", object.get(res, "region", null),
	)
}

deny contains v if {
	not _sovereign(input.declared)
	some [type_token, res] in _region_unresolved
	type_token in _evidence_types
	not _region_known(res)
	v := inv.undecided("RES-004", res, "region")
}

# -- model weights (RES-005, RES-006) ---------------------------------------------------------

_annotations(obj) := object.get(obj, ["metadata", "annotations"], {})

# Computed once per evaluation: function results are not cached, and per-resource function
# calls dominate evaluation time at 10k resources.
_model_servers := [res |
	some res in inv.resources(input, _deployment_type)
	object.get(res.props, ["metadata", "labels", "servegate.io/role"], "") == "model-server"
]

# Every URL-looking string a model server names its weights with, as [path, value].
_weight_references(res) := array.concat(
	[[path, value] |
		some path in ["metadata.annotations", "spec.template.metadata.annotations"]
		value := object.get(res.props, array.concat(split(path, "."), ["servegate.io/model-source"]), null)
		is_string(value)
	],
	[[path, value] |
		some kind in ["initContainers", "containers"]
		containers := object.get(res.props, ["spec", "template", "spec", kind], [])
		some i in numbers.range(0, count(containers) - 1)
		some field in ["command", "args"]
		values := object.get(containers[i], field, [])
		some j in numbers.range(0, count(values) - 1)
		value := values[j]
		is_string(value)
		contains(value, "://")
		path := concat("", ["spec.template.spec.", kind, "[", format_int(i, 10), "].", field, "[", format_int(j, 10), "]"])
	],
)

_urls(text) := regex.find_n(_url, text, -1)

# The distinct [kind, containers] lists of the model servers' pod specs. Servers share them
# (tracks of a model, copies of a stack) and the engine compares whole lists natively, which
# costs far less than visiting every server's containers in Rego. The container rules below
# first judge these lists and visit the servers themselves only when one fails.
_server_containers := {[kind, containers] |
	some res in _model_servers
	some kind in ["initContainers", "containers"]
	containers := object.get(res.props, ["spec", "template", "spec", kind], [])
}

# Every string _weight_references could yield, gathered without building paths (a superset:
# it only decides whether any server needs the full look), each string's URLs judged once.
_weight_strings contains value if {
	some res in _model_servers
	some annotations in [
		object.get(res.props, ["metadata", "annotations"], {}),
		object.get(res.props, ["spec", "template", "metadata", "annotations"], {}),
	]
	value := annotations["servegate.io/model-source"]
	is_string(value)
}

_weight_strings contains value if {
	some [_, containers] in _server_containers
	some container in containers
	some field in ["command", "args"]
	some value in object.get(container, field, [])
	is_string(value)
	contains(value, "://")
}

# The weight strings naming a URL the air-gapped stack may not load from.
_foreign_weight_strings := {value |
	regions := _zone_regions(input.declared)
	some value in _weight_strings
	some url in _urls(value)
	_weights_problem(url, regions)
}

_bucket_of_s3_url(url) := split(trim_prefix(url, "s3://"), "/")[0]

_stack_bucket_names := {n |
	some t in _bucket_types
	some b in inv.resources(input, t)
	n := object.get(b.props, "bucket", "")
	is_string(n)
	n != unknown_value
}

# Why a weights URL is not allowed on an air-gapped stack; undefined when it is allowed.
_weights_problem(url, regions) := "needs the internet" if {
	some scheme in ["hf://", "http://", "https://"]
	startswith(url, scheme)
}

_weights_problem(url, regions) := "uses a scheme other than s3:// or pvc://" if {
	not startswith(url, "s3://")
	not startswith(url, "pvc://")
	not startswith(url, "hf://")
	not startswith(url, "http://")
	not startswith(url, "https://")
}

_weights_problem(url, regions) := "names a bucket outside the zone" if {
	startswith(url, "s3://")
	bucket := _bucket_of_s3_url(url)
	some token in regex.find_n(_region_token, bucket, -1)
	not token in regions
	not bucket in _stack_bucket_names
}

# Some model server's init container copies weights from a region outside the zone.
_fetches_from_foreign_region if {
	regions := _zone_regions(input.declared)
	some [kind, containers] in _server_containers
	kind == "initContainers"
	some container in containers
	args := array.concat(object.get(container, "command", []), object.get(container, "args", []))
	count(_foreign_region_arguments(args, regions)) > 0
}

# `aws s3 sync ... --region X`: the copy is made from region X.
_foreign_region_arguments(args, regions) := {region |
	some i in numbers.range(0, count(args) - 2)
	args[i] == "--region"
	region := args[i + 1]
	not region in regions
} | {region |
	some arg in args
	startswith(arg, "--region=")
	region := trim_prefix(arg, "--region=")
	not region in regions
}

# METADATA
# title: Air-gapped stacks load model weights only from in-zone stores
# description: An air-gapped stack has no internet egress and must not depend on one; weights come
#   from the stack's own S3 buckets or volumes, never from Hugging Face or other URLs.
# custom:
#   id: RES-005
#   area: residency
#   severity: critical
#   enforcement: mandatory
#   scope: stack
#   applies_when: declared.residency.airGapped
#   not_applicable: not air-gapped
#   parameters: [zones.zones]
#   remediation: Mirror the weights into an in-zone S3 bucket of this stack (s3://) or a volume
#     (pvc://) and point the model's source there.
deny contains v if {
	_air_gapped(input.declared)
	count(_foreign_weight_strings) > 0
	regions := _zone_regions(input.declared)
	some res in _model_servers
	some [path, value] in _weight_references(res)
	value in _foreign_weight_strings
	some url in _urls(value)
	problem := _weights_problem(url, regions)
	v := inv.violation(
		"RES-005", res,
		concat("", ["model server ", res.name, " loads weights from ", url, ", which ", problem, "; air-gapped stacks load from in-zone s3:// buckets of this stack or pvc:// volumes"]),
		path, value,
	)
}

deny contains v if {
	_air_gapped(input.declared)
	_fetches_from_foreign_region
	regions := _zone_regions(input.declared)
	some res in _model_servers
	some i, container in object.get(inv.pod_spec(res), "initContainers", [])
	args := array.concat(object.get(container, "command", []), object.get(container, "args", []))
	some region in _foreign_region_arguments(args, regions)
	v := inv.violation(
		"RES-005", res,
		concat("", ["model server ", res.name, " fetches weights from region ", region, ", outside zone ", inv.text(_zone(input.declared)), " (allowed: ", _allowed_text(input.declared), ")"]),
		sprintf("spec.template.spec.initContainers[%d].args", [i]), region,
	)
}

_offline_values := {"1", "true", "yes", "on"}

_offline(container) if {
	some env in object.get(container, "env", [])
	env.name == "HF_HUB_OFFLINE"
	lower(sprintf("%v", [object.get(env, "value", "")])) in _offline_values
}

_some_server_online if {
	some [kind, containers] in _server_containers
	kind == "containers"
	some container in containers
	not _offline(container)
}

# METADATA
# title: Air-gapped model servers run Hugging Face offline
# description: Without HF_HUB_OFFLINE=1 vLLM and the Hugging Face libraries try to reach the Hub
#   for configs and tokenizers, which an air-gapped stack must never do.
# custom:
#   id: RES-006
#   area: residency
#   severity: high
#   enforcement: mandatory
#   scope: resource
#   applies_when: declared.residency.airGapped
#   not_applicable: not air-gapped
#   parameters: []
#   remediation: Set env HF_HUB_OFFLINE=1 on every container of the model server.
deny contains v if {
	_air_gapped(input.declared)
	_some_server_online
	some res in _model_servers
	some i, container in object.get(inv.pod_spec(res), "containers", [])
	not _offline(container)
	v := inv.violation(
		"RES-006", res,
		concat("", ["container ", inv.text(object.get(container, "name", i)), " of model server ", res.name, " does not set HF_HUB_OFFLINE=1, which air-gapped stacks require"]),
		sprintf("spec.template.spec.containers[%d].env", [i]), object.get(container, "env", []),
	)
}

# -- RES-007 ---------------------------------------------------------------------------------

_ecr_region(reference) := match[3] if {
	is_string(reference)
	some match in regex.find_all_string_submatch_n(_ecr_host, reference, 1)
}

_in_zone_registry(reference, regions) if _ecr_region(reference) in regions

_chart_in_zone(props, regions) if {
	startswith(object.get(props, "chart", ""), "oci://")
	_in_zone_registry(props.chart, regions)
}

_chart_in_zone(props, regions) if {
	not contains(object.get(props, "chart", ""), "://")
	_in_zone_registry(object.get(props, ["repositoryOpts", "repo"], ""), regions)
}

# Images and chart sources are shared by many workloads and releases: each distinct one is
# judged once (a regular expression per resource costs more than the rest of the rule).
_foreign_images := {image |
	regions := _zone_regions(input.declared)
	some spec in distinct_workload_pod_specs
	some kind in ["initContainers", "containers"]
	some container in object.get(spec, kind, [])
	image := object.get(container, "image", "")
	not unknown_value == image
	not _in_zone_registry(image, regions)
}

# What _chart_in_zone reads of a release, per distinct release.
_release_charts := {chart |
	some type_token in _helm_types
	some res in inv.resources(input, type_token)
	chart := {
		"chart": object.get(res.props, "chart", ""),
		"repositoryOpts": {"repo": object.get(res.props, ["repositoryOpts", "repo"], "")},
	}
}

_foreign_charts if {
	regions := _zone_regions(input.declared)
	some chart in _release_charts
	not _chart_in_zone(chart, regions)
}

_chart_source(props) := props.chart if contains(object.get(props, "chart", ""), "://")

_chart_source(props) := object.get(props, ["repositoryOpts", "repo"], "<no repository>") if {
	not contains(object.get(props, "chart", ""), "://")
}

# METADATA
# title: Air-gapped stacks pull images and charts only from in-zone registries
# description: An air-gapped cluster cannot reach public registries, and pulling from one outside
#   the zone moves software supply outside the jurisdiction; images and Helm charts come from ECR
#   in a zone region.
# custom:
#   id: RES-007
#   area: residency
#   severity: high
#   enforcement: mandatory
#   scope: resource
#   applies_when: declared.residency.airGapped
#   not_applicable: not air-gapped
#   parameters: [zones.zones]
#   remediation: Mirror the image or chart into ECR in a zone region and reference it there
#     (<account>.dkr.ecr.<region>.amazonaws.com/..., oci:// for charts).
deny contains v if {
	_air_gapped(input.declared)
	regions := _zone_regions(input.declared)
	count(_foreign_images) > 0
	some [res, spec, base] in workload_pod_specs
	some kind in ["initContainers", "containers"]
	some i, container in object.get(spec, kind, [])
	image := object.get(container, "image", "")
	image in _foreign_images
	v := inv.violation(
		"RES-007", res,
		concat("", [res.name, " pulls image ", inv.text(image), ", not from an ECR registry in zone ", inv.text(_zone(input.declared)), " (allowed regions: ", _allowed_text(input.declared), ")"]),
		concat("", [base, ".", kind, "[", format_int(i, 10), "].image"]), image,
	)
}

deny contains v if {
	_air_gapped(input.declared)
	_foreign_charts
	regions := _zone_regions(input.declared)
	some type_token in _helm_types
	some res in inv.resources(input, type_token)
	not _chart_in_zone(res.props, regions)
	source := _chart_source(res.props)
	v := inv.violation(
		"RES-007", res,
		concat("", ["Helm release ", res.name, " takes its chart from ", inv.text(source), ", not from an oci:// ECR registry in zone ", inv.text(_zone(input.declared)), " (allowed regions: ", _allowed_text(input.declared), ")"]),
		"chart", source,
	)
}

# METADATA
# title: Air-gapped stacks have no internet gateways
# description: A NAT or internet gateway gives the VPC a path to the internet, which an air-gapped
#   stack declares it does not have.
# custom:
#   id: RES-008
#   area: residency
#   severity: critical
#   enforcement: mandatory
#   scope: resource
#   applies_when: declared.residency.airGapped
#   not_applicable: not air-gapped
#   parameters: []
#   remediation: Remove the gateway and reach AWS services through VPC endpoints.
deny contains v if {
	_air_gapped(input.declared)
	some type_token in _egress_gateway_types
	some res in inv.resources(input, type_token)
	v := inv.violation(
		"RES-008", res,
		concat("", [res.name, " is an internet path (", type_token, "); air-gapped stacks use VPC endpoints only"]),
		"type", type_token,
	)
}

# -- RES-009 ---------------------------------------------------------------------------------

_internet_facing(annotations, service_type) if annotations[_scheme_annotation] == "internet-facing"

# Without a scheme, the in-tree AWS cloud provider makes LoadBalancer Services public.
_internet_facing(annotations, service_type) if {
	service_type == "LoadBalancer"
	not _scheme_annotation in object.keys(annotations)
	not inv.truthy(object.get(annotations, _internal_annotation, false))
}

_public_load_balancers(doc) := array.concat(
	[[res, "spec.provider.kubernetes.envoyService.annotations", envoy_service] |
		some res in inv.resources(doc, "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy")
		envoy_service := object.get(res.props, ["spec", "provider", "kubernetes", "envoyService"], {})
		_internet_facing(object.get(envoy_service, "annotations", {}), object.get(envoy_service, "type", "LoadBalancer"))
	],
	array.concat(
		[[res, "metadata.annotations", _annotations(res.props)] |
			some res in inv.resources(doc, "kubernetes:core/v1:Service")
			_internet_facing(_annotations(res.props), object.get(res.props, ["spec", "type"], "ClusterIP"))
		],
		[[res, "internal", object.get(res.props, "internal", false)] |
			some res in inv.resources(doc, "aws:lb/loadBalancer:LoadBalancer")
			not inv.truthy(object.get(res.props, "internal", false))
			not inv.is_unknown(res, "internal")
		],
	),
)

# METADATA
# title: The gateway is internal unless declared internet-facing
# description: A public load balancer exposes the models to the internet; that must be a declared
#   decision of the stack, never a default.
# custom:
#   id: RES-009
#   area: residency
#   severity: high
#   enforcement: mandatory
#   scope: resource
#   parameters: []
#   remediation: Annotate the service with aws-load-balancer-scheme internal (or set internal on the
#     load balancer), or declare gateway.internetFacing true for the stack.
deny contains v if {
	not inv.truthy(object.get(input.declared, ["gateway", "internetFacing"], false))
	some [res, path, value] in _public_load_balancers(input)
	v := inv.violation(
		"RES-009", res,
		concat("", [res.name, " is an internet-facing load balancer but the stack does not declare gateway.internetFacing; use scheme internal"]),
		path, value,
	)
}

# -- RES-010 ---------------------------------------------------------------------------------

_backend_type := "kubernetes:gateway.envoyproxy.io/v1alpha1:Backend"

# Envoy AI Gateway v1.x serves AIServiceBackend as v1beta1 and still serves the deprecated
# v1alpha1: both route traffic, so both are judged.
_ai_service_backend_types := [
	"kubernetes:aigateway.envoyproxy.io/v1beta1:AIServiceBackend",
	"kubernetes:aigateway.envoyproxy.io/v1alpha1:AIServiceBackend",
]

_namespace(res) := object.get(res.props, ["metadata", "namespace"], "default")

_external_endpoint(endpoint) := hostname if {
	hostname := endpoint.fqdn.hostname
	not endswith(hostname, _in_cluster_suffix)
}

_external_endpoint(endpoint) := endpoint.ip.address if endpoint.ip.address

_external_backends := {[_namespace(res), object.get(res.props, ["metadata", "name"], res.name)] |
	some res in inv.resources(input, _backend_type)
	some endpoint in object.get(res.props, ["spec", "endpoints"], [])
	_external_endpoint(endpoint)
}

_known_backends := {[_namespace(res), object.get(res.props, ["metadata", "name"], res.name)] |
	some res in inv.resources(input, _backend_type)
}

_backend_ref(res) := [object.get(ref, "namespace", _namespace(res)), ref.name] if {
	ref := object.get(res.props, ["spec", "backendRef"], {})
	# Gateway API's default kind is Service, which is in-cluster by definition.
	object.get(ref, "kind", "Service") == "Backend"
}

# METADATA
# title: Sovereign stacks route only to in-cluster models
# description: A gateway route to an external model API sends prompts and completions outside the
#   zone; sovereign stacks serve only models running in their own cluster.
# custom:
#   id: RES-010
#   area: residency
#   severity: critical
#   enforcement: mandatory
#   scope: stack
#   applies_when: "declared.residency.sovereign != false"
#   not_applicable: not sovereign
#   parameters: []
#   remediation: Point the Backend at an in-cluster Service (<svc>.<ns>.svc.cluster.local) and
#     remove routes to external providers.
deny contains v if {
	_sovereign(input.declared)
	some res in inv.resources(input, _backend_type)
	some i, endpoint in object.get(res.props, ["spec", "endpoints"], [])
	target := _external_endpoint(endpoint)
	v := inv.violation(
		"RES-010", res,
		concat("", ["Backend ", res.name, " sends traffic to ", inv.text(target), " outside the cluster; sovereign stacks route only to *", _in_cluster_suffix, " services"]),
		sprintf("spec.endpoints[%d]", [i]), target,
	)
}

deny contains v if {
	_sovereign(input.declared)
	some backend_type in _ai_service_backend_types
	some res in inv.resources(input, backend_type)
	ref := _backend_ref(res)
	_refers_outside(ref)
	v := inv.violation(
		"RES-010", res,
		concat("", ["AIServiceBackend ", res.name, " routes to Backend ", inv.text(ref[0]), "/", inv.text(ref[1]), ", which is external or not part of this stack; sovereign stacks route only to in-cluster models"]),
		"spec.backendRef", ref,
	)
}

_refers_outside(ref) if ref in _external_backends

_refers_outside(ref) if not ref in _known_backends
