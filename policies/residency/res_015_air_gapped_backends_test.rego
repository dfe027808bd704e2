# RES-015: the rule's cases, on the traffic kit of lib/test_kit.rego.
package residency_test

import data.lib.test_kit as kit
import rego.v1

_t015_stack := kit.traffic_stack("ca-central-1")

_t015_fired(resources, declared) := {[d.urn, d.path] |
	some d in kit.denials("residency", kit.inventory(resources, declared))
	d.rule_id == "RES-015"
}

_t015_public := {"servegate.io/classifications": "public"}

_t015_openai := kit.traffic_backend("openai", "api.openai.com", _t015_public)

test_res_015_privatelink_backend_allowed if {
	count(_t015_fired(_t015_stack, kit.traffic_declared(true, true))) == 0
}

test_res_015_internet_backend_denied_when_air_gapped if {
	stack := array.concat(_t015_stack, kit.external_backend("openai", "api.openai.com", "OpenAI", _t015_public))
	_t015_fired(stack, kit.traffic_declared(true, true)) == {[_t015_openai.urn, "spec.endpoints.0"]}
}

test_res_015_message_names_the_host if {
	stack := array.concat(_t015_stack, [_t015_openai])
	some d in kit.denials("residency", kit.inventory(stack, kit.traffic_declared(true, true)))
	d.rule_id == "RES-015"
	d.message == concat("", [
		"Backend openai sends traffic to api.openai.com, which is not the private DNS name of an ",
		"interface VPC endpoint in zone ca; an air-gapped stack reaches external APIs only over PrivateLink",
	])
	d.value == "api.openai.com"
}

test_res_015_not_judged_unless_air_gapped if {
	stack := array.concat(_t015_stack, [_t015_openai])
	count(_t015_fired(stack, kit.traffic_declared(true, false))) == 0
}

test_res_015_endpoint_without_private_dns_denied if {
	public_dns := kit.with_patches(kit.vpc_endpoint("bedrock-runtime", "ca-central-1"), [
		{"op": "replace", "path": "/props/privateDnsEnabled", "value": false},
	])
	bedrock := kit.traffic_backend("bedrock", "bedrock-runtime.ca-central-1.amazonaws.com", {})
	stack := kit.with_resources(_t015_stack, [public_dns])
	_t015_fired(stack, kit.traffic_declared(true, true)) == {[bedrock.urn, "spec.endpoints.0"]}
}

test_res_015_gateway_endpoint_type_is_no_private_dns if {
	gateway_type := kit.with_patches(kit.vpc_endpoint("bedrock-runtime", "ca-central-1"), [
		{"op": "remove", "path": "/props/vpcEndpointType"},
	])
	count(_t015_fired(kit.with_resources(_t015_stack, [gateway_type]), kit.traffic_declared(true, true))) == 1
}

test_res_015_endpoint_for_a_region_outside_the_zone_denied if {
	stack := kit.traffic_stack("us-east-1")
	bedrock := kit.traffic_backend("bedrock", "bedrock-runtime.us-east-1.amazonaws.com", {})
	_t015_fired(stack, kit.traffic_declared(true, true)) == {[bedrock.urn, "spec.endpoints.0"]}
}

test_res_015_ip_endpoint_denied if {
	by_ip := kit.with_patches(_t015_openai, [{
		"op": "replace", "path": "/props/spec/endpoints/0", "value": {"ip": {"address": "203.0.113.7", "port": 443}},
	}])
	_t015_fired(array.concat(_t015_stack, [by_ip]), kit.traffic_declared(true, true)) == {[by_ip.urn, "spec.endpoints.0"]}
}

test_res_015_unix_socket_is_local if {
	socket := kit.with_patches(_t015_openai, [{
		"op": "replace", "path": "/props/spec/endpoints/0", "value": {"unix": {"path": "/var/run/model.sock"}},
	}])
	count(_t015_fired(array.concat(_t015_stack, [socket]), kit.traffic_declared(true, true))) == 0
}

test_res_015_ai_backend_to_an_undeclared_backend_denied if {
	dangling := kit.ai_service_backend("openai", "OpenAI")
	stack := array.concat(_t015_stack, [dangling])
	_t015_fired(stack, kit.traffic_declared(true, true)) == {[dangling.urn, "spec.backendRef"]}
}

test_res_015_ai_backend_to_a_cluster_service_allowed if {
	service := kit.with_patches(kit.ai_service_backend("svc", "OpenAI"), [
		{"op": "replace", "path": "/props/spec/backendRef", "value": {"name": "llama", "port": 8000}},
	])
	count(_t015_fired(array.concat(_t015_stack, [service]), kit.traffic_declared(true, true))) == 0
}

test_res_015_deprecated_v1alpha1_ai_backend_still_judged if {
	legacy := kit.with_fields(kit.ai_service_backend("legacy", "OpenAI"), {
		"type": "kubernetes:aigateway.envoyproxy.io/v1alpha1:AIServiceBackend",
		"urn": kit.urn("kubernetes:aigateway.envoyproxy.io/v1alpha1:AIServiceBackend", "legacy"),
	})
	_t015_fired(array.concat(_t015_stack, [legacy]), kit.traffic_declared(true, true)) == {[legacy.urn, "spec.backendRef"]}
}
