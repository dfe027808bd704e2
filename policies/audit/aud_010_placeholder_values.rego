# AUD-010: no stand-in value (an example AWS account id, a placeholder image digest,
# cost-center "unassigned") is left
# in what the resources carry. `servegate new-stack` writes these where only the stack's
# owner knows the real value; they come from policies/data/placeholders.yaml.
package audit

import data.lib.inventory as inv
import rego.v1

# Where in a resource's properties `needle` stands, the first such place: a container's
# image for a workload, else the top-level property holding it. (Walking each flagged
# resource's whole tree cost more than the rest of the audit package on a 10k-resource plan.)
# (`some i; x := xs[i]`, not `some i, x in xs`: rego-cpp rejects the latter inside a
# comprehension and does not enumerate an index that is only a function's argument.)
_place_of(res, needle) := place if {
	# The full path, not inv.: under the tests' `with input...`, regorus 0.13 loses another
	# package's constants reached through an alias.
	base := data.lib.inventory.workload_pod_spec_paths[res.type]
	spec := object.get(res.props, split(base, "."), {})
	places := sort([concat(".", [base, field, format_int(i, 10), "image"]) |
		some field in ["containers", "initContainers"]
		containers := object.get(spec, field, [])
		some i
		container := containers[i]
		contains(object.get(container, "image", ""), needle)
	])
	place := places[0]
} else := place if {
	places := sort([key |
		some key
		value := res.props[key]
		contains(json.marshal(value), needle)
	])
	place := places[0]
}

_placeholder_tag(res, path, key, value) := inv.violation(
	"AUD-010", res,
	concat("", [
		res.name,
		" has the placeholder tag ",
		key,
		"=",
		inv.quoted(value),
		" (",
		path,
		"); set the real value in llm-serving:tags",
	]),
	path, value,
)

# [resource, needle] for every judged resource whose properties carry one of `needles`: each
# resource is serialised once for all of them.
_carrying(resources, needles) := [[res, needle] |
	some res in resources
	text := json.marshal(object.get(res, "props", {}))
	some needle in needles
	contains(text, needle)
	object.get(res, "custom", true) != false
	inv.judged(res)
]

# Images run in workloads and chart releases only: a digest is looked for there.
_image_resources := [res |
	some type_token in _image_types
	some res in inv.resources(input, type_token)
]

_image_types := object.keys(data.lib.inventory.workload_pod_spec_paths) | {
	"kubernetes:core/v1:Pod",
	"kubernetes:helm.sh/v3:Release",
}

# METADATA
# title: No placeholder values are left in the stack
# description: A scaffolded stack carries stand-ins until its owner replaces them. Images and
#   charts from a registry in an example AWS account cannot be pulled, ARNs in an example
#   account point at nothing the stack owns, an image pinned to a placeholder digest is in no
#   registry, and costs tagged with a placeholder cost center reach nobody's budget.
# custom:
#   id: AUD-010
#   area: audit
#   severity: low
#   enforcement: advisory
#   scope: resource
#   resource_types: ["*"]
#   parameters: [placeholders.account_ids, placeholders.image_digests, placeholders.tag_values]
#   remediation: Replace the example account id in the stack file (registry.images,
#     registry.charts, any ARN) with the stack's AWS account, set each image's digest to the
#     one the stack's mirror holds (models[].image), and set a real value for each
#     placeholder tag in llm-serving:tags.
deny contains v if {
	some [res, account] in _carrying(input.resources, data.params.placeholders.account_ids)
	place := _place_of(res, account)
	v := inv.violation(
		"AUD-010", res,
		concat("", [
			res.name,
			" carries the example AWS account id ",
			account,
			" in ",
			place,
			"; replace it with the stack's own account",
		]),
		place, account,
	)
}

deny contains v if {
	some [res, digest] in _carrying(_image_resources, data.params.placeholders.image_digests)
	place := _place_of(res, digest)
	v := inv.violation(
		"AUD-010", res,
		concat("", [
			res.name,
			" pins an image to the placeholder digest ",
			digest,
			" in ",
			place,
			": no registry holds it, so the pods cannot start; set the digest of the image ",
			"the stack's mirror holds (crane digest IMAGE) in the stack file",
		]),
		place, digest,
	)
}

deny contains v if {
	some key, placeholders in data.params.placeholders.tag_values
	some res in input.resources
	value := res.props.tags[key]
	value in placeholders
	object.get(res, "custom", true) != false
	inv.judged(res)
	v := _placeholder_tag(res, concat(".", ["tags", key]), key, value)
}

deny contains v if {
	some key, placeholders in data.params.placeholders.tag_values
	some res in input.resources
	value := res.props.defaultTags.tags[key]
	value in placeholders
	object.get(res, "custom", true) != false
	inv.judged(res)
	v := _placeholder_tag(res, concat(".", ["defaultTags.tags", key]), key, value)
}
