# RES-023: the rule's cases, on the traffic kit of lib/test_kit.rego.
package residency_test

import data.lib.test_kit as kit
import rego.v1

_t023_stack := kit.traffic_stack("ca-central-1")

_t023_shadow_host := "vllm-llama-v3-shadow.llm-serving.svc.cluster.local"

_t023_cluster(name, host) := {
	"type": "type.googleapis.com/envoy.config.cluster.v3.Cluster",
	"name": name,
	"operation": {"op": "add", "value": {
		"name": name,
		"type": "STRICT_DNS",
		"load_assignment": {"cluster_name": name, "endpoints": [{"lb_endpoints": [{"endpoint": {
			"address": {"socket_address": {"address": host, "port_value": 8000}},
		}}]}]},
	}},
}

_t023_mirror(path, value) := {
	"type": "type.googleapis.com/envoy.config.route.v3.RouteConfiguration",
	"name": "llm-gateway/llm/https",
	"operation": {
		"op": "add",
		"jsonPath": "$.virtual_hosts[*].routes[?(@.name=='httproute/llm-gateway/llm-route/rule/0/match/0/llm')]",
		"path": path,
		"value": value,
	},
}

_t023_policy(cluster) := {
	"cluster": cluster,
	"runtime_fraction": {"default_value": {"numerator": 10, "denominator": "HUNDRED"}},
}

_t023_patch_policy(patches) := kit.gateway_object(
	"kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyPatchPolicy", "llm-shadow-mirror",
	{"spec": {
		"type": "JSONPatch",
		"targetRef": {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "llm"},
		"jsonPatches": patches,
	}},
)

# The stack with a patch policy mirroring to cluster `cluster`, which the policy adds on `host`.
_t023_mirrored_to(host) := array.concat(_t023_stack, [_t023_patch_policy([
	_t023_cluster("servegate-shadow/llm-gateway/llama", host),
	_t023_mirror("/route/request_mirror_policies", [_t023_policy("servegate-shadow/llm-gateway/llama")]),
])])

_t023_http_route(ref) := kit.gateway_object(
	"kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "mirrored",
	{"spec": {"rules": [{
		"backendRefs": [{"name": "vllm-llama", "port": 8000}],
		"filters": [{"type": "RequestMirror", "requestMirror": {"backendRef": ref, "percent": 10}}],
	}]}},
)

_t023_fired(resources, declared) := {[d.urn, d.path] |
	some d in kit.denials("residency", kit.inventory(resources, declared))
	d.rule_id == "RES-023"
}

_t023_policy_finding := {[_t023_patch_policy([]).urn, "spec.jsonPatches.1.operation.value"]}

test_res_023_shadow_in_the_cluster_allowed if {
	count(_t023_fired(_t023_mirrored_to(_t023_shadow_host), kit.traffic_declared(true, true))) == 0
}

test_res_023_mirror_to_api_openai_com_denied if {
	stack := _t023_mirrored_to("api.openai.com")
	_t023_fired(stack, kit.traffic_declared(true, false)) == _t023_policy_finding
}

test_res_023_message_names_the_target_and_where_it_processes if {
	stack := _t023_mirrored_to("api.openai.com")
	some d in kit.denials("residency", kit.inventory(stack, kit.traffic_declared(true, false)))
	d.rule_id == "RES-023"
	d.message == concat("", [
		"llm-shadow-mirror mirrors requests to cluster servegate-shadow/llm-gateway/llama, which ",
		"processes requests in United States (external_endpoints.yaml), outside zone ca; a mirror ",
		"copies every classification of its routes, and the zone keeps confidential, regulated in it",
	])
	d.value == "cluster servegate-shadow/llm-gateway/llama"
}

test_res_023_in_zone_region_allowed if {
	stack := _t023_mirrored_to("bedrock-runtime.ca-central-1.amazonaws.com")
	count(_t023_fired(stack, kit.traffic_declared(true, false))) == 0
}

test_res_023_out_of_zone_region_denied if {
	stack := _t023_mirrored_to("bedrock-runtime.us-east-1.amazonaws.com")
	_t023_fired(stack, kit.traffic_declared(true, false)) == _t023_policy_finding
}

test_res_023_cluster_the_plan_does_not_add_is_unknown_and_denied if {
	stack := array.concat(_t023_stack, [_t023_patch_policy([
		_t023_cluster("servegate-shadow/llm-gateway/llama", _t023_shadow_host),
		_t023_mirror("/route/request_mirror_policies", [_t023_policy("somewhere-else")]),
	])])
	_t023_fired(stack, kit.traffic_declared(true, false)) == _t023_policy_finding
}

test_res_023_one_policy_appended_is_judged if {
	stack := array.concat(_t023_stack, [_t023_patch_policy([
		_t023_cluster("external", "api.openai.com"),
		_t023_mirror("/route/request_mirror_policies/-", _t023_policy("external")),
	])])
	_t023_fired(stack, kit.traffic_declared(true, false)) == _t023_policy_finding
}

test_res_023_whole_route_value_is_judged if {
	stack := array.concat(_t023_stack, [_t023_patch_policy([
		_t023_cluster("external", "api.openai.com"),
		_t023_mirror("/virtual_hosts/0/routes/0", {"name": "r", "route": {
			"cluster": "httproute/llm-gateway/llm-route/rule/0",
			"request_mirror_policies": [_t023_policy("external")],
		}}),
	])])
	_t023_fired(stack, kit.traffic_declared(true, false)) == _t023_policy_finding
}

test_res_023_http_route_mirror_to_external_backend_denied if {
	route := _t023_http_route({"group": "gateway.envoyproxy.io", "kind": "Backend", "name": "openai"})
	stack := array.concat(
		array.concat(_t023_stack, kit.external_backend("openai", "api.openai.com", "OpenAI", {})),
		[route],
	)
	finding := {[route.urn, "spec.rules.0.filters.0.requestMirror.backendRef"]}
	_t023_fired(stack, kit.traffic_declared(true, false)) == finding
}

test_res_023_http_route_mirror_to_cluster_service_allowed if {
	route := _t023_http_route({"name": "vllm-llama-v3-shadow", "port": 8000})
	stack := array.concat(_t023_stack, [route])
	count(_t023_fired(stack, kit.traffic_declared(true, false))) == 0
}

test_res_023_open_stack_not_judged if {
	stack := _t023_mirrored_to("api.openai.com")
	count(_t023_fired(stack, kit.traffic_declared(false, false))) == 0
}

# An ExternalName Service of the plan aliasing api.openai.com.
_t023_alias := kit.resource("kubernetes:core/v1:Service", "alias", {
	"metadata": {"name": "vllm-llama-v3-shadow", "namespace": "llm-serving"},
	"spec": {"type": "ExternalName", "externalName": "api.openai.com"},
})

test_res_023_cluster_on_an_external_name_service_is_placed_at_its_alias if {
	stack := array.concat(_t023_mirrored_to(_t023_shadow_host), [_t023_alias])
	_t023_fired(stack, kit.traffic_declared(true, false)) == _t023_policy_finding
}

test_res_023_http_route_mirror_to_an_external_name_service_denied if {
	route := _t023_http_route({"name": "vllm-llama-v3-shadow", "namespace": "llm-serving", "port": 8000})
	stack := array.concat(_t023_stack, [route, _t023_alias])
	finding := {[route.urn, "spec.rules.0.filters.0.requestMirror.backendRef"]}
	_t023_fired(stack, kit.traffic_declared(true, false)) == finding
}
