# METADATA
# title: Inventory helpers
# description: Shared lookups over the normalized inventory (DESIGN.md). Every helper takes
#   the inventory as an argument so rules stay testable with small inputs.
package lib.inventory

import rego.v1

# The sentinel Pulumi uses for values not known until apply.
unknown_value := "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

# Resources of one type, visited through by_type (no scan of the whole list).
resources(inv, type_token) := [inv.resources[i] |
	some i in object.get(inv.by_type, type_token, [])
	_judged(inv.resources[i])
]

# Resources being deleted are not part of the future state.
_judged(res) if not res.op in {"delete", "delete-replaced", "discard", "discard-replaced", "remove-pending-replace"}

# All judged resources whose type starts with a prefix, e.g. "aws:".
# (regopy rejects `some k, v in` inside comprehensions, hence the key variable.)
resources_with_prefix(inv, prefix) := [inv.resources[i] |
	indexes := inv.by_type[type_token]
	startswith(type_token, prefix)
	some i in indexes
	_judged(inv.resources[i])
]

# Resource by URN (callers pass an index from urn_index for speed).
urn_index(inv) := {res.urn: res | some res in inv.resources}

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

# Truthy for booleans and for the strings Pulumi sometimes carries.
truthy(value) if value == true

truthy(value) if lower(sprintf("%v", [value])) == "true"

# The stack's root URN, for stack-level findings.
stack_urn(inv) := object.get(inv.stack, "urn", sprintf("urn:pulumi:%s::%s::pulumi:pulumi:Stack::%s-%s", [inv.stack.name, inv.stack.project, inv.stack.project, inv.stack.name]))

# A violation object as the gate reads it.
violation(rule_id, res, message, path, value) := {
	"rule_id": rule_id,
	"urn": res.urn,
	"type": res.type,
	"message": message,
	"path": path,
	"value": value,
}

# An undecided result: the rule needed a value that is unknown until apply.
undecided(rule_id, res, path) := {
	"rule_id": rule_id,
	"urn": res.urn,
	"type": res.type,
	"message": sprintf("%s cannot be judged: %s is unknown until apply", [rule_id, path]),
	"path": path,
	"value": null,
	"undecided": true,
}

# -- audit & security helpers ------------------------------------------------------------------

# A property by dotted path ("vpcConfig.publicAccessCidrs"), or null when absent.
prop(res, path) := object.get(res.props, split(path, "."), null)

# Present and non-empty. The unknown sentinel counts as set: the property will hold a value
# at apply (typically another new resource's ARN), so presence checks decide in a preview.
is_set(value) if {
	value != null
	value != ""
	value != []
	value != {}
}

has_value(res, path) if is_set(prop(res, path))

has_value(res, path) if path in object.get(res, "unknowns", [])

# The URNs a resource's input property depends on (deps.<key>).
dep_urns(res, key) := object.get(res, ["deps", key], [])

# The S3 default-encryption resource types (v7 keeps the V2 name as a deprecated alias).
sse_config_types := {
	"aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
	"aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
}

_sse_algorithms(config) := [object.get(rule, ["applyServerSideEncryptionByDefault", "sseAlgorithm"], "") |
	some rule in object.get(config.props, "rules", [])
]

# URNs of the S3 buckets whose default encryption (a separate
# BucketServerSideEncryptionConfiguration, joined on deps.bucket) uses a KMS key.
sse_kms_buckets(inv) := {urn |
	some type_token in sse_config_types
	some config in resources(inv, type_token)
	some algorithm in _sse_algorithms(config)
	algorithm in {"aws:kms", "aws:kms:dsse"}
	some urn in dep_urns(config, "bucket")
}

# URNs of the S3 buckets whose default encryption algorithm is unknown until apply.
sse_unknown_buckets(inv) := {urn |
	some type_token in sse_config_types
	some config in resources(inv, type_token)
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

# [resource, pod spec, pod spec path] for every workload.
workload_pod_specs(inv) := [[res, spec, base] |
	some type_token in object.keys(workload_pod_spec_paths)
	base := workload_pod_spec_paths[type_token]
	some res in resources(inv, type_token)
	spec := object.get(res.props, split(base, "."), {})
]

# An EKS node group's Kubernetes label (node groups keep labels at the top level).
node_group_label(res, key) := object.get(res.props, ["labels", key], "")

# GPU node groups: labelled so by GpuNodePool, or running an NVIDIA AMI whatever the label.
gpu_node_groups(inv) := [res |
	some res in resources(inv, "aws:eks/nodeGroup:NodeGroup")
	_gpu_node_group(res)
]

_gpu_node_group(res) if node_group_label(res, "servegate.io/role") == "gpu"

_gpu_node_group(res) if contains(object.get(res.props, "amiType", ""), "NVIDIA")
