# METADATA
# title: Inventory helpers
# description: Shared lookups over the normalized inventory (docs/design.md). Functions take the
#   inventory or a resource as an argument; collections several rules share are rules over the
#   input, so that each is built once per query (function results are not cached).
package lib.inventory

import rego.v1

# Packages import this package's rules by path (`import data.lib.inventory.unknown_value`) and
# call its functions through an alias (`inv.resources(...)`): regorus resolves a rule reached
# through an alias by evaluating the whole package, its collections over the input included.

# The sentinel Pulumi uses for values not known until apply.
unknown_value := "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

# Resources of one type, visited through by_type (no scan of the whole list).
# The op check is written out: a function call per resource costs more than the lookup. It reads
# op with object.get: `not res.op in S` is true on regorus for a resource without op and false on
# the official OPA engine (the whole negated expression is undefined), which would skip it.
resources(inv, type_token) := [res |
	some i in object.get(inv.by_type, type_token, [])
	res := inv.resources[i]
	not object.get(res, "op", "") in deleting_ops
]

# Ops of resources being deleted: they are not part of the future state.
deleting_ops := {"delete", "delete-replaced", "discard", "discard-replaced", "remove-pending-replace"}

# A resource of the future state. Rules visiting thousands of resources through by_type
# themselves call it last, on the few resources that fail their cheaper checks.
judged(res) if not object.get(res, "op", "") in deleting_ops

# A property value is unknown when it is the sentinel or listed in unknowns.
is_unknown(res, path) if path in object.get(res, "unknowns", [])

is_unknown(res, path) if {
	object.get(res.props, split(path, "."), null) == unknown_value
}

labels(obj) := object.get(obj, ["metadata", "labels"], {})

label(obj, key) := object.get(labels(obj), key, "")

has_role(res, role) if label(res.props, "servegate.io/role") == role

# Kubernetes workloads' pod template spec.
pod_spec(res) := object.get(res.props, ["spec", "template", "spec"], {})

# The largest and the smallest number of a non-empty collection. Not max(), min() or sort() on
# numbers: rego-cpp 1.5.2 orders numbers as text in them (max([9, 100]) is 9 there).
largest(values) := n if {
	some n in values
	every other in values {
		other <= n
	}
}

smallest(values) := n if {
	some n in values
	every other in values {
		other >= n
	}
}

# Truthy for booleans and for the strings Pulumi sometimes carries.
truthy(value) if value == true

truthy(value) if lower(text(value)) == "true"

# Message text. Rules build messages with concat and these helpers, never sprintf or
# json.marshal: rego-cpp's sprintf wraps some strings (a concat result, a function's result) in
# unescaped quotes, does not know %q and prints floats at full binary precision; json.marshal
# escapes differently on each engine (the official OPA engine writes <, >, & and U+2028 as
# \u escapes and keeps an input number's own spelling, 2.0 or 1.5e-07; regorus writes 2 and
# 1.5e-7). These helpers word a value the same on every engine.

# A value as a message shows it: strings as they are, numbers in decimal (whole numbers without
# a fraction, others to at most six decimals), lists, sets and objects one level deep with their
# strings quoted and object keys sorted (rego-cpp keeps insertion order), booleans and null as
# JSON writes them.
text(value) := value if is_string(value)
else := number_text(value) if is_number(value)
else := concat("", ["[", concat(", ", [_item_text(item) | some item in value]), "]"]) if {
	is_array(value)
} else := concat("", ["[", concat(", ", [_item_text(item) | some item in value]), "]"]) if {
	# type_name: this package's own is_set (below) shadows the built-in.
	type_name(value) == "set"
} else := concat("", ["{", concat(", ", [concat(": ", [_item_text(key), _item_text(value[key])]) |
	some key in sort(object.keys(value))
]), "}"]) if {
	is_object(value)
} else := json.marshal(value)

# A number in decimal: 3, 99.95, -0.5; rounded to six decimals (0.0000001 is 0).
number_text(value) := format_int(value, 10) if value == floor(value)
else := concat("", [sign, format_int(whole, 10), _fraction_text(fraction)]) if {
	scaled := round(abs(value) * 1000000)
	whole := floor(scaled / 1000000)
	fraction := scaled - (whole * 1000000)
	sign := _sign(value, scaled)
}

_sign(value, scaled) := "-" if {
	value < 0
	scaled != 0
} else := ""

_fraction_text(fraction) := "" if fraction == 0
else := concat("", [".", trim_right(substring(format_int(1000000 + fraction, 10), 1, 6), "0")])

# An element inside a list or object: strings quoted, nested collections elided.
_item_text(item) := concat("", ["\"", item, "\""]) if is_string(item)
else := number_text(item) if is_number(item)
else := "[...]" if is_array(item)
else := "[...]" if type_name(item) == "set"
else := "{...}" if is_object(item)
else := json.marshal(item)

# A string in double quotes, for a value a reader must see exactly (an empty or odd tag value).
quoted(value) := concat("", ["\"", text(value), "\""])

# The stack's root URN, for stack-level findings.
stack_urn(inv) := object.get(
	inv.stack,
	"urn",
	concat("", [
		"urn:pulumi:",
		text(inv.stack.name),
		"::",
		text(inv.stack.project),
		"::pulumi:pulumi:Stack::",
		text(inv.stack.project),
		"-",
		text(inv.stack.name),
	]),
)

