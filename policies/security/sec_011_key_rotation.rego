# SEC-011: KMS keys rotate yearly.
package security

import data.lib.inventory as inv
import rego.v1

# METADATA
# title: KMS keys rotate yearly
# description: Automatic rotation limits how much data one key version protects; the stack's
#   keys guard secrets, logs and audit evidence for years.
# custom:
#   id: SEC-011
#   area: security
#   severity: low
#   enforcement: advisory
#   scope: resource
#   resource_types: ["aws:kms/key:Key"]
#   parameters: []
#   remediation: Set enable_key_rotation=True on the key.
deny contains v if {
	some key in inv.resources(input, "aws:kms/key:Key")
	not inv.truthy(inv.prop(key, "enableKeyRotation"))
	not inv.is_unknown(key, "enableKeyRotation")
	v := inv.violation(
		"SEC-011", key,
		concat("", ["KMS key ", key.name, " does not rotate; enableKeyRotation should be true"]),
		"enableKeyRotation", inv.prop(key, "enableKeyRotation"),
	)
}

deny contains v if {
	some key in inv.resources(input, "aws:kms/key:Key")
	inv.is_unknown(key, "enableKeyRotation")
	v := inv.undecided("SEC-011", key, "enableKeyRotation")
}
