# RES-026: The egress firewall sees every flow of the nodes and passes only its allow-list.
package residency

import data.lib.inventory as inv
import data.lib.residency as residency_lib
import rego.v1

_r026_route_type := "aws:ec2/route:Route"

_r026_route_table_type := "aws:ec2/routeTable:RouteTable"

_r026_association_type := "aws:ec2/routeTableAssociation:RouteTableAssociation"

# Resources that place nodes in subnets, and the property naming the subnets.
_r026_node_subnet_keys := [
	["aws:eks/nodeGroup:NodeGroup", "subnetIds"],
	["aws:eks/fargateProfile:FargateProfile", "subnetIds"],
	["aws:autoscaling/group:Group", "vpcZoneIdentifiers"],
]

# Route targets that reach the internet without passing the firewall's endpoint.
_r026_bypass_targets := ["natGatewayId", "gatewayId", "egressOnlyGatewayId"]

# METADATA
# title: Internet egress passes the Network Firewall, which inspects every flow
# description: An exact allow-list (RES-016) holds only if traffic meets it. In a sovereign
#   stack with an AWS Network Firewall, the firewall policy must hand every packet to the
#   stateful engine (stateless default actions aws:forward_to_sfe, no stateless rule that
#   passes), evaluate in strict order and drop what no rule group allows (an ALLOWLIST domain
#   list drops only unmatched TLS and HTTP; other protocols pass under the default action
#   order), and the route tables of the subnets the nodes run in must send the default route
#   to a firewall endpoint, never straight to a NAT, internet or egress-only gateway.
# custom:
#   id: RES-026
#   area: residency
#   severity: critical
#   enforcement: mandatory
#   scope: stack
#   resource_types: ["aws:networkfirewall/firewallPolicy:FirewallPolicy",
#     "aws:networkfirewall/ruleGroup:RuleGroup", "aws:ec2/route:Route",
#     "aws:ec2/routeTable:RouteTable"]
#   applies_when: "declared.residency.sovereign != false"
#   not_applicable: not sovereign
#   parameters: []
#   remediation: Keep SovereignNetwork's egress firewall as rendered -- stateless defaults
#     aws:forward_to_sfe, STRICT_ORDER with aws:drop_established, and the private subnets'
#     default route to the firewall endpoint of their zone.
deny contains v if {
	residency_lib.sovereign(input.declared)
	policies := _r026_firewall_policy_urns(inv.resources(input, data.lib.traffic.firewall_type))
	some policy in inv.resources(input, data.lib.traffic.firewall_policy_type)
	policy.urn in policies
	some gap in _r026_policy_gaps(object.get(policy.props, "firewallPolicy", {}))
	v := inv.violation(
		"RES-026", policy,
		concat("", ["Network Firewall policy ", policy.name, " ", gap.reason]),
		concat(".", ["firewallPolicy", gap.key]), gap.value,
	)
}

deny contains v if {
	residency_lib.sovereign(input.declared)
	policies := _r026_firewall_policy_urns(inv.resources(input, data.lib.traffic.firewall_type))
	groups := {urn |
		some policy in inv.resources(input, data.lib.traffic.firewall_policy_type)
		policy.urn in policies
		some urn in inv.dep_urns(policy, "firewallPolicy")
	}
	some group in inv.resources(input, data.lib.traffic.rule_group_type)
	group.urn in groups
	object.get(group.props, "type", "") == "STATELESS"
	rules := object.get(group.props, ["ruleGroup", "rulesSource", "statelessRulesAndCustomActions", "statelessRules"], [])
	some k
	rule := rules[k]
	"aws:pass" in object.get(rule, ["ruleDefinition", "actions"], [])
	v := inv.violation(
		"RES-026", group,
		concat("", [
			"stateless rule group ", group.name, " passes packets around the stateful allow-list ",
			"(action aws:pass); forward them to the stateful engine (aws:forward_to_sfe) or drop them",
		]),
		concat(".", [
			"ruleGroup.rulesSource.statelessRulesAndCustomActions.statelessRules",
			format_int(k, 10), "ruleDefinition.actions",
		]),
		"aws:pass",
	)
}

