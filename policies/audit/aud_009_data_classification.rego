# AUD-009: The data classification is one of the known classes.
package audit

import data.lib.audit as audit_lib
import data.lib.inventory as inv
import rego.v1

_misclassified_tags := {tags |
	declared := audit_lib.classification_of(input.declared)
	some tags in data.lib.audit.tag_values
	is_object(tags)
	value := object.get(tags, data.lib.audit.classification_tag, declared)
	value != declared
	is_string(value)
	not value in {"", data.lib.inventory.unknown_value}
	not _classification_allowed(value)
}

_classification_allowed(value) if value in data.params.classifications.order

_classification_text := concat(", ", data.params.classifications.order)

# METADATA
# title: The data classification is one of the known classes
# description: Retention minimums and handling rules are keyed by classification; an
#   unrecognised value means nobody knows which rules the data falls under.
# custom:
#   id: AUD-009
#   area: audit
#   severity: medium
#   enforcement: mandatory
#   scope: resource
#   resource_types: ["aws:*"]
#   parameters: [classifications.order]
#   remediation: Set the data-classification tag to one of the classes in policies/data/tags.yaml.
deny contains v if {
	declared := audit_lib.classification_of(input.declared)
	declared != ""
	not _classification_allowed(declared)
	v := inv.violation(
		"AUD-009", inv.stack_resource(input),
		concat("", ["the stack declares data-classification ", inv.quoted(declared), "; allowed: ", _classification_text]),
		"declared.tags.data-classification", declared,
	)
}

# A resource inheriting the stack's invalid value is covered by the stack-level finding.
deny contains v if {
	some res in audit_lib.resources_tagged(_misclassified_tags)
	value := res.tags[data.lib.audit.classification_tag]
	v := inv.violation(
		"AUD-009", res,
		concat("", [res.name, " has data-classification ", inv.quoted(value), "; allowed: ", _classification_text]),
		"tags.data-classification", value,
	)
}
