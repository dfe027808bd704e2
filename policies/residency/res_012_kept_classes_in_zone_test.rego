# RES-012: the rule's cases, on the traffic kit of lib/test_kit.rego.
package residency_test

import data.lib.test_kit as kit
import rego.v1

_t012_stack := kit.traffic_stack("ca-central-1")

_t012_route := kit.ai_route([])

_t012_fired(resources, declared) := {[d.urn, d.path] |
	some d in kit.denials("residency", kit.inventory(resources, declared))
	d.rule_id == "RES-012"
}

# The stack with an external backend `name` on `hostname` and llama's regulated rule sent to it.
_t012_regulated_to(name, hostname, annotations, priority) := array.concat(
	kit.with_route_rules(_t012_stack, [kit.route_rule("llama", "regulated", [
		kit.backend_ref(name, priority),
		kit.backend_ref("llama", priority + 1),
	])]),
	kit.external_backend(name, hostname, "OpenAI", annotations),
)

_t012_all := {"servegate.io/classifications": "public,internal,confidential,regulated"}

_t012_finding := {[_t012_route.urn, "spec.rules.0.backendRefs.0"]}

test_res_012_in_zone_hybrid_stack_allowed if {
	count(_t012_fired(_t012_stack, kit.traffic_declared(true, true))) == 0
}

test_res_012_regulated_to_api_openai_com_denied if {
	stack := _t012_regulated_to("openai", "api.openai.com", _t012_all, 0)
	_t012_fired(stack, kit.traffic_declared(true, false)) == _t012_finding
}

test_res_012_message_names_the_backend_and_where_it_processes if {
	stack := _t012_regulated_to("openai", "api.openai.com", _t012_all, 0)
	some d in kit.denials("residency", kit.inventory(stack, kit.traffic_declared(true, false)))
	d.rule_id == "RES-012"
	d.message == concat("", [
		"AIGatewayRoute llm-route sends model llama, classification regulated to backend openai, ",
		"which processes requests in United States (external_endpoints.yaml), outside zone ca; ",
		"the zone keeps regulated in it",
	])
	d.value == "openai"
}

test_res_012_eu_residency_endpoint_is_outside_every_zone if {
	stack := _t012_regulated_to("openai-eu", "eu.api.openai.com", _t012_all, 0)
	_t012_fired(stack, kit.traffic_declared(true, false)) == _t012_finding
}

test_res_012_open_stack_not_judged if {
	stack := _t012_regulated_to("openai", "api.openai.com", _t012_all, 0)
	count(_t012_fired(stack, kit.traffic_declared(false, false))) == 0
}

test_res_012_public_traffic_may_leave_the_zone if {
	stack := array.concat(
		kit.with_route_rules(_t012_stack, [kit.route_rule("llama", "public", [kit.backend_ref("openai", 0)])]),
		kit.external_backend("openai", "api.openai.com", "OpenAI", _t012_all),
	)
	count(_t012_fired(stack, kit.traffic_declared(true, false))) == 0
}

test_res_012_bedrock_in_another_region_denied if {
	stack := _t012_regulated_to("bedrock-us", "bedrock-runtime.us-east-1.amazonaws.com", _t012_all, 0)
	_t012_fired(stack, kit.traffic_declared(true, false)) == _t012_finding
}

test_res_012_bedrock_in_a_zone_region_allowed if {
	stack := _t012_regulated_to("bedrock-west", "bedrock-runtime.ca-west-1.amazonaws.com", _t012_all, 0)
	count(_t012_fired(stack, kit.traffic_declared(true, false))) == 0
}

test_res_012_unknown_endpoint_without_a_declared_region_denied if {
	stack := _t012_regulated_to("llm-co", "api.llm.example.com", _t012_all, 0)
	_t012_fired(stack, kit.traffic_declared(true, false)) == _t012_finding
}

test_res_012_declared_processing_region_judged_as_declared if {
	in_zone := object.union(_t012_all, {"servegate.io/processing-region": "ca-central-1"})
	allowed := _t012_regulated_to("llm-co", "api.llm.example.com", in_zone, 0)
	count(_t012_fired(allowed, kit.traffic_declared(true, false))) == 0
	outside := object.union(_t012_all, {"servegate.io/processing-region": "us-west-2"})
	stack := _t012_regulated_to("llm-co", "api.llm.example.com", outside, 0)
	some d in kit.denials("residency", kit.inventory(stack, kit.traffic_declared(true, false)))
	d.rule_id == "RES-012"
	contains(d.message, "us-west-2 (declared by its processing-region annotation, unverified)")
}

test_res_012_declared_region_does_not_override_known_data if {
	claims := object.union(_t012_all, {"servegate.io/processing-region": "ca-central-1"})
	stack := _t012_regulated_to("openai", "api.openai.com", claims, 0)
	_t012_fired(stack, kit.traffic_declared(true, false)) == _t012_finding
}