# A violation object as the gate reads it.
violation(rule_id, res, message, path, value) := {
	"rule_id": rule_id,
	"urn": res.urn,
	"type": res.type,
	"message": message,
	"path": path,
	"value": value,
}

# A violation of a limit: the value found and, apart, the limit it was judged against
# (evidence.limit in report.json), e.g. a cost estimate and the declared budget.
violation_with_limit(rule_id, res, message, path, value, limit_path, limit) := object.union(
	violation(rule_id, res, message, path, value),
	{"limit": {"path": limit_path, "value": limit}},
)

# An undecided result: the rule needed a value that is unknown until apply.
undecided(rule_id, res, path) := {
	"rule_id": rule_id,
	"urn": res.urn,
	"type": res.type,
	"message": concat("", [rule_id, " cannot be judged: ", path, " is unknown until apply"]),
	"path": path,
	"value": null,
	"undecided": true,
}

# -- audit & security helpers ------------------------------------------------------------------

# Iterating a property: `x := list[_]`, never `some x in list`, where the property may hold
# null or a string (another tool's plan, an unknown value): regorus stops with an error on
# `some .. in` over a non-collection where the official OPA engine yields nothing, while
# indexing yields nothing on both.

# A property by dotted path ("vpcConfig.publicAccessCidrs"), or null when absent.
prop(res, path) := object.get(res.props, split(path, "."), null)

# Present and non-empty. The unknown sentinel counts as set: the property will hold a value
# at apply (typically another new resource's ARN), so presence checks decide in a preview.
is_present(value) if {
	value != null
	value != ""
	value != []
	value != {}
}

has_value(res, path) if is_present(prop(res, path))

has_value(res, path) if path in object.get(res, "unknowns", [])

# The URNs a resource's input property depends on (deps.<key>).
dep_urns(res, key) := object.get(res, ["deps", key], [])

# The S3 default-encryption resource types (v7 keeps the V2 name as a deprecated alias).
sse_config_types := {
	"aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
	"aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
}

_sse_algorithms(config) := [object.get(rule, ["applyServerSideEncryptionByDefault", "sseAlgorithm"], "") |
	rules := object.get(config.props, "rules", [])
	rule := rules[_]
]

# URNs of the S3 buckets whose default encryption (a separate
# BucketServerSideEncryptionConfiguration, joined on deps.bucket) uses a KMS key.
sse_kms_buckets := {urn |
	some type_token in sse_config_types
	some config in resources(input, type_token)
	some algorithm in _sse_algorithms(config)
	algorithm in {"aws:kms", "aws:kms:dsse"}
	some urn in dep_urns(config, "bucket")
}

# URNs of the S3 buckets whose default encryption algorithm is unknown until apply.
sse_unknown_buckets := {urn |
	some type_token in sse_config_types
	some config in resources(input, type_token)
	some algorithm in _sse_algorithms(config)
	algorithm == unknown_value
	some urn in dep_urns(config, "bucket")
}

# -- residency, SLA and cost helpers -------------------------------------------------------------

# The stand-in resource of stack-level findings (a control with no resource of its own).
stack_resource(inv) := {"urn": stack_urn(inv), "type": "pulumi:pulumi:Stack", "name": inv.stack.name}

# Where each workload type keeps its pod spec.
workload_pod_spec_paths := {
	"kubernetes:apps/v1:Deployment": "spec.template.spec",
	"kubernetes:apps/v1:DaemonSet": "spec.template.spec",
	"kubernetes:apps/v1:StatefulSet": "spec.template.spec",
	"kubernetes:batch/v1:Job": "spec.template.spec",
	"kubernetes:batch/v1:CronJob": "spec.jobTemplate.spec.template.spec",
}

# Where any pod-running resource keeps its pod spec: a workload's template, a bare Pod's spec.
pod_spec_path_of(res) := object.get(workload_pod_spec_paths, res.type, "spec")

# The pod spec of a workload or bare Pod, read from the resource itself. A function of the
# resource alone, not a lookup into a rule built from input: under `with input...`, rego-cpp 1.5
# re-evaluates such a rule at every call (a test took 3 s and 2 GB per query).
pod_spec_of(res) := object.get(res.props, split(pod_spec_path_of(res), "."), {})

# [resource, pod spec, pod spec path] for every workload of the input. A rule, not a function:
# several rules of a package share it, and a rule is evaluated once per query.
workload_pod_specs := [[res, spec, base] |
	some type_token in object.keys(workload_pod_spec_paths)
	base := workload_pod_spec_paths[type_token]
	some res in resources(input, type_token)
	spec := object.get(res.props, split(base, "."), {})
]

# The distinct pod specs among them: workloads share specs (replicas of a model, copies of a
# stack) and the engine compares whole specs natively, so rules judging only the spec judge
# these first and visit the workloads only when one fails.
distinct_workload_pod_specs := {spec | some [_, spec, _] in workload_pod_specs}

# An EKS node group's Kubernetes label (node groups keep labels at the top level).
node_group_label(res, key) := object.get(res.props, ["labels", key], "")

# GPU node groups of the input: labelled so by GpuNodePool, or running an NVIDIA AMI whatever
# the label. A rule, not a function: several rules of a package share it.
gpu_node_groups := [res |
	some res in resources(input, "aws:eks/nodeGroup:NodeGroup")
	_gpu_node_group(res)
]

_gpu_node_group(res) if node_group_label(res, "servegate.io/role") == "gpu"

_gpu_node_group(res) if contains(object.get(res.props, "amiType", ""), "NVIDIA")
