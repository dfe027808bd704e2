# AUD-001: A multi-region CloudTrail trail records API activity.
package audit

import data.lib.inventory as inv
import rego.v1

# Recording, not merely declared: a trail whose logging is switched off records nothing.
_multi_region(trail) if {
	inv.truthy(inv.prop(trail, "isMultiRegionTrail"))
	object.get(trail.props, "enableLogging", true) != false
}

_any_multi_region(trails) if {
	some trail in trails
	_multi_region(trail)
}

_any_multi_region_unknown(trails) if {
	some trail in trails
	inv.is_unknown(trail, "isMultiRegionTrail")
}

# METADATA
# title: A multi-region CloudTrail trail records API activity
# description: Without a trail that covers every region there is no record of who changed the
#   serving infrastructure, including calls made in regions the stack does not use.
# custom:
#   id: AUD-001
#   area: audit
#   severity: high
#   enforcement: mandatory
#   scope: stack
#   resource_types: ["aws:cloudtrail/trail:Trail"]
#   parameters: []
#   remediation: Enable the AuditTrail component (an aws.cloudtrail.Trail with
#     is_multi_region_trail=True and logging enabled).
deny contains v if {
	count(inv.resources(input, data.lib.audit.trail_type)) == 0
	v := inv.violation(
		"AUD-001", inv.stack_resource(input),
		"the stack declares no CloudTrail trail; one multi-region trail (aws:cloudtrail/trail:Trail) is required",
		"resources", null,
	)
}

deny contains v if {
	trails := inv.resources(input, data.lib.audit.trail_type)
	not _any_multi_region(trails)
	not _any_multi_region_unknown(trails)
	some trail in trails
	v := inv.violation(
		"AUD-001", trail,
		concat("", ["trail ", trail.name, " does not log all regions; isMultiRegionTrail must be true with logging enabled"]),
		"isMultiRegionTrail", inv.prop(trail, "isMultiRegionTrail"),
	)
}

deny contains v if {
	trails := inv.resources(input, data.lib.audit.trail_type)
	not _any_multi_region(trails)
	some trail in trails
	inv.is_unknown(trail, "isMultiRegionTrail")
	v := inv.undecided("AUD-001", trail, "isMultiRegionTrail")
}
