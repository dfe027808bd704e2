# RES-018: the rule's cases, on the traffic kit of lib/test_kit.rego.
package residency_test

import data.lib.test_kit as kit
import rego.v1

_t018_all := {"servegate.io/classifications": "public,internal,confidential,regulated"}

_t018_stack := array.concat(
	kit.traffic_stack("ca-central-1"),
	kit.external_backend("openai", "api.openai.com", "OpenAI", {"servegate.io/classifications": "public"}),
)

_t018_fired(resources, declared) := {[d.urn, d.path] |
	some d in kit.denials("residency", kit.inventory(resources, declared))
	d.rule_id == "RES-018"
}

_t018_catch_all(refs) := kit.with_route_rules(_t018_stack, [kit.route_rule("llama", "", refs)])

test_res_018_catch_all_to_the_self_hosted_model_allowed if {
	count(_t018_fired(_t018_stack, kit.traffic_declared(true, true))) == 0
}

test_res_018_catch_all_to_an_external_backend_denied if {
	stack := _t018_catch_all([kit.backend_ref("openai", 0)])
	_t018_fired(stack, kit.traffic_declared(true, false)) == {[kit.ai_route([]).urn, "spec.rules.0.backendRefs.0"]}
	some d in kit.denials("residency", kit.inventory(stack, kit.traffic_declared(true, false)))
	d.rule_id == "RES-018"
	d.message == concat("", [
		"AIGatewayRoute llm-route sends model llama, unclassified requests (treated as regulated) to backend openai, ",
		"which declares only [\"public\"]",
	])
}

test_res_018_judged_on_open_stacks_by_declaration if {
	stack := _t018_catch_all([kit.backend_ref("llama", 0), kit.backend_ref("openai", 1)])
	_t018_fired(stack, kit.traffic_declared(false, false)) == {[kit.ai_route([]).urn, "spec.rules.0.backendRefs.1"]}
}

test_res_018_declared_but_out_of_zone_denied_on_sovereign_stacks if {
	declares_all := kit.traffic_backend("openai", "api.openai.com", _t018_all)
	stack := kit.with_resources(_t018_catch_all([kit.backend_ref("openai", 0)]), [declares_all])
	_t018_fired(stack, kit.traffic_declared(true, false)) == {[kit.ai_route([]).urn, "spec.rules.0.backendRefs.0"]}
	count(_t018_fired(stack, kit.traffic_declared(false, false))) == 0
	some d in kit.denials("residency", kit.inventory(stack, kit.traffic_declared(true, false)))
	d.rule_id == "RES-018"
	endswith(d.message, "outside zone ca")
}

test_res_018_rule_without_matches_is_a_catch_all if {
	stack := kit.with_route_rules(_t018_stack, [{"backendRefs": [kit.backend_ref("openai", 0)]}])
	some d in kit.denials("residency", kit.inventory(stack, kit.traffic_declared(true, false)))
	d.rule_id == "RES-018"
	contains(d.message, "model (any), unclassified requests")
}

test_res_018_regular_expression_classification_is_no_classification if {
	regex_rule := {
		"matches": [{"headers": [
			{"type": "Exact", "name": "x-ai-eg-model", "value": "llama"},
			{"type": "RegularExpression", "name": "x-data-classification", "value": "pub.*"},
		]}],
		"backendRefs": [kit.backend_ref("openai", 0)],
	}
	stack := kit.with_route_rules(_t018_stack, [regex_rule])
	_t018_fired(stack, kit.traffic_declared(true, false)) == {[kit.ai_route([]).urn, "spec.rules.0.backendRefs.0"]}
}

test_res_018_classified_rules_not_judged_here if {
	stack := kit.with_route_rules(_t018_stack, [kit.route_rule("llama", "regulated", [kit.backend_ref("openai", 0)])])
	count(_t018_fired(stack, kit.traffic_declared(true, false))) == 0
}
