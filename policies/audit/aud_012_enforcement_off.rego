# AUD-012: the stack config switches off the policy enforcement its own program does on every
# `pulumi up` (`llm-serving:enforcement: off`). Only the offline gate, CI, `servegate up` and
# the CrossGuard pack judge such a stack, and a plain `pulumi up` skips all of them, so every
# gate reports the switch for a reviewer to see.
package audit

import rego.v1

# METADATA
# title: In-program policy enforcement is on
# description: With llm-serving:enforcement set to off, the Pulumi program no longer judges each
#   resource before registering it nor the whole stack before the update, so a plain
#   `pulumi up` on a backend that loads no policy pack deploys whatever the program declares.
# custom:
#   id: AUD-012
#   area: audit
#   severity: high
#   enforcement: mandatory
#   scope: stack
#   resource_types: ["pulumi:pulumi:Stack"]
#   config_key: enforcement
#   parameters: []
#   remediation: Remove llm-serving:enforcement from the stack file (or set it to on); if it must
#     stay off for a while, waive AUD-012 for this stack with a justification and an expiry.
deny contains v if {
	# The full path, not an alias: see aud_010_placeholder_values.rego.
	object.get(input.declared, "enforcement", "on") == "off"
	v := data.lib.inventory.violation(
		"AUD-012", data.lib.inventory.stack_resource(input),
		concat("", [
			"in-program policy enforcement is off (llm-serving:enforcement: off): ",
			"a plain `pulumi up` of this stack registers resources no policy ",
			"judged; remove the key or set it to on",
		]),
		"declared.enforcement", "off",
	)
}
