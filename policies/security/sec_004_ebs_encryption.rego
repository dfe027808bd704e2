# SEC-004: EBS volumes are encrypted with a KMS key.
package security

import data.lib.inventory as inv
import rego.v1

_ebs_mappings(template) := [[i, mapping.ebs] |
	mappings := object.get(template.props, "blockDeviceMappings", [])
	mapping := mappings[i]
	is_object(object.get(mapping, "ebs", null))
]

# The EBS settings of every distinct block device mapping list: launch templates share them,
# so SEC-004 judges each once and visits the templates only when one fails.
_distinct_ebs := {ebs |
	some mappings in {object.get(template.props, "blockDeviceMappings", []) |
		some template in inv.resources(input, data.lib.security.launch_template_type)
	}
	mapping := mappings[_]
	ebs := object.get(mapping, "ebs", null)
	is_object(ebs)
}

_unencrypted_ebs if {
	some ebs in _distinct_ebs
	not inv.truthy(object.get(ebs, "encrypted", false))
}

_keyless_ebs if {
	some ebs in _distinct_ebs
	not inv.is_present(object.get(ebs, "kmsKeyId", null))
}

# METADATA
# title: EBS volumes are encrypted with a KMS key
# description: Node volumes cache model weights and may hold request data; KMS encryption keeps
#   snapshots and detached volumes unreadable without the key.
# custom:
#   id: SEC-004
#   area: security
#   severity: high
#   enforcement: mandatory
#   scope: resource
#   resource_types: ["aws:ec2/launchTemplate:LaunchTemplate", "aws:ebs/volume:Volume"]
#   parameters: []
#   remediation: Set ebs.encrypted "true" and ebs.kmsKeyId on every block device mapping of the
#     launch template, and encrypted=True with kms_key_id on aws.ebs.Volume.
deny contains v if {
	_unencrypted_ebs
	some template in inv.resources(input, data.lib.security.launch_template_type)
	some mapping in _ebs_mappings(template)
	not inv.truthy(object.get(mapping[1], "encrypted", false))
	path := concat(".", ["blockDeviceMappings", format_int(mapping[0], 10), "ebs.encrypted"])
	not inv.is_unknown(template, path)
	v := inv.violation(
		"SEC-004", template,
		concat("", ["launch template ", template.name, " has an unencrypted EBS volume; ebs.encrypted must be true"]),
		path, object.get(mapping[1], "encrypted", null),
	)
}

deny contains v if {
	_keyless_ebs
	some template in inv.resources(input, data.lib.security.launch_template_type)
	some mapping in _ebs_mappings(template)
	not inv.is_present(object.get(mapping[1], "kmsKeyId", null))
	path := concat(".", ["blockDeviceMappings", format_int(mapping[0], 10), "ebs.kmsKeyId"])
	not path in object.get(template, "unknowns", [])
	v := inv.violation(
		"SEC-004", template,
		concat("", ["launch template ", template.name, " has an EBS volume without a KMS key; set ebs.kmsKeyId"]),
		path, null,
	)
}

deny contains v if {
	some template in inv.resources(input, data.lib.security.launch_template_type)
	some mapping in _ebs_mappings(template)
	path := concat(".", ["blockDeviceMappings", format_int(mapping[0], 10), "ebs.encrypted"])
	inv.is_unknown(template, path)
	v := inv.undecided("SEC-004", template, path)
}

deny contains v if {
	some volume in inv.resources(input, "aws:ebs/volume:Volume")
	not inv.is_unknown(volume, "encrypted")
	not inv.truthy(inv.prop(volume, "encrypted"))
	v := inv.violation(
		"SEC-004", volume,
		concat("", ["EBS volume ", volume.name, " is not encrypted; encrypted must be true"]),
		"encrypted", inv.prop(volume, "encrypted"),
	)
}

deny contains v if {
	some volume in inv.resources(input, "aws:ebs/volume:Volume")
	not inv.has_value(volume, "kmsKeyId")
	v := inv.violation(
		"SEC-004", volume,
		concat("", ["EBS volume ", volume.name, " has no KMS key; set kmsKeyId"]),
		"kmsKeyId", null,
	)
}

deny contains v if {
	some volume in inv.resources(input, "aws:ebs/volume:Volume")
	inv.is_unknown(volume, "encrypted")
	v := inv.undecided("SEC-004", volume, "encrypted")
}
