# AUD-010: no stand-in value (an example AWS account id, cost-center "unassigned") is left
# in what the resources carry. `servegate new-stack` writes these where only the stack's
# owner knows the real value; they come from policies/data/placeholders.yaml.
package audit

import data.lib.inventory as inv
import rego.v1

# A property path as a message shows it, e.g. spec.template.spec.containers.0.image.
_path_text(path) := concat(".", [inv.text(part) | some part in path])

# Where in a resource's properties a string contains `needle` (the first such path).
_first_path_with(props, needle) := paths[0] if {
	paths := sort([_path_text(path) |
		walk(props, [path, value])
		is_string(value)
		contains(value, needle)
	])
}

# Where a resource sets tags itself: its own tags, or an AWS provider's default tags. A
# resource inheriting a provider's default tag is reported once, on the provider, which is
# where the value is written.
_tag_sources := [["tags"], ["defaultTags", "tags"]]

# METADATA
# title: No placeholder values are left in the stack
# description: A scaffolded stack carries stand-ins until its owner replaces them. Images and
#   charts from a registry in an example AWS account cannot be pulled, ARNs in an example
#   account point at nothing the stack owns, and costs tagged with a placeholder cost center
#   reach nobody's budget.
# custom:
#   id: AUD-010
#   area: audit
#   severity: low
#   enforcement: advisory
#   scope: resource
#   parameters: [placeholders.account_ids, placeholders.tag_values]
#   controls: ["seed checklist: asset inventory and ownership"]
#   remediation: Replace the example account id in the stack file (registry.images,
#     registry.charts, any ARN) with the stack's AWS account, and set a real value for each
#     placeholder tag in llm-serving:tags.
deny contains v if {
	some res in input.resources
	object.get(res, "custom", true) != false
	inv.judged(res)
	text := json.marshal(object.get(res, "props", {}))
	some account in data.params.placeholders.account_ids
	contains(text, account)
	path := _first_path_with(res.props, account)
	v := inv.violation(
		"AUD-010", res,
		concat("", [res.name, " carries the example AWS account id ", account, " at ", path, "; replace it with the stack's own account"]),
		path, account,
	)
}

deny contains v if {
	some res in input.resources
	object.get(res, "custom", true) != false
	inv.judged(res)
	some source in _tag_sources
	tags := object.get(res, array.concat(["props"], source), {})
	is_object(tags)
	some key, placeholders in data.params.placeholders.tag_values
	value := object.get(tags, key, "")
	value in placeholders
	path := concat(".", array.concat(source, [key]))
	v := inv.violation(
		"AUD-010", res,
		concat("", [res.name, " has the placeholder tag ", key, "=", inv.quoted(value), " (", path, "); set the real value in llm-serving:tags"]),
		path, value,
	)
}
