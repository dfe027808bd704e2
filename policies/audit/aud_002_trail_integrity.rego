# AUD-002: Trail logs are tamper-evident and encrypted.
package audit

import data.lib.inventory as inv
import rego.v1

# METADATA
# title: Trail logs are tamper-evident and encrypted
# description: Log file validation lets an investigator prove the trail's files were not altered
#   or deleted, and a customer-managed KMS key keeps them readable only by whom the key allows.
# custom:
#   id: AUD-002
#   area: audit
#   severity: high
#   enforcement: mandatory
#   scope: resource
#   resource_types: ["aws:cloudtrail/trail:Trail"]
#   parameters: []
#   remediation: Set enable_log_file_validation=True and kms_key_id to a customer-managed key on
#     the trail.
deny contains v if {
	some trail in inv.resources(input, data.lib.audit.trail_type)
	not inv.is_unknown(trail, "enableLogFileValidation")
	not inv.truthy(inv.prop(trail, "enableLogFileValidation"))
	v := inv.violation(
		"AUD-002", trail,
		concat("", ["trail ", trail.name, " does not validate its log files; enableLogFileValidation must be true"]),
		"enableLogFileValidation", inv.prop(trail, "enableLogFileValidation"),
	)
}

deny contains v if {
	some trail in inv.resources(input, data.lib.audit.trail_type)
	inv.is_unknown(trail, "enableLogFileValidation")
	v := inv.undecided("AUD-002", trail, "enableLogFileValidation")
}

deny contains v if {
	some trail in inv.resources(input, data.lib.audit.trail_type)
	not inv.has_value(trail, "kmsKeyId")
	v := inv.violation(
		"AUD-002", trail,
		concat("", ["trail ", trail.name, " is not encrypted with a KMS key; kmsKeyId must name a customer-managed key"]),
		"kmsKeyId", null,
	)
}
