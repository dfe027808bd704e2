# AUD-008: Taggable AWS resources carry the required tags.
package audit

import data.lib.audit as audit_lib
import data.lib.inventory as inv
import rego.v1

# Tag keys holding a non-empty value (an unknown value will hold one at apply).
_present_tags(tags) := {key | value := tags[key]; is_string(value); value != ""}

_required_tags := {key | some key in data.params.tags.required}

_lacking_tags := {tags |
	some tags in data.lib.audit.tag_values
	is_object(tags)
	count(_required_tags - _present_tags(tags)) > 0
}

_unknown_tags := {tags | some tags in data.lib.audit.tag_values; not is_object(tags)}

# METADATA
# title: Taggable AWS resources carry the required tags
# description: Owner, cost center, data classification and environment tags route incidents and
#   costs to a team and tell responders how sensitive the data on a resource is.
# custom:
#   id: AUD-008
#   area: audit
#   severity: medium
#   enforcement: mandatory
#   scope: resource
#   resource_types: ["aws:*"]
#   parameters: [tags.required, tags.untaggable_types]
#   remediation: Set the missing tags in the stack's llm-serving:tags (they reach every resource
#     through the AWS provider's default tags) or on the resource itself, non-empty.
deny contains v if {
	some res in audit_lib.resources_tagged(_lacking_tags)
	missing := _required_tags - _present_tags(object.get(res, "tags", {}))
	v := inv.violation(
		"AUD-008", res,
		concat("", [
			res.name,
			" lacks required tag(s) ",
			concat(", ", sort(missing)),
			"; every taggable resource needs non-empty ",
			concat(", ", data.params.tags.required),
		]),
		"tags", sort(missing),
	)
}

deny contains v if {
	some res in audit_lib.resources_tagged(_unknown_tags)
	v := inv.undecided("AUD-008", res, "tags")
}
