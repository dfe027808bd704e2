# RES-017: the rule's cases, on the traffic kit of lib/test_kit.rego.
package residency_test

import data.lib.test_kit as kit
import rego.v1

_t017_stack(region) := kit.traffic_stack(region)

_t017_with_model(region, model_id) := kit.with_route_rules(_t017_stack(region), [kit.route_rule("llama", "public", [
	object.union(kit.backend_ref("bedrock", 0), {"modelNameOverride": model_id}),
	kit.backend_ref("llama", 1),
])])

_t017_fired(resources, declared) := {[d.urn, d.path] |
	some d in kit.denials("residency", kit.inventory(resources, declared))
	d.rule_id == "RES-017"
}

_t017_finding := {[kit.ai_route([]).urn, "spec.rules.0.backendRefs.0.modelNameOverride"]}

_t017_ca := kit.traffic_declared(true, true)

_t017_eu := {"residency": {"zone": "eu", "sovereign": true, "airGapped": true}}

test_res_017_in_region_model_id_allowed if {
	count(_t017_fired(_t017_stack("ca-central-1"), _t017_ca)) == 0
}

test_res_017_us_profile_from_canada_denied if {
	stack := _t017_with_model("ca-central-1", "us.anthropic.claude-3-5-haiku-20241022-v1:0")
	_t017_fired(stack, _t017_ca) == _t017_finding
	some d in kit.denials("residency", kit.inventory(stack, _t017_ca))
	d.rule_id == "RES-017"
	d.message == concat("", [
		"AIGatewayRoute llm-route asks Bedrock backend bedrock for us.anthropic.claude-3-5-haiku-20241022-v1:0, ",
		"a cross-region inference profile that may process the request in us-east-1, us-east-2, us-west-1, us-west-2; ",
		"zone ca allows ca-central-1, ca-west-1",
	])
}

test_res_017_global_profile_denied if {
	stack := _t017_with_model("ca-central-1", "global.anthropic.claude-sonnet-4-20250514-v1:0")
	_t017_fired(stack, _t017_ca) == _t017_finding
}

test_res_017_unverified_geography_denied if {
	stack := _t017_with_model("ca-central-1", "ca.anthropic.claude-3-haiku-20240307-v1:0")
	_t017_fired(stack, _t017_ca) == _t017_finding
}

test_res_017_eu_profile_reaches_regions_outside_the_eu_zone if {
	stack := _t017_with_model("eu-central-1", "eu.anthropic.claude-3-7-sonnet-20250219-v1:0")
	_t017_fired(stack, _t017_eu) == _t017_finding
}

test_res_017_profile_inside_a_zone_allowed if {
	# A zone whose regions hold every destination of the geography (the data's jp list).
	stack := _t017_with_model("ap-northeast-1", "jp.anthropic.claude-sonnet-4-20250514-v1:0")
	declared := {"residency": {"zone": "jp", "sovereign": true, "airGapped": true}}
	zones := object.union(data.params.zones, {"zones": {"jp": ["ap-northeast-1", "ap-northeast-3"]}})
	params := object.union(data.params, {"zones": zones})
	count({d | some d in _t017_denials_with(stack, declared, params); d.rule_id == "RES-017"}) == 0
}

test_res_017_model_header_is_the_model_id_without_an_override if {
	stack := kit.with_route_rules(_t017_stack("ca-central-1"), [kit.route_rule(
		"us.meta.llama3-1-8b-instruct-v1:0", "public", [kit.backend_ref("bedrock", 0)],
	)])
	_t017_fired(stack, _t017_ca) == _t017_finding
}

test_res_017_bedrock_recognised_by_its_host if {
	other_schema := kit.with_patches(kit.ai_service_backend("bedrock", "OpenAI"), [])
	stack := kit.with_resources(_t017_with_model("ca-central-1", "us.amazon.nova-lite-v1:0"), [other_schema])
	_t017_fired(stack, _t017_ca) == _t017_finding
}

test_res_017_other_backends_not_judged if {
	stack := kit.with_route_rules(_t017_stack("ca-central-1"), [kit.route_rule("llama", "public", [
		object.union(kit.backend_ref("llama", 0), {"modelNameOverride": "us.llama"}),
	])])
	count(_t017_fired(stack, _t017_ca)) == 0
}

test_res_017_open_stack_not_judged if {
	stack := _t017_with_model("ca-central-1", "global.anthropic.claude-sonnet-4-20250514-v1:0")
	count(_t017_fired(stack, kit.traffic_declared(false, false))) == 0
}

_t017_denials_with(resources, declared, params) := result if {
	inventory := kit.inventory(resources, declared)
	result := data.residency.deny with input.stack as inventory.stack
		with input.declared as inventory.declared
		with input.evaluation as inventory.evaluation
		with input.resources as inventory.resources
		with input.by_type as inventory.by_type
		with data.params as params
}
