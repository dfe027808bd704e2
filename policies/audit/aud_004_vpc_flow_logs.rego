# AUD-004: Every VPC has a flow log.
package audit

import data.lib.inventory as inv
import rego.v1

_flow_logged_vpcs := {urn |
	some flow_log in inv.resources(input, "aws:ec2/flowLog:FlowLog")
	some urn in inv.dep_urns(flow_log, "vpcId")
}

# METADATA
# title: Every VPC has a flow log
# description: Flow logs are the only record of which addresses talked to the model servers and
#   where traffic left the network; they are needed to investigate exfiltration.
# custom:
#   id: AUD-004
#   area: audit
#   severity: medium
#   enforcement: mandatory
#   scope: stack
#   resource_types: ["aws:ec2/vpc:Vpc"]
#   parameters: []
#   remediation: Add an aws.ec2.FlowLog with vpc_id set to the VPC's id (the Network component
#     does this).
deny contains v if {
	some vpc in inv.resources(input, "aws:ec2/vpc:Vpc")
	not vpc.urn in _flow_logged_vpcs
	v := inv.violation(
		"AUD-004", vpc,
		concat("", ["VPC ", vpc.name, " has no flow log; add an aws:ec2/flowLog:FlowLog whose vpcId is this VPC"]),
		"flowLog", null,
	)
}