test_res_012_azure_hostname_needs_a_declared_region if {
	stack := _t012_regulated_to("azure", "contoso.openai.azure.com", _t012_all, 0)
	_t012_fired(stack, kit.traffic_declared(true, false)) == _t012_finding
	declared := object.union(_t012_all, {"servegate.io/processing-region": "ca-central-1"})
	in_zone := _t012_regulated_to("azure", "contoso.openai.azure.com", declared, 0)
	count(_t012_fired(in_zone, kit.traffic_declared(true, false))) == 0
}

test_res_012_route_to_an_undeclared_backend_denied if {
	stack := kit.with_route_rules(_t012_stack, [kit.route_rule("llama", "regulated", [kit.backend_ref("missing", 0)])])
	_t012_fired(stack, kit.traffic_declared(true, false)) == _t012_finding
}

test_res_012_ip_endpoint_is_unknown_and_denied if {
	by_ip := kit.with_patches(kit.traffic_backend("llm-co", "x", _t012_all), [{
		"op": "replace", "path": "/props/spec/endpoints/0", "value": {"ip": {"address": "203.0.113.7", "port": 443}},
	}])
	stack := kit.with_resources(_t012_regulated_to("llm-co", "x", _t012_all, 0), [by_ip])
	_t012_fired(stack, kit.traffic_declared(true, false)) == _t012_finding
}

test_res_012_fallback_steps_are_not_judged_here if {
	stack := _t012_regulated_to("openai", "api.openai.com", _t012_all, 1)
	chain := kit.with_route_rules(stack, [kit.route_rule("llama", "regulated", [
		kit.backend_ref("llama", 0),
		kit.backend_ref("openai", 1),
	])])
	count(_t012_fired(chain, kit.traffic_declared(true, false))) == 0
}

test_res_012_catch_all_is_not_judged_here if {
	stack := array.concat(
		kit.with_route_rules(_t012_stack, [kit.route_rule("llama", "", [kit.backend_ref("openai", 0)])]),
		kit.external_backend("openai", "api.openai.com", "OpenAI", _t012_all),
	)
	count(_t012_fired(stack, kit.traffic_declared(true, false))) == 0
}

test_res_012_deleted_backend_is_not_a_destination if {
	stack := _t012_regulated_to("openai", "api.openai.com", _t012_all, 0)
	gone := [kit.with_fields(r, {"op": _t012_op(r)}) | some r in stack]
	_t012_fired(gone, kit.traffic_declared(true, false)) == _t012_finding
}

_t012_op(r) := "delete" if r.type == "kubernetes:gateway.envoyproxy.io/v1alpha1:Backend"
else := "create"

# An ExternalName Service: its cluster DNS name is an alias of `host`.
_t012_external_name(name, host) := kit.resource("kubernetes:core/v1:Service", name, {
	"metadata": {"name": name, "namespace": "llm-gateway"},
	"spec": {"type": "ExternalName", "externalName": host},
})

test_res_012_backend_on_an_external_name_service_is_where_its_alias_points if {
	alias := concat("", ["relay", ".llm-gateway.svc.cluster.local"])
	stack := array.concat(
		_t012_regulated_to("relay", alias, _t012_all, 0),
		[_t012_external_name("relay", "api.openai.com")],
	)
	_t012_fired(stack, kit.traffic_declared(true, false)) == _t012_finding
	some d in kit.denials("residency", kit.inventory(stack, kit.traffic_declared(true, false)))
	d.rule_id == "RES-012"
	contains(d.message, "United States (external_endpoints.yaml)")
}

test_res_012_backend_on_a_cluster_ip_service_stays_in_the_cluster if {
	alias := concat("", ["relay", ".llm-gateway.svc.cluster.local"])
	cluster_ip := kit.with_patches(_t012_external_name("relay", "api.openai.com"), [
		{"op": "replace", "path": "/props/spec", "value": {"type": "ClusterIP"}},
	])
	stack := array.concat(_t012_regulated_to("relay", alias, _t012_all, 0), [cluster_ip])
	count(_t012_fired(stack, kit.traffic_declared(true, false))) == 0
}

test_res_012_ai_backend_on_an_external_name_service_is_where_its_alias_points if {
	direct := kit.with_patches(kit.ai_service_backend("relay", "OpenAI"), [
		{"op": "replace", "path": "/props/spec/backendRef", "value": {"name": "relay", "port": 443}},
	])
	stack := array.concat(
		kit.with_route_rules(_t012_stack, [kit.route_rule("llama", "regulated", [kit.backend_ref("relay", 0)])]),
		[direct, _t012_external_name("relay", "api.openai.com")],
	)
	_t012_fired(stack, kit.traffic_declared(true, false)) == _t012_finding
}
