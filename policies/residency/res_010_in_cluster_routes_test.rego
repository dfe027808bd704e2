# RES-010: the rule's cases, on the builders of residency_test.rego.
package residency_test

import data.lib.test_kit as kit
import rego.v1

test_res_010_in_cluster_backend_allowed if {
	count(kit.findings(_denials(_compliant, _declared), "RES-010")) == 0
}

test_res_010_external_backend_denied if {
	external := kit.with_patches(_backend, [{
		"op": "replace",
		"path": "/props/spec/endpoints/0/fqdn/hostname",
		"value": "api.openai.com",
	}])
	denials := _denials(array.concat(_swap(external), [external]), _declared)
	kit.findings(denials, "RES-010") == {external.urn, _ai_backend.urn}
}

test_res_010_ip_endpoint_denied if {
	by_ip := kit.with_patches(_backend, [{
		"op": "replace",
		"path": "/props/spec/endpoints/0",
		"value": {"ip": {"address": "203.0.113.7", "port": 443}},
	}])
	denials := _denials(array.concat(_swap(by_ip), [by_ip]), _declared)
	by_ip.urn in kit.findings(denials, "RES-010")
}

test_res_010_ai_backend_to_unknown_backend_denied if {
	dangling := kit.with_patches(_ai_backend, [{
		"op": "replace",
		"path": "/props/spec/backendRef/name",
		"value": "openai",
	}])
	kit.only(_denials(array.concat(_swap(dangling), [dangling]), _declared), "RES-010", dangling.urn)
}

test_res_010_deprecated_v1alpha1_ai_backend_still_judged if {
	dangling := kit.resource("kubernetes:aigateway.envoyproxy.io/v1alpha1:AIServiceBackend", "legacy", {
		"metadata": {"name": "legacy", "namespace": "gateway"},
		"spec": {
			"schema": {"name": "OpenAI"},
			"backendRef": {"name": "openai", "kind": "Backend", "group": "gateway.envoyproxy.io"},
		},
	})
	kit.only(_denials(array.concat(_compliant, [dangling]), _declared), "RES-010", dangling.urn)
}

test_res_010_external_backend_allowed_on_open_stack if {
	external := kit.with_patches(_backend, [{
		"op": "replace",
		"path": "/props/spec/endpoints/0/fqdn/hostname",
		"value": "api.openai.com",
	}])
	count(kit.findings(_denials(array.concat(_swap(external), [external]), _open_declared), "RES-010")) == 0
}
