# RES-014: the rule's cases, on the traffic kit of lib/test_kit.rego.
package residency_test

import data.lib.test_kit as kit
import rego.v1

_t014_all := {"servegate.io/classifications": "public,internal,confidential,regulated"}

_t014_stack := array.concat(
	kit.traffic_stack("ca-central-1"),
	kit.external_backend("openai", "api.openai.com", "OpenAI", _t014_all),
)

_t014_fired(resources, declared) := {[d.urn, d.path] |
	some d in kit.denials("residency", kit.inventory(resources, declared))
	d.rule_id == "RES-014"
}

_t014_chain(class, refs) := kit.with_route_rules(_t014_stack, [kit.route_rule("llama", class, refs)])

_t014_third := {[kit.ai_route([]).urn, "spec.rules.0.backendRefs.2"]}

test_res_014_in_zone_chain_allowed if {
	count(_t014_fired(kit.traffic_stack("ca-central-1"), kit.traffic_declared(true, true))) == 0
}

test_res_014_regulated_falling_back_out_of_the_zone_denied if {
	chain := _t014_chain("regulated", [
		kit.backend_ref("llama", 0),
		kit.backend_ref("bedrock-none", 1),
		kit.backend_ref("openai", 2),
	])
	stack := array.concat(chain, kit.self_hosted_backend("bedrock-none"))
	_t014_fired(stack, kit.traffic_declared(true, false)) == _t014_third
}

test_res_014_message_names_the_priority_and_the_place if {
	chain := _t014_chain("regulated", [kit.backend_ref("llama", 0), kit.backend_ref("openai", 5)])
	some d in kit.denials("residency", kit.inventory(chain, kit.traffic_declared(true, false)))
	d.rule_id == "RES-014"
	d.message == concat("", [
		"AIGatewayRoute llm-route falls back (priority 5) for model llama, classification regulated to backend openai, ",
		"which processes requests in United States (external_endpoints.yaml), outside zone ca; ",
		"the zone keeps regulated in it",
	])
}

test_res_014_undeclared_fallback_denied_on_every_stack if {
	chain := _t014_chain("confidential", [
		kit.backend_ref("llama", 0),
		kit.backend_ref("llama", 1),
		kit.backend_ref("bedrock", 2),
	])
	_t014_fired(chain, kit.traffic_declared(true, true)) == _t014_third
	_t014_fired(chain, kit.traffic_declared(false, false)) == _t014_third
	some d in kit.denials("residency", kit.inventory(chain, kit.traffic_declared(false, false)))
	d.rule_id == "RES-014"
	endswith(d.message, "which declares only [\"public\", \"internal\"]")
}

test_res_014_out_of_zone_fallback_allowed_on_open_stacks if {
	chain := _t014_chain("regulated", [kit.backend_ref("llama", 0), kit.backend_ref("openai", 1)])
	count(_t014_fired(chain, kit.traffic_declared(false, false))) == 0
}

test_res_014_public_may_fall_back_out_of_the_zone if {
	chain := _t014_chain("public", [kit.backend_ref("llama", 0), kit.backend_ref("openai", 1)])
	count(_t014_fired(chain, kit.traffic_declared(true, false))) == 0
}

test_res_014_primary_step_is_not_judged_here if {
	chain := _t014_chain("regulated", [kit.backend_ref("openai", 3), kit.backend_ref("llama", 4)])
	count(_t014_fired(chain, kit.traffic_declared(true, false))) == 0
}

test_res_014_catch_all_is_not_judged_here if {
	chain := _t014_chain("", [kit.backend_ref("llama", 0), kit.backend_ref("openai", 1)])
	count(_t014_fired(chain, kit.traffic_declared(true, false))) == 0
}

test_res_014_a_priority_that_is_no_number_is_the_first if {
	chain := _t014_chain("regulated", [{"name": "openai", "priority": "high"}, kit.backend_ref("llama", 1)])
	count(_t014_fired(chain, kit.traffic_declared(true, false))) == 0
	fallback := _t014_chain("regulated", [kit.backend_ref("llama", 0), {"name": "openai", "priority": "low"}])
	count(_t014_fired(fallback, kit.traffic_declared(true, false))) == 0
}
