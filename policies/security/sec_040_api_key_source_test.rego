package security_test

import data.security
import rego.v1

# SEC-040 on small inventories of its own (helpers prefixed _t040_): a SecurityPolicy's
# API-key Secret filled in the plan, synced by an ExternalSecret, or not sourced at all.

_t040_resource(type_token, name, namespace, props) := {
	"urn": concat("::", ["urn:pulumi:prod-ca", "llm-serving", type_token, name]),
	"type": type_token, "name": name, "op": "create", "custom": true, "unknowns": [], "deps": {},
	"props": object.union({"metadata": {"name": name, "namespace": namespace}}, props),
}

_t040_policy := _t040_resource(
	"kubernetes:gateway.envoyproxy.io/v1alpha1:SecurityPolicy", "gw-auth", "llm-gateway",
	{"spec": {
	"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "gw"}],
	"apiKeyAuth": {
		"credentialRefs": [{"group": "", "kind": "Secret", "name": "gw-api-keys"}],
		"extractFrom": [{"headers": ["authorization"]}],
	},
}},
)

_t040_secret(namespace, props) := _t040_resource("kubernetes:core/v1:Secret", "gw-api-keys", namespace, props)

_t040_store(kind, namespace) := _t040_resource(
	concat(":", ["kubernetes:external-secrets.io/v1", kind]),
	"gw-store",
	namespace,
	{"spec": {"provider": {"aws": {"service": "SecretsManager", "region": "ca-central-1"}}}},
)

_t040_sync(store_ref, data_entries) := _t040_resource(
	"kubernetes:external-secrets.io/v1:ExternalSecret", "gw-sync", "llm-gateway",
	{"spec": {
	"secretStoreRef": store_ref,
	"target": {"name": "gw-api-keys"},
	"data": data_entries,
}},
)

_t040_entries := [{"secretKey": "team-a", "remoteRef": {"key": "servegate/prod-ca/gateway-api-keys/team-a"}}]

_t040_deny(resources) := denies if {
	by_type := {t: [i | some i; resources[i].type == t] | some res in resources; t := res.type}
	denies := security.deny with input.resources as resources
		with input.by_type as by_type
		with input.stack as {"name": "prod-ca", "project": "llm-serving"}
		with input.declared as {}
		with input.evaluation as {"as_of": "2026-12-01"}
}

_t040_fired(resources) := {[v.urn, v.path] | some v in _t040_deny(resources); v.rule_id == "SEC-040"}

_t040_ref_finding := {[_t040_policy.urn, "spec.apiKeyAuth.credentialRefs.0.name"]}

test_sec_040_a_secret_with_secret_keys_is_a_source if {
	count(_t040_fired([_t040_policy, _t040_secret("llm-gateway", {"stringData": "[secret]"})])) == 0
}

test_sec_040_a_secret_with_data_is_a_source if {
	count(_t040_fired([_t040_policy, _t040_secret("llm-gateway", {"data": {"team-a": "QmVhcmVy"}})])) == 0
}

test_sec_040_an_external_secret_from_a_declared_store_is_a_source if {
	store := _t040_store("SecretStore", "llm-gateway")
	sync := _t040_sync({"kind": "SecretStore", "name": "gw-store"}, _t040_entries)
	count(_t040_fired([_t040_policy, store, sync])) == 0
}

test_sec_040_a_cluster_secret_store_is_a_source if {
	store := _t040_store("ClusterSecretStore", "external-secrets")
	sync := _t040_sync({"kind": "ClusterSecretStore", "name": "gw-store"}, _t040_entries)
	count(_t040_fired([_t040_policy, store, sync])) == 0
}

test_sec_040_an_empty_secret_is_denied if {
	# What the gateway rendered before it had a key source: stringData {}.
	_t040_fired([_t040_policy, _t040_secret("llm-gateway", {"stringData": {}})]) == _t040_ref_finding
}

test_sec_040_a_missing_secret_is_denied if {
	some v in _t040_deny([_t040_policy])
	v.rule_id == "SEC-040"
	v.urn == _t040_policy.urn
	v.value == "gw-api-keys"
	contains(v.message, "Secret llm-gateway/gw-api-keys, which nothing fills")
}

test_sec_040_a_secret_in_another_namespace_is_denied if {
	_t040_fired([_t040_policy, _t040_secret("default", {"stringData": "[secret]"})]) == _t040_ref_finding
}

test_sec_040_an_external_secret_without_its_store_is_denied if {
	sync := _t040_sync({"kind": "SecretStore", "name": "gw-store"}, _t040_entries)
	_t040_fired([_t040_policy, sync]) == _t040_ref_finding
}

test_sec_040_a_store_of_another_kind_does_not_count if {
	store := _t040_store("SecretStore", "llm-gateway")
	sync := _t040_sync({"kind": "ClusterSecretStore", "name": "gw-store"}, _t040_entries)
	_t040_fired([_t040_policy, store, sync]) == _t040_ref_finding
}

test_sec_040_an_external_secret_fetching_nothing_is_denied if {
	store := _t040_store("SecretStore", "llm-gateway")
	sync := _t040_sync({"kind": "SecretStore", "name": "gw-store"}, [])
	_t040_fired([_t040_policy, store, sync]) == _t040_ref_finding
}

test_sec_040_api_key_auth_without_credential_refs_is_denied if {
	policy := object.union(_t040_policy, {"props": {"spec": {"apiKeyAuth": {"credentialRefs": []}}}})
	{[v.urn, v.path] |
		some v in _t040_deny([policy])
		v.rule_id == "SEC-040"
	} == {[_t040_policy.urn, "spec.apiKeyAuth.credentialRefs"]}
}

test_sec_040_jwt_auth_needs_no_key_source if {
	policy := _t040_resource(
		"kubernetes:gateway.envoyproxy.io/v1alpha1:SecurityPolicy",
		"gw-auth",
		"llm-gateway",
		{"spec": {"jwt": {"providers": [{"name": "oidc", "issuer": "https://auth.example.ca"}]}}},
	)
	count({v | some v in _t040_deny([policy]); v.rule_id == "SEC-040"}) == 0
}
