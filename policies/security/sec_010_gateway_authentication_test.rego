# SEC-010: the rule's cases, on the builders of security_test.rego.
package security_test

import data.lib.test_kit as kit
import rego.v1

test_sec_010_gateway_with_api_key_policy_passes if {
	count(kit.fired(_deny(_inventory({})), "SEC-010")) == 0
}

test_sec_010_jwt_policy_passes if {
	spec := {
		"targetRefs": _security_policy.props.spec.targetRefs,
		"jwt": {"providers": [{"name": "oidc", "issuer": "https://id.example.com"}]},
	}
	policy := kit.with_props(_security_policy, {"spec": spec})
	count(kit.fired(_deny(_inventory({"security_policy": policy})), "SEC-010")) == 0
}

test_sec_010_no_security_policy_denied if {
	kit.only_on(_deny(_inventory({"security_policy": null})), "SEC-010", {_gateway.urn})
}

test_sec_010_policy_without_authentication_denied if {
	policy := kit.with_props(
		_security_policy,
		{"spec": {"targetRefs": _security_policy.props.spec.targetRefs, "cors": {"allowOrigins": ["*"]}}},
	)
	kit.only_on(_deny(_inventory({"security_policy": policy})), "SEC-010", {_gateway.urn})
}

test_sec_010_policy_in_another_namespace_denied if {
	policy := kit.with_props(_security_policy, {"metadata": {"name": "gateway-auth", "namespace": "serving"}})
	# Its credential Secret moves with it (SEC-040 resolves the reference in the policy's namespace).
	keys := kit.with_props(_compliant.api_keys, {"metadata": {"name": "gateway-api-keys", "namespace": "serving"}})
	kit.only_on(_deny(_inventory({"security_policy": policy, "api_keys": keys})), "SEC-010", {_gateway.urn})
}


# SEC-010 undecided.
test_sec_010_unknown_gateway_name_undecided if {
	gateway := kit.with_fields(_gateway, {"unknowns": ["metadata.name"]})
	denies := _deny(_inventory({"gateway": gateway}))
	kit.undecided(denies, "SEC-010") == {gateway.urn}
}
