# COST-002: Every priced resource has a price for its region.
package cost

import data.lib.inventory as inv
import rego.v1

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
#   resource_types: ["aws:eks/nodeGroup:NodeGroup", "aws:eks/cluster:Cluster",
#     "aws:ec2/natGateway:NatGateway", "aws:ec2/vpcEndpoint:VpcEndpoint",
#     "aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer",
#     "aws:cloudwatch/logGroup:LogGroup", "aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"]
#   parameters: [prices.ec2_on_demand, prices.eks_control_plane, prices.nat_gateway, prices.interface_endpoint,
#     prices.load_balancer, prices.cloudwatch_logs,
#     prices.s3_storage]
#   remediation: Add the missing price for the region to policies/data/prices.yaml (owned by
#     FinOps), with its source and date, or use a priced instance type or region.
deny contains v if {
	some entry in data.lib.cost.unpriced
	v := inv.violation(
		"COST-002", entry.res,
		concat("", [
			data.lib.cost.kind_titles[entry.kind], ": ", entry.res.name, " in region ", inv.text(entry.region),
			" has no price in policies/data/prices.yaml (", entry.missing, "); the cost estimate leaves it out",
		]),
		entry.path, entry.value,
	)
}
