# RES-026: the rule's cases, on the traffic kit of lib/test_kit.rego.
package residency_test

import data.lib.test_kit as kit
import rego.v1

_t026_group := kit.firewall_rule_group("egress-allow", "ALLOWLIST", ["api.openai.com"])

_t026_policy := kit.firewall_for(_t026_group)[0]

_t026_firewall := kit.firewall_for(_t026_group)[1]

_t026_subnet := kit.resource("aws:ec2/subnet:Subnet", "private-a", {"cidrBlock": "10.0.0.0/19"})

_t026_table := kit.resource("aws:ec2/routeTable:RouteTable", "private-a", {})

_t026_nodes := kit.with_fields(
	kit.resource("aws:eks/nodeGroup:NodeGroup", "gpu", {"subnetIds": ["private-a-id"]}),
	{"deps": {"subnetIds": [_t026_subnet.urn]}},
)

_t026_association := kit.with_fields(
	kit.resource("aws:ec2/routeTableAssociation:RouteTableAssociation", "private-a", {}),
	{"deps": {"subnetId": [_t026_subnet.urn], "routeTableId": [_t026_table.urn]}},
)

_t026_nat := kit.resource("aws:ec2/natGateway:NatGateway", "nat-a", {})

# The default route of `table` to `target` (a property) of the resource `via`.
_t026_route(name, table, target, via) := kit.with_fields(
	kit.resource("aws:ec2/route:Route", name, {"destinationCidrBlock": "0.0.0.0/0"}),
	{"deps": {"routeTableId": [table.urn], target: [via.urn]}},
)

# Through the firewall's endpoint (an output of the Firewall), as SovereignNetwork routes it.
_t026_through_firewall := _t026_route("private-a-default", _t026_table, "vpcEndpointId", _t026_firewall)

_t026_stack(policy, extra) := array.concat(
	[_t026_group, policy, _t026_firewall, _t026_subnet, _t026_table, _t026_nodes, _t026_association, _t026_nat],
	extra,
)

_t026_fired(resources) := {[d.urn, d.path] |
	some d in kit.denials("residency", kit.inventory(resources, kit.traffic_declared(true, false)))
	d.rule_id == "RES-026"
}

_t026_with_policy(fields) := kit.with_props(_t026_policy, {
	"firewallPolicy": object.union(_t026_policy.props.firewallPolicy, fields),
})

test_res_026_firewall_as_rendered_allowed if {
	count(_t026_fired(_t026_stack(_t026_policy, [_t026_through_firewall]))) == 0
}

test_res_026_stateless_pass_denied if {
	policy := _t026_with_policy({"statelessDefaultActions": ["aws:pass"]})
	_t026_fired(_t026_stack(policy, [_t026_through_firewall])) == {[policy.urn, "firewallPolicy.statelessDefaultActions"]}
	inventory := kit.inventory(_t026_stack(policy, [_t026_through_firewall]), kit.traffic_declared(true, false))
	some d in kit.denials("residency", inventory)
	d.rule_id == "RES-026"
	startswith(d.message, concat("", [
		"Network Firewall policy egress passes packets around the stateful allow-list: its ",
		"statelessDefaultActions [",
	]))
	contains(d.message, "aws:pass")
	endswith(d.message, "] do not forward to the stateful engine; set them to [aws:forward_to_sfe]")
}

test_res_026_stateless_fragment_pass_denied if {
	policy := _t026_with_policy({"statelessFragmentDefaultActions": ["aws:pass"]})
	fired := _t026_fired(_t026_stack(policy, [_t026_through_firewall]))
	fired == {[policy.urn, "firewallPolicy.statelessFragmentDefaultActions"]}
}

test_res_026_stateless_drop_is_no_bypass if {
	policy := _t026_with_policy({"statelessFragmentDefaultActions": ["aws:drop"]})
	count(_t026_fired(_t026_stack(policy, [_t026_through_firewall]))) == 0
}

test_res_026_default_action_order_denied if {
	policy := kit.with_props(_t026_policy, {"firewallPolicy": object.remove(
		_t026_policy.props.firewallPolicy, ["statefulEngineOptions", "statefulDefaultActions"],
	)})
	fired := _t026_fired(_t026_stack(policy, [_t026_through_firewall]))
	fired == {[policy.urn, "firewallPolicy.statefulEngineOptions.ruleOrder"]}
}

