# AUD-005: Log groups keep logs as long as the data classification requires.
package audit

import data.lib.audit as audit_lib
import data.lib.inventory as inv
import rego.v1

_log_group_type := "aws:cloudwatch/logGroup:LogGroup"

_min_log_retention(declared) := audit_lib.minimum(
	data.params.retention.min_log_retention_days,
	audit_lib.classification_of(declared),
)

# 0 or absent means the group never expires, which satisfies any minimum.
_expires(retention) if {
	is_number(retention)
	retention > 0
}

# METADATA
# title: Log groups keep logs as long as the data classification requires
# description: Logs deleted before the retention period of the stack's data classification
#   cannot serve as evidence in an audit or an incident investigation.
# custom:
#   id: AUD-005
#   area: audit
#   severity: high
#   enforcement: mandatory
#   scope: resource
#   resource_types: ["aws:cloudwatch/logGroup:LogGroup"]
#   config_key: audit.logRetentionDays
#   parameters: [retention.min_log_retention_days]
#   remediation: Set retention_in_days on the log group to at least the minimum for the stack's
#     data classification (policies/data/retention.yaml), or 0 to keep logs forever.
deny contains v if {
	minimum := _min_log_retention(input.declared)
	some group in inv.resources(input, _log_group_type)
	retention := inv.prop(group, "retentionInDays")
	_expires(retention)
	retention < minimum
	v := inv.violation(
		"AUD-005", group,
		concat("", [
			"log group ",
			group.name,
			" keeps logs ",
			inv.text(retention),
			" days; data classification ",
			inv.quoted(audit_lib.classification_of(input.declared)),
			" requires at least ",
			inv.text(minimum),
			" days (or 0, never expire)",
		]),
		"retentionInDays", retention,
	)
}

deny contains v if {
	some group in inv.resources(input, _log_group_type)
	inv.is_unknown(group, "retentionInDays")
	v := inv.undecided("AUD-005", group, "retentionInDays")
}
