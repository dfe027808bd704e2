# SEC-007: the rule's cases, on the builders of security_test.rego.
package security_test

import data.lib.test_kit as kit
import rego.v1

test_sec_007_world_open_https_and_vpc_rules_pass if {
	count(kit.fired(_deny(_inventory({})), "SEC-007")) == 0
}

test_sec_007_world_open_ssh_denied if {
	rule := kit.resource("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "ssh", {"cidrIpv4": "0.0.0.0/0", "ipProtocol": "tcp", "fromPort": 22, "toPort": 22})
	kit.only_on(_deny(_inventory({"ssh": rule})), "SEC-007", {rule.urn})
}

test_sec_007_port_range_around_443_denied if {
	rule := kit.with_props(_https_rule, {"fromPort": 0, "toPort": 65535})
	kit.only_on(_deny(_inventory({"https_rule": rule})), "SEC-007", {rule.urn})
}

test_sec_007_all_protocols_on_ipv6_denied if {
	rule := kit.resource("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "any6", {"cidrIpv6": "::/0", "ipProtocol": "-1"})
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