test_res_026_strict_order_without_a_drop_default_denied if {
	policy := _t026_with_policy({"statefulDefaultActions": ["aws:alert_established"]})
	_t026_fired(_t026_stack(policy, [_t026_through_firewall])) == {[policy.urn, "firewallPolicy.statefulDefaultActions"]}
}

test_res_026_drop_strict_allowed if {
	policy := _t026_with_policy({"statefulDefaultActions": ["aws:drop_strict"]})
	count(_t026_fired(_t026_stack(policy, [_t026_through_firewall]))) == 0
}

test_res_026_policy_of_no_firewall_not_judged if {
	policy := _t026_with_policy({"statelessDefaultActions": ["aws:pass"]})
	stack := [r | some r in _t026_stack(policy, []); r.type != "aws:networkfirewall/firewall:Firewall"]
	count(_t026_fired(stack)) == 0
}

test_res_026_stateless_rule_that_passes_denied if {
	stateless := kit.resource("aws:networkfirewall/ruleGroup:RuleGroup", "fast-path", {
		"type": "STATELESS",
		"ruleGroup": {"rulesSource": {"statelessRulesAndCustomActions": {"statelessRules": [
			{"priority": 1, "ruleDefinition": {"actions": ["aws:forward_to_sfe"]}},
			{"priority": 2, "ruleDefinition": {"actions": ["aws:pass"]}},
		]}}},
	})
	policy := kit.with_fields(_t026_policy, {"deps": {"firewallPolicy": [_t026_group.urn, stateless.urn]}})
	_t026_fired(_t026_stack(policy, [stateless, _t026_through_firewall])) == {[
		stateless.urn,
		"ruleGroup.rulesSource.statelessRulesAndCustomActions.statelessRules.1.ruleDefinition.actions",
	]}
}

test_res_026_node_route_to_a_nat_gateway_denied if {
	direct := _t026_route("private-a-default", _t026_table, "natGatewayId", _t026_nat)
	_t026_fired(_t026_stack(_t026_policy, [direct])) == {[direct.urn, "natGatewayId"]}
}

test_res_026_node_ipv6_route_to_an_egress_only_gateway_denied if {
	direct := kit.with_props(
		_t026_route("private-a-v6", _t026_table, "egressOnlyGatewayId", _t026_nat),
		{"destinationIpv6CidrBlock": "::/0", "egressOnlyGatewayId": "eigw-0abc"},
	)
	_t026_fired(_t026_stack(_t026_policy, [direct])) == {[direct.urn, "egressOnlyGatewayId"]}
}

test_res_026_inline_route_of_a_node_table_denied if {
	table := kit.with_props(_t026_table, {"routes": [
		{"cidrBlock": "10.1.0.0/16", "transitGatewayId": "tgw-1"},
		{"cidrBlock": "0.0.0.0/0", "natGatewayId": "nat-0abc"},
	]})
	stack := array.concat([r | some r in _t026_stack(_t026_policy, []); r.urn != table.urn], [table])
	_t026_fired(stack) == {[table.urn, "routes.1.natGatewayId"]}
}

test_res_026_route_of_a_subnet_without_nodes_not_judged if {
	# The firewall subnets' own default route goes to the NAT gateway, as it must.
	other := kit.resource("aws:ec2/routeTable:RouteTable", "firewall-a", {})
	direct := _t026_route("firewall-a-default", other, "natGatewayId", _t026_nat)
	count(_t026_fired(_t026_stack(_t026_policy, [other, direct, _t026_through_firewall]))) == 0
}

test_res_026_stack_without_a_firewall_not_judged if {
	direct := _t026_route("private-a-default", _t026_table, "natGatewayId", _t026_nat)
	stack := [r | some r in _t026_stack(_t026_policy, [direct]); r.type != "aws:networkfirewall/firewall:Firewall"]
	count(_t026_fired(stack)) == 0
}

test_res_026_open_stack_not_judged if {
	policy := _t026_with_policy({"statelessDefaultActions": ["aws:pass"]})
	direct := _t026_route("private-a-default", _t026_table, "natGatewayId", _t026_nat)
	inventory := kit.inventory(_t026_stack(policy, [direct]), kit.traffic_declared(false, false))
	count({d | some d in kit.denials("residency", inventory); d.rule_id == "RES-026"}) == 0
}
