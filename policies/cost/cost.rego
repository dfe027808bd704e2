# METADATA
# title: Cost
# description: The stack's GPU spending at full scale against the budget it declares, priced from
#   compliance and FinOps's price table.
package cost

import data.lib.inventory as inv
import data.lib.inventory.gpu_node_groups
import data.lib.inventory.unknown_value
import rego.v1

_budget(declared) := declared.budget.monthlyUsd if is_number(declared.budget.monthlyUsd)

# Node groups without their own region run in the stack's region.
_pricing_region(ng, stack) := ng.region if {
	is_string(ng.region)
	ng.region != unknown_value
} else := object.get(stack, "region", "")

_instance_type(ng) := object.get(ng.props, ["instanceTypes", 0], "")

_price(ng, stack) := data.params.gpu_prices.prices[_pricing_region(ng, stack)][_instance_type(ng)]

_max_size(ng) := object.get(ng.props, ["scalingConfig", "maxSize"], 0)

_monthly(ng, stack) := (_max_size(ng) * _price(ng, stack)) * data.params.gpu_prices.hours_per_month

_sized(ng) if not inv.is_unknown(ng, "scalingConfig.maxSize")

# Amounts in cents-exact text and value: the engines format and print floats differently.
_cents(amount) := round(amount * 100)

_usd(amount) := concat("", [format_int(floor(cents / 100), 10), ".", substring(format_int(100 + (cents % 100), 10), 1, 2)]) if {
	cents := _cents(amount)
}

# METADATA
# title: GPU spending at full scale stays within the budget
# description: GPU nodes dominate the cost of self-hosted serving; if every pool scaled to its
#   maximum, the monthly bill must still fit the budget the stack declares.
# custom:
#   id: COST-001
#   area: cost
#   severity: high
#   enforcement: mandatory
#   scope: stack
#   parameters: [gpu_prices.prices, gpu_prices.hours_per_month]
#   remediation: Lower GPU pools' maxSize or choose cheaper instance types, or have the budget
#     raised (budget.monthlyUsd) by its owner.
deny contains v if {
	budget := _budget(input.declared)
	groups := gpu_node_groups
	estimate := sum([cost | some ng in groups; _sized(ng); cost := _monthly(ng, input.stack)])
	estimate > budget
	v := inv.violation(
		"COST-001", inv.stack_resource(input),
		concat("", ["estimated monthly GPU cost at maximum scale is ", _usd(estimate), " USD, over the declared budget of ", _usd(budget), " USD"]),
		"declared.budget.monthlyUsd", _cents(estimate) / 100,
	)
}

deny contains v if {
	_budget(input.declared)
	some ng in gpu_node_groups
	not _sized(ng)
	v := inv.undecided("COST-001", ng, "scalingConfig.maxSize")
}

# METADATA
# title: Every GPU instance type has a price for the stack's region
# description: A node group the price table cannot price is left out of the budget estimate, so
#   the budget check must say so instead of passing silently.
# custom:
#   id: COST-002
#   area: cost
#   severity: medium
#   enforcement: advisory
#   scope: resource
#   parameters: [gpu_prices.prices]
#   remediation: Add the instance type's hourly price for the region to
#     policies/data/gpu_prices.yaml (owned by FinOps), or use a priced instance type.
deny contains v if {
	some ng in gpu_node_groups
	not _price(ng, input.stack)
	type_text := _type_text(ng)
	region := _pricing_region(ng, input.stack)
	v := inv.violation(
		"COST-002", ng,
		concat("", ["GPU node group ", ng.name, " uses instance type ", inv.text(type_text), ", which has no price for region ", inv.text(region), " in policies/data/gpu_prices.yaml; the budget estimate leaves it out"]),
		"instanceTypes", object.get(ng.props, "instanceTypes", null),
	)
}

_type_text(ng) := _instance_type(ng) if _instance_type(ng) != ""

_type_text(ng) := "(none)" if _instance_type(ng) == ""

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
#   parameters: []
#   remediation: Declare llm-serving:budget with monthlyUsd in the stack's config.
deny contains v if {
	not _budget(input.declared)
	v := inv.violation(
		"COST-003", inv.stack_resource(input),
		"the stack declares no budget (llm-serving:budget.monthlyUsd), so its GPU spending is not checked",
		"declared.budget", object.get(input.declared, "budget", null),
	)
}