deny contains v if {
	residency_lib.sovereign(input.declared)
	count(inv.resources(input, data.lib.traffic.firewall_type)) > 0
	tables := _r026_node_route_tables(input)
	some route in inv.resources(input, _r026_route_type)
	some table in inv.dep_urns(route, "routeTableId")
	table in tables
	_r026_default_route(
		object.get(route.props, "destinationCidrBlock", ""),
		object.get(route.props, "destinationIpv6CidrBlock", ""),
	)
	some target in _r026_bypass_targets
	_r026_targets(route, route.props, target)
	v := inv.violation(
		"RES-026", route,
		_r026_route_message(route.name, target),
		target, object.get(route.props, target, ""),
	)
}

deny contains v if {
	residency_lib.sovereign(input.declared)
	count(inv.resources(input, data.lib.traffic.firewall_type)) > 0
	tables := _r026_node_route_tables(input)
	some table in inv.resources(input, _r026_route_table_type)
	table.urn in tables
	routes := object.get(table.props, "routes", [])
	some k
	entry := routes[k]
	_r026_default_route(object.get(entry, "cidrBlock", ""), object.get(entry, "ipv6CidrBlock", ""))
	some target in _r026_bypass_targets
	object.get(entry, target, "") != ""
	v := inv.violation(
		"RES-026", table,
		_r026_route_message(table.name, target),
		concat(".", ["routes", format_int(k, 10), target]), entry[target],
	)
}

_r026_firewall_policy_urns(firewalls) := {urn |
	some firewall in firewalls
	some urn in inv.dep_urns(firewall, "firewallPolicyArn")
}

_r026_policy_gaps(firewall_policy) := {gap |
	some key in ["statelessDefaultActions", "statelessFragmentDefaultActions"]
	actions := object.get(firewall_policy, key, [])
	not "aws:forward_to_sfe" in actions
	not "aws:drop" in actions
	gap := {"key": key, "value": actions, "reason": concat("", [
		"passes packets around the stateful allow-list: its ", key, " ", inv.text(actions),
		" do not forward to the stateful engine; set them to [aws:forward_to_sfe]",
	])}
} | {gap |
	order := object.get(firewall_policy, ["statefulEngineOptions", "ruleOrder"], "DEFAULT_ACTION_ORDER")
	order != "STRICT_ORDER"
	gap := {"key": "statefulEngineOptions.ruleOrder", "value": order, "reason": concat("", [
		"evaluates in ", order, ", where flows no rule group names (every protocol but TLS and HTTP) pass; ",
		"use STRICT_ORDER with a drop default action",
	])}
} | {gap |
	object.get(firewall_policy, ["statefulEngineOptions", "ruleOrder"], "") == "STRICT_ORDER"
	actions := object.get(firewall_policy, "statefulDefaultActions", [])
	not _r026_drops(actions)
	gap := {"key": "statefulDefaultActions", "value": actions, "reason": concat("", [
		"passes flows its rule groups do not allow: its statefulDefaultActions ", inv.text(actions),
		" drop nothing; add aws:drop_established (or aws:drop_strict)",
	])}
}

_r026_drops(actions) if "aws:drop_established" in actions

_r026_drops(actions) if "aws:drop_strict" in actions

# The route tables associated with a subnet that nodes run in (joined on the dependencies: IDs
# are unknown in a preview).
_r026_node_route_tables(inventory) := {table |
	subnets := {subnet |
		some [type_token, key] in _r026_node_subnet_keys
		some res in inv.resources(inventory, type_token)
		some subnet in inv.dep_urns(res, key)
	}
	some association in inv.resources(inventory, _r026_association_type)
	some subnet in inv.dep_urns(association, "subnetId")
	subnet in subnets
	some table in inv.dep_urns(association, "routeTableId")
}

_r026_default_route("0.0.0.0/0", _) := true

_r026_default_route(_, "::/0") := true

# The route sends its traffic to `target`: the property is set, or is a resource's output.
_r026_targets(_, props, target) if object.get(props, target, "") != ""

_r026_targets(route, _, target) if count(inv.dep_urns(route, target)) > 0

_r026_route_message(name, target) := concat("", [
	"the default route ", name, " of a subnet the nodes run in goes to its ", target,
	" directly, around the Network Firewall's allow-list; route 0.0.0.0/0 to the firewall endpoint of the zone",
])
