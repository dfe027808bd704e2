# RES-008: the rule's cases, on the builders of residency_test.rego.
package residency_test

import data.lib.test_kit as kit
import rego.v1

test_res_008_nat_gateway_allowed_when_not_air_gapped if {
	nat := kit.resource("aws:ec2/natGateway:NatGateway", "egress", {})
	count(kit.findings(_denials(array.concat(_compliant, [nat]), _open_declared), "RES-008")) == 0
}

test_res_008_nat_gateway_denied_when_air_gapped if {
	nat := kit.resource("aws:ec2/natGateway:NatGateway", "egress", {})
	kit.only(_denials(array.concat(_compliant, [nat]), _declared), "RES-008", nat.urn)
}

test_res_008_internet_gateway_denied_when_air_gapped if {
	igw := kit.resource("aws:ec2/internetGateway:InternetGateway", "igw", {})
	kit.only(_denials(array.concat(_compliant, [igw]), _declared), "RES-008", igw.urn)
}
