# SEC-007: the rule's cases, on the builders of security_test.rego.
package security_test

import data.lib.test_kit as kit
import rego.v1

test_sec_007_world_open_https_and_vpc_rules_pass if {
	count(kit.fired(_deny(_inventory({})), "SEC-007")) == 0
}

test_sec_007_world_open_ssh_denied if {
	rule := kit.resource(
		"aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
		"ssh",
		{"cidrIpv4": "0.0.0.0/0", "ipProtocol": "tcp", "fromPort": 22, "toPort": 22},
	)
	kit.only_on(_deny(_inventory({"ssh": rule})), "SEC-007", {rule.urn})
}

test_sec_007_port_range_around_443_denied if {
	rule := kit.with_props(_https_rule, {"fromPort": 0, "toPort": 65535})
	kit.only_on(_deny(_inventory({"https_rule": rule})), "SEC-007", {rule.urn})
}

test_sec_007_all_protocols_on_ipv6_denied if {
	rule := kit.resource(
		"aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
		"any6",
		{"cidrIpv6": "::/0", "ipProtocol": "-1"},
	)
	kit.only_on(_deny(_inventory({"any6": rule})), "SEC-007", {rule.urn})
}

test_sec_007_inline_ingress_denied if {
	group := kit.resource("aws:ec2/securityGroup:SecurityGroup", "legacy", {"ingress": [
		{"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"]},
		{"protocol": "tcp", "fromPort": 8000, "toPort": 8000, "cidrBlocks": ["0.0.0.0/0"]},
	]})
	denies := _deny(_inventory({"legacy": group}))
	kit.only_on(denies, "SEC-007", {group.urn})
	{v.path | some v in denies} == {kit.evidence_path(["ingress", 1, "cidrBlocks"])}
}

test_sec_007_float_ports_from_the_sdk_pass if {
	rule := kit.with_props(_https_rule, {"fromPort": 443.0, "toPort": 443.0})
	count(kit.fired(_deny(_inventory({"https_rule": rule})), "SEC-007")) == 0
}


# SEC-007 undecided CIDR.
test_sec_007_unknown_cidr_undecided if {
	rule := kit.with_fields(_https_rule, {"unknowns": ["cidrIpv4"]})
	denies := _deny(_inventory({"https_rule": rule}))
	kit.undecided(denies, "SEC-007") == {rule.urn}
}

# SEC-007 on aws:ec2/securityGroupRule.
_sec_007_sg_rule(props) := kit.resource("aws:ec2/securityGroupRule:SecurityGroupRule", "legacy-rule", props)

test_sec_007_world_open_security_group_rule_denied if {
	rule := _sec_007_sg_rule({
		"type": "ingress",
		"protocol": "tcp",
		"fromPort": 22,
		"toPort": 22,
		"cidrBlocks": ["0.0.0.0/0"],
	})
	kit.only_on(_deny(_inventory({"sg_rule": rule})), "SEC-007", {rule.urn})
}

test_sec_007_security_group_rule_https_egress_and_vpc_pass if {
	https := _sec_007_sg_rule({
		"type": "ingress",
		"protocol": "tcp",
		"fromPort": 443,
		"toPort": 443,
		"cidrBlocks": ["0.0.0.0/0"],
	})
	egress := kit.with_fields(
		_sec_007_sg_rule({"type": "egress", "protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]}),
		{"name": "egress", "urn": "urn:egress"},
	)
	vpc := kit.with_fields(
		_sec_007_sg_rule({
			"type": "ingress",
			"protocol": "tcp",
			"fromPort": 22,
			"toPort": 22,
			"cidrBlocks": ["10.40.0.0/16"],
		}),
		{"name": "vpc", "urn": "urn:vpc"},
	)
	count(kit.fired(_deny(_inventory({"sg_rule": https, "egress": egress, "vpc": vpc})), "SEC-007")) == 0
}
