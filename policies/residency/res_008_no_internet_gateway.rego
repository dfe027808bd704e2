# RES-008: Air-gapped stacks have no internet gateways.
package residency

import data.lib.inventory as inv
import data.lib.residency as residency_lib
import rego.v1

_egress_gateway_types := {
	"aws:ec2/natGateway:NatGateway",
	"aws:ec2/internetGateway:InternetGateway",
	"aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway",
}

# METADATA
# title: Air-gapped stacks have no internet gateways
# description: A NAT or internet gateway gives the VPC a path to the internet, which an air-gapped
#   stack declares it does not have.
# custom:
#   id: RES-008
#   area: residency
#   severity: critical
#   enforcement: mandatory
#   scope: resource
#   resource_types: ["aws:ec2/natGateway:NatGateway", "aws:ec2/internetGateway:InternetGateway",
#     "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway"]
#   config_key: residency.airGapped
#   applies_when: declared.residency.airGapped
#   not_applicable: not air-gapped
#   parameters: []
#   remediation: Remove the gateway and reach AWS services through VPC endpoints.
deny contains v if {
	residency_lib.air_gapped(input.declared)
	some type_token in _egress_gateway_types
	some res in inv.resources(input, type_token)
	v := inv.violation(
		"RES-008", res,
		concat("", [res.name, " is an internet path (", type_token, "); air-gapped stacks use VPC endpoints only"]),
		"type", type_token,
	)
}
