# SEC-007: Nothing but HTTPS is open to the internet.
package security

import data.lib.inventory as inv
import data.lib.security as security_lib
import rego.v1

# The one world-open exception: TCP 443 exactly (the gateway's HTTPS listener).
_https_only(protocol, from_port, to_port) if {
	lower(inv.text(protocol)) in {"tcp", "6"}
	from_port == 443
	to_port == 443
}

_rule_text(protocol, from_port, to_port) := concat("", [
	inv.text(protocol),
	" ports ",
	inv.text(from_port),
	"-",
	inv.text(to_port),
])

_ingress_rule_cidr_paths := ["cidrIpv4", "cidrIpv6"]

# METADATA
# title: Nothing but HTTPS is open to the internet
# description: A world-open port other than the gateway's HTTPS listener exposes a service that
#   has no authentication in front of it (model servers, metrics, SSH) to the whole internet.
# custom:
#   id: SEC-007
#   area: security
#   severity: high
#   enforcement: mandatory
#   scope: resource
#   resource_types: ["aws:ec2/securityGroup:SecurityGroup",
#     "aws:ec2/securityGroupRule:SecurityGroupRule",
#     "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"]
#   parameters: []
#   remediation: Restrict the rule's source to the VPC or known networks; only TCP 443 (from and
#     to port 443) may be open to 0.0.0.0/0 or ::/0.
deny contains v if {
	some rule in inv.resources(input, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
	some path in _ingress_rule_cidr_paths
	cidr := inv.prop(rule, path)
	security_lib.world_open(cidr)
	protocol := inv.prop(rule, "ipProtocol")
	from_port := inv.prop(rule, "fromPort")
	to_port := inv.prop(rule, "toPort")
	not _https_only(protocol, from_port, to_port)
	v := inv.violation(
		"SEC-007", rule,
		concat("", [
			"ingress rule ",
			rule.name,
			" opens ",
			_rule_text(protocol, from_port, to_port),
			" to ",
			inv.text(cidr),
			"; only TCP 443 may be open to the internet",
		]),
		path, cidr,
	)
}

deny contains v if {
	some rule in inv.resources(input, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
	some path in _ingress_rule_cidr_paths
	inv.is_unknown(rule, path)
	v := inv.undecided("SEC-007", rule, path)
}

deny contains v if {
	some rule in inv.resources(input, "aws:ec2/securityGroupRule:SecurityGroupRule")
	inv.prop(rule, "type") == "ingress"
	some field in ["cidrBlocks", "ipv6CidrBlocks"]
	cidr_list := object.get(rule.props, field, [])
	cidr := cidr_list[_]
	security_lib.world_open(cidr)
	protocol := inv.prop(rule, "protocol")
	not _https_only(protocol, inv.prop(rule, "fromPort"), inv.prop(rule, "toPort"))
	v := inv.violation(
		"SEC-007", rule,
		concat("", [
			"security group rule ",
			rule.name,
			" opens ",
			_rule_text(protocol, inv.prop(rule, "fromPort"), inv.prop(rule, "toPort")),
			" to ",
			inv.text(cidr),
			"; only TCP 443 may be open to the internet",
		]),
		field, cidr,
	)
}

deny contains v if {
	some group in inv.resources(input, "aws:ec2/securityGroup:SecurityGroup")
	ingress_list := object.get(group.props, "ingress", [])
	some i
	ingress := ingress_list[i]
	some field in ["cidrBlocks", "ipv6CidrBlocks"]
	cidr_list := object.get(ingress, field, [])
	cidr := cidr_list[_]
	security_lib.world_open(cidr)
	protocol := object.get(ingress, "protocol", null)
	from_port := object.get(ingress, "fromPort", null)
	to_port := object.get(ingress, "toPort", null)
	not _https_only(protocol, from_port, to_port)
	v := inv.violation(
		"SEC-007", group,
		concat("", [
			"security group ",
			group.name,
			" opens ",
			_rule_text(protocol, from_port, to_port),
			" to ",
			inv.text(cidr),
			"; only TCP 443 may be open to the internet",
		]),
		concat(".", ["ingress", format_int(i, 10), field]), cidr,
	)
}
