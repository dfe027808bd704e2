# SEC-042: the rule's cases, on the traffic kit of lib/test_kit.rego.
package security_test

import data.lib.test_kit as kit
import rego.v1

_t042_public := {"servegate.io/classifications": "public"}

_t042_openai := array.concat(
	kit.external_backend("openai", "api.openai.com", "OpenAI", _t042_public),
	[kit.api_key_policy("openai", "openai-api-key"), kit.external_secret("openai-api-key", "openai-api-key")],
)

_t042_stack := array.concat(kit.traffic_stack("ca-central-1"), _t042_openai)

_t042_fired(resources) := {[d.urn, d.path] |
	some d in kit.denials("security", kit.inventory(resources, kit.traffic_declared(true, false)))
	d.rule_id == "SEC-042"
}

_t042_policy := kit.api_key_policy("openai", "openai-api-key")

test_sec_042_synced_key_and_irsa_allowed if {
	count(_t042_fired(_t042_stack)) == 0
}

test_sec_042_literal_api_key_denied if {
	literal := kit.gateway_secret("openai-api-key", {"stringData": {"apiKey": "sk-live-0000"}})
	stack := array.concat(_t042_stack, [literal])
	_t042_fired(stack) == {[_t042_policy.urn, "spec.apiKey.secretRef"]}
	some d in kit.denials("security", kit.inventory(stack, kit.traffic_declared(true, false)))
	d.rule_id == "SEC-042"
	d.message == concat("", [
		"BackendSecurityPolicy openai takes its credential from Secret llm-gateway/openai-api-key, ",
		"which the stack fills with a literal value; sync it from a secret store with an ExternalSecret",
	])
	not contains(d.message, "sk-live")
}

test_sec_042_unsynced_secret_denied if {
	stack := [r | some r in _t042_stack; r.type != "kubernetes:external-secrets.io/v1:ExternalSecret"]
	_t042_fired(stack) == {[_t042_policy.urn, "spec.apiKey.secretRef"]}
}

test_sec_042_external_secret_without_a_store_is_no_sync if {
	no_store := kit.with_patches(kit.external_secret("openai-api-key", "openai-api-key"), [
		{"op": "remove", "path": "/props/spec/secretStoreRef"},
	])
	_t042_fired(kit.with_resources(_t042_stack, [no_store])) == {[_t042_policy.urn, "spec.apiKey.secretRef"]}
}

test_sec_042_inline_aws_credentials_file_denied if {
	file_policy := kit.with_patches(kit.irsa_policy("bedrock", "ca-central-1"), [{
		"op": "add", "path": "/props/spec/awsCredentials/credentialsFile",
		"value": {"secretRef": {"name": "bedrock-credentials"}},
	}])
	literal := kit.gateway_secret("bedrock-credentials", {"data": {"credentials": "W2RlZmF1bHRd"}})
	stack := array.concat(kit.with_resources(_t042_stack, [file_policy]), [literal])
	_t042_fired(stack) == {[file_policy.urn, "spec.awsCredentials.credentialsFile.secretRef"]}
}

test_sec_042_external_backend_without_a_policy_denied if {
	stack := [r | some r in _t042_stack; r.urn != _t042_policy.urn]
	ai := kit.ai_service_backend("openai", "OpenAI")
	_t042_fired(stack) == {[ai.urn, "metadata.name"]}
}

test_sec_042_self_hosted_backends_need_no_policy if {
	count(_t042_fired(kit.self_hosted_backend("llama"))) == 0
}

test_sec_042_policy_in_another_namespace_does_not_cover_the_backend if {
	elsewhere := kit.with_patches(_t042_policy, [{"op": "replace", "path": "/props/metadata/namespace", "value": "other"}])
	ai := kit.ai_service_backend("openai", "OpenAI")
	ai.urn in {urn | some [urn, _] in _t042_fired(kit.with_resources(_t042_stack, [elsewhere]))}
}
