# SEC-043: the rule's cases, on the traffic kit of lib/test_kit.rego.
package security_test

import data.lib.test_kit as kit
import rego.v1

_t043_stack := kit.traffic_stack("ca-central-1")

_t043_bedrock := kit.traffic_backend("bedrock", "bedrock-runtime.ca-central-1.amazonaws.com", {})

_t043_tls := kit.tls_policy("bedrock", "bedrock-runtime.ca-central-1.amazonaws.com")

_t043_fired(resources) := {[d.urn, d.path] |
	some d in kit.denials("security", kit.inventory(resources, kit.traffic_declared(true, true)))
	d.rule_id == "SEC-043"
}

_t043_finding := {[_t043_bedrock.urn, "spec.endpoints.0"]}

test_sec_043_verified_backend_allowed if {
	count(_t043_fired(_t043_stack)) == 0
}

test_sec_043_backend_without_tls_policy_denied if {
	stack := [r | some r in _t043_stack; r.urn != _t043_tls.urn]
	_t043_fired(stack) == _t043_finding
	some d in kit.denials("security", kit.inventory(stack, kit.traffic_declared(true, true)))
	d.rule_id == "SEC-043"
	d.message == concat("", [
		"Backend bedrock sends traffic to bedrock-runtime.ca-central-1.amazonaws.com ",
		"without a BackendTLSPolicy verifying that hostname against a trusted CA",
	])
}

test_sec_043_policy_for_another_hostname_denied if {
	wrong := kit.with_patches(_t043_tls, [
		{"op": "replace", "path": "/props/spec/validation/hostname", "value": "example.com"},
	])
	_t043_fired(kit.with_resources(_t043_stack, [wrong])) == _t043_finding
}

test_sec_043_policy_without_a_trusted_ca_denied if {
	no_ca := kit.with_patches(_t043_tls, [{"op": "remove", "path": "/props/spec/validation/wellKnownCACertificates"}])
	_t043_fired(kit.with_resources(_t043_stack, [no_ca])) == _t043_finding
	own_ca := kit.with_patches(no_ca, [{
		"op": "add", "path": "/props/spec/validation/caCertificateRefs",
		"value": [{"group": "", "kind": "ConfigMap", "name": "provider-ca"}],
	}])
	count(_t043_fired(kit.with_resources(_t043_stack, [own_ca]))) == 0
}

test_sec_043_skipping_verification_denied if {
	skipping := kit.with_patches(_t043_bedrock, [
		{"op": "add", "path": "/props/spec/tls", "value": {"insecureSkipVerify": true}},
	])
	_t043_fired(kit.with_resources(_t043_stack, [skipping])) == {[_t043_bedrock.urn, "spec.tls.insecureSkipVerify"]}
}

test_sec_043_cluster_backends_not_judged if {
	count(_t043_fired(kit.self_hosted_backend("llama"))) == 0
}
