# METADATA
# title: Cost
# description: The stack's whole monthly cost (GPU and system nodes, EKS control plane, NAT
#   gateways, interface endpoints, load balancers, log storage) against the budget it declares,
#   priced from compliance and FinOps's price table. The estimate is data.lib.cost.
package cost

import rego.v1
