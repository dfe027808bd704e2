# SEC-006: Log groups are encrypted with a KMS key.
package security

import data.lib.inventory as inv
import rego.v1

_log_group_type := "aws:cloudwatch/logGroup:LogGroup"

# METADATA
# title: Log groups are encrypted with a KMS key
# description: Control-plane, flow and trail logs reveal identities, addresses and request
#   metadata; a customer-managed key limits who can read them.
# custom:
#   id: SEC-006
#   area: security
#   severity: medium
#   enforcement: mandatory
#   scope: resource
#   resource_types: ["aws:cloudwatch/logGroup:LogGroup"]
#   parameters: []
#   remediation: Set kms_key_id on the log group (a key whose policy allows logs.<region>.amazonaws.com).
deny contains v if {
	some group in inv.resources(input, _log_group_type)
	not inv.is_present(object.get(group.props, "kmsKeyId", null))
	not inv.has_value(group, "kmsKeyId")
	v := inv.violation(
		"SEC-006", group,
		concat("", ["log group ", group.name, " is not encrypted with a KMS key; set kmsKeyId"]),
		"kmsKeyId", null,
	)
}
