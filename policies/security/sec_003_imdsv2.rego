# SEC-003: Nodes require IMDSv2.
package security

import data.lib.inventory as inv
import rego.v1

# METADATA
# title: Nodes require IMDSv2
# description: With IMDSv1 a server-side request forgery in any pod can read the node role's
#   credentials from the instance metadata service; IMDSv2 session tokens block that.
# custom:
#   id: SEC-003
#   area: security
#   severity: high
#   enforcement: mandatory
#   scope: resource
#   resource_types: ["aws:ec2/launchTemplate:LaunchTemplate"]
#   parameters: []
#   remediation: Set metadataOptions.httpTokens to "required" on the launch template.
deny contains v if {
	some template in inv.resources(input, data.lib.security.launch_template_type)
	tokens := inv.prop(template, "metadataOptions.httpTokens")
	tokens != "required"
	not inv.is_unknown(template, "metadataOptions.httpTokens")
	v := inv.violation(
		"SEC-003", template,
		concat("", [
			"launch template ",
			template.name,
			" does not require IMDSv2; metadataOptions.httpTokens must be required",
		]),
		"metadataOptions.httpTokens", tokens,
	)
}

deny contains v if {
	some template in inv.resources(input, data.lib.security.launch_template_type)
	inv.is_unknown(template, "metadataOptions.httpTokens")
	v := inv.undecided("SEC-003", template, "metadataOptions.httpTokens")
}
