# RES-013: the rule's cases, on the traffic kit of lib/test_kit.rego.
package residency_test

import data.lib.test_kit as kit
import rego.v1

_t013_stack := kit.traffic_stack("ca-central-1")

_t013_fired(resources, declared) := {[d.urn, d.path] |
	some d in kit.denials("residency", kit.inventory(resources, declared))
	d.rule_id == "RES-013"
}

_t013_to_bedrock(class) := kit.with_route_rules(_t013_stack, [kit.route_rule("llama", class, [
	kit.backend_ref("bedrock", 0),
	kit.backend_ref("llama", 1),
])])

_t013_finding := {[kit.ai_route([]).urn, "spec.rules.0.backendRefs.0"]}

test_res_013_declared_classes_allowed if {
	count(_t013_fired(_t013_stack, kit.traffic_declared(true, true))) == 0
	count(_t013_fired(_t013_to_bedrock("internal"), kit.traffic_declared(true, true))) == 0
}

test_res_013_undeclared_class_denied if {
	_t013_fired(_t013_to_bedrock("confidential"), kit.traffic_declared(true, true)) == _t013_finding
}

test_res_013_judged_on_open_stacks_too if {
	_t013_fired(_t013_to_bedrock("confidential"), kit.traffic_declared(false, false)) == _t013_finding
}

test_res_013_message_lists_the_declared_classes if {
	some d in kit.denials("residency", kit.inventory(_t013_to_bedrock("confidential"), kit.traffic_declared(true, true)))
	d.rule_id == "RES-013"
	d.message == concat("", [
		"AIGatewayRoute llm-route sends model llama, classification confidential to backend bedrock, ",
		"which declares only [\"public\", \"internal\"]",
	])
}

test_res_013_external_backend_without_a_declaration_receives_nothing if {
	bare := kit.traffic_backend("bedrock", "bedrock-runtime.ca-central-1.amazonaws.com", {})
	stack := kit.with_resources(_t013_to_bedrock("public"), [bare])
	_t013_fired(stack, kit.traffic_declared(true, true)) == _t013_finding
}

test_res_013_self_hosted_backend_may_narrow_its_declaration if {
	narrowed := kit.traffic_backend(
		"llama", "llama.llm-serving.svc.cluster.local",
		{"servegate.io/classifications": "public"},
	)
	stack := kit.with_resources(_t013_stack, [narrowed])
	_t013_fired(stack, kit.traffic_declared(true, true)) == {[kit.ai_route([]).urn, "spec.rules.0.backendRefs.0"]}
}

test_res_013_spaces_in_the_declaration_are_ignored if {
	spaced := kit.traffic_backend(
		"bedrock", "bedrock-runtime.ca-central-1.amazonaws.com",
		{"servegate.io/classifications": " public , confidential ,"},
	)
	stack := kit.with_resources(_t013_to_bedrock("confidential"), [spaced])
	count(_t013_fired(stack, kit.traffic_declared(true, true))) == 0
}

test_res_013_fallbacks_are_not_judged_here if {
	stack := kit.with_route_rules(_t013_stack, [kit.route_rule("llama", "confidential", [
		kit.backend_ref("llama", 0),
		kit.backend_ref("bedrock", 1),
	])])
	count(_t013_fired(stack, kit.traffic_declared(true, true))) == 0
}

test_res_013_every_primary_of_a_weighted_split_is_judged if {
	stack := kit.with_route_rules(_t013_stack, [kit.route_rule("llama", "confidential", [
		kit.backend_ref("llama", 0),
		kit.backend_ref("bedrock", 0),
	])])
	_t013_fired(stack, kit.traffic_declared(true, true)) == {[kit.ai_route([]).urn, "spec.rules.0.backendRefs.1"]}
}

test_res_013_default_priority_is_zero if {
	stack := kit.with_route_rules(_t013_stack, [kit.route_rule("llama", "confidential", [
		{"name": "llama"},
		kit.backend_ref("bedrock", 0),
	])])
	_t013_fired(stack, kit.traffic_declared(true, true)) == {[kit.ai_route([]).urn, "spec.rules.0.backendRefs.1"]}
}
