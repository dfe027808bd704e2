# COST-003: The stack declares a budget.
package cost

import data.lib.cost as estimate
import data.lib.inventory as inv
import rego.v1

# METADATA
# title: The stack declares a budget
# description: Without a declared budget nobody has agreed what the stack may cost, and the
#   spending check has nothing to compare against.
# custom:
#   id: COST-003
#   area: cost
#   severity: low
#   enforcement: advisory
#   scope: stack
#   resource_types: ["pulumi:pulumi:Stack"]
#   config_key: budget
#   applies_when: "declared.budget.monthlyUsd == null"
#   not_applicable: a budget is declared
#   parameters: []
#   remediation: Declare llm-serving:budget with monthlyUsd in the stack's config.
deny contains v if {
	not estimate.budget(input.declared)
	v := inv.violation(
		"COST-003", inv.stack_resource(input),
		"the stack declares no budget (llm-serving:budget.monthlyUsd), so its spending is not checked",
		"declared.budget", object.get(input.declared, "budget", null),
	)
}
