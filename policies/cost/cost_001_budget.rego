# COST-001: The whole monthly cost at full scale stays within the budget.
package cost

import data.lib.cost as estimate
import data.lib.inventory as inv
import rego.v1

# Amounts as text with two decimals, from whole cents: the engines format floats differently.
_usd_cents(cents) := concat("", [
	format_int(floor(cents / 100), 10),
	".",
	substring(format_int(100 + (cents % 100), 10), 1, 2),
])

_usd(amount) := _usd_cents(estimate.cents(amount))

# "GPU nodes 29389.80, system nodes 156.22, ...": what the maximum is made of.
_drivers := concat(", ", [concat(" ", [data.lib.cost.kind_titles[kind], _usd_cents(amount)]) |
	some kind in data.lib.cost.kinds
	amount := data.lib.cost.by_kind[kind][1]
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
#   resource_types: ["pulumi:pulumi:Stack"]
#   config_key: budget.monthlyUsd
#   applies_when: declared.budget.monthlyUsd
#   not_applicable: no budget declared
#   parameters: [prices.hours_per_month, prices.ec2_on_demand, prices.eks_control_plane, prices.nat_gateway,
#     prices.interface_endpoint, prices.load_balancer, prices.cloudwatch_logs, prices.s3_storage,
#     prices.assumptions]
#   remediation: Lower GPU pools' maxSize or choose cheaper instance types, run a Kubernetes version
#     in standard support, drop unneeded endpoints or NAT gateways, or have the budget raised
#     (budget.monthlyUsd) by its owner.
deny contains v if {
	budget := estimate.budget(input.declared)
	data.lib.cost.max_cents > estimate.cents(budget)
	v := inv.violation_with_limit(
		"COST-001", inv.stack_resource(input),
		concat("", [
			"estimated monthly cost at maximum scale is ", _usd_cents(data.lib.cost.max_cents),
			" USD (", _drivers, "), over the declared budget of ", _usd(budget), " USD",
		]),
		"estimate.monthlyUsd.max", data.lib.cost.max_cents / 100,
		"declared.budget.monthlyUsd", budget,
	)
}

deny contains v if {
	estimate.budget(input.declared)
	some entry in data.lib.cost.undecided
	v := inv.undecided("COST-001", entry.res, entry.path)
}
