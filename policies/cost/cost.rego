# METADATA
# title: Cost
# description: The stack's whole monthly cost (GPU and system nodes, EKS control plane, NAT
#   gateways, interface endpoints, load balancers, log storage) against the budget it declares,
#   priced from compliance and FinOps's price table. The estimate is data.lib.cost.
package cost

import data.lib.cost as estimate
import data.lib.inventory as inv
import rego.v1

_budget(declared) := declared.budget.monthlyUsd if is_number(declared.budget.monthlyUsd)

# Amounts as text with two decimals, from whole cents: the engines format floats differently.
_usd_cents(cents) := concat("", [format_int(floor(cents / 100), 10), ".", substring(format_int(100 + (cents % 100), 10), 1, 2)])

_usd(amount) := _usd_cents(estimate.cents(amount))

# "GPU nodes 29389.80, system nodes 156.22, ...": what the maximum is made of.
_drivers := concat(", ", [concat(" ", [estimate.kind_titles[kind], _usd_cents(amount)]) |
	some kind in estimate.kinds
	amount := estimate.by_kind[kind][1]
	amount > 0
])

# METADATA
# title: The whole monthly cost at full scale stays within the budget
# description: If every pool scaled to its maximum, the monthly bill (GPU and system nodes, the
#   EKS control plane at its support tier, NAT gateways, interface endpoints per Availability
#   Zone, load balancers and the stated log storage) must still fit the budget the stack declares.
# custom:
#   id: COST-001
#   area: cost
#   severity: high
#   enforcement: mandatory
#   scope: stack
#   config_key: budget.monthlyUsd
#   applies_when: declared.budget.monthlyUsd
#   not_applicable: no budget declared
#   parameters: [prices.hours_per_month, prices.ec2_on_demand, prices.eks_control_plane, prices.nat_gateway, prices.interface_endpoint, prices.load_balancer, prices.cloudwatch_logs, prices.s3_storage, prices.assumptions]
#   remediation: Lower GPU pools' maxSize or choose cheaper instance types, run a Kubernetes version
#     in standard support, drop unneeded endpoints or NAT gateways, or have the budget raised
#     (budget.monthlyUsd) by its owner.
deny contains v if {
	budget := _budget(input.declared)
	estimate.max_cents > estimate.cents(budget)
	v := inv.violation_with_limit(
		"COST-001", inv.stack_resource(input),
		concat("", [
			"estimated monthly cost at maximum scale is ", _usd_cents(estimate.max_cents),
			" USD (", _drivers, "), over the declared budget of ", _usd(budget), " USD",
		]),
		"estimate.monthlyUsd.max", estimate.max_cents / 100,
		"declared.budget.monthlyUsd", budget,
	)
}

deny contains v if {
	_budget(input.declared)
	some entry in estimate.undecided
	v := inv.undecided("COST-001", entry.res, entry.path)
}

# METADATA
# title: Every priced resource has a price for its region
# description: A node group, cluster, NAT gateway, interface endpoint, load balancer, log group or
#   bucket the price table cannot price is left out of the cost estimate, so the budget check must
#   say so instead of passing silently.
# custom:
#   id: COST-002
#   area: cost
#   severity: medium
#   enforcement: advisory
#   scope: resource
#   parameters: [prices.ec2_on_demand, prices.eks_control_plane, prices.nat_gateway, prices.interface_endpoint, prices.load_balancer, prices.cloudwatch_logs, prices.s3_storage]
#   remediation: Add the missing price for the region to policies/data/prices.yaml (owned by
#     FinOps), with its source and date, or use a priced instance type or region.
deny contains v if {
	some entry in estimate.unpriced
	v := inv.violation(
		"COST-002", entry.res,
		concat("", [
			estimate.kind_titles[entry.kind], ": ", entry.res.name, " in region ", inv.text(entry.region),
			" has no price in policies/data/prices.yaml (", entry.missing, "); the cost estimate leaves it out",
		]),
		entry.path, entry.value,
	)
}

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
#   applies_when: "declared.budget.monthlyUsd == null"
#   not_applicable: a budget is declared
#   parameters: []
#   remediation: Declare llm-serving:budget with monthlyUsd in the stack's config.
deny contains v if {
	not _budget(input.declared)
	v := inv.violation(
		"COST-003", inv.stack_resource(input),
		"the stack declares no budget (llm-serving:budget.monthlyUsd), so its spending is not checked",
		"declared.budget", object.get(input.declared, "budget", null),
	)
}
