package security

import rego.v1

_sec040_policy_type := "kubernetes:gateway.envoyproxy.io/v1alpha1:SecurityPolicy"

_sec040_secret_type := "kubernetes:core/v1:Secret"

# External Secrets Operator's kinds, in every API version it serves or served.
_sec040_external_secret_types := {
	"kubernetes:external-secrets.io/v1:ExternalSecret",
	"kubernetes:external-secrets.io/v1beta1:ExternalSecret",
}

# [kind, type token] of the secret stores an ExternalSecret can name.
_sec040_store_types := {
	["SecretStore", "kubernetes:external-secrets.io/v1:SecretStore"],
	["SecretStore", "kubernetes:external-secrets.io/v1beta1:SecretStore"],
	["ClusterSecretStore", "kubernetes:external-secrets.io/v1:ClusterSecretStore"],
	["ClusterSecretStore", "kubernetes:external-secrets.io/v1beta1:ClusterSecretStore"],
}

_sec040_namespace(res) := object.get(res.props, ["metadata", "namespace"], "default")

_sec040_name(res) := object.get(res.props, ["metadata", "name"], res.name)

# [namespace, name] of every Secret the plan declares with credentials in it. A value that is
# secret ("[secret]") or unknown until apply is there; an empty data and stringData is not.
_sec040_filled_secrets := {[_sec040_namespace(secret), _sec040_name(secret)] |
	some secret in data.lib.inventory.resources(input, _sec040_secret_type)
	some field in ["data", "stringData"]
	data.lib.inventory.is_present(object.get(secret.props, field, null))
}

# [kind, namespace, name] of every secret store (a ClusterSecretStore's namespace is "").
_sec040_stores := {[kind, namespace, _sec040_name(store)] |
	some [kind, type_token] in _sec040_store_types
	some store in data.lib.inventory.resources(input, type_token)
	namespace := _sec040_store_namespace(kind, store)
}

_sec040_store_namespace("SecretStore", store) := _sec040_namespace(store)

_sec040_store_namespace("ClusterSecretStore", _) := ""

# [namespace, name] of every Secret an ExternalSecret fills from a store the plan declares.
_sec040_synced_secrets := {[namespace, target] |
	some type_token in _sec040_external_secret_types
	some synced in data.lib.inventory.resources(input, type_token)
	spec := object.get(synced.props, "spec", {})
	_sec040_fetches_something(spec)
	namespace := _sec040_namespace(synced)
	target := object.get(spec, ["target", "name"], _sec040_name(synced))
	kind := object.get(spec, ["secretStoreRef", "kind"], "SecretStore")
	store_namespace := _sec040_store_namespace(kind, synced)
	[kind, store_namespace, object.get(spec, ["secretStoreRef", "name"], "")] in _sec040_stores
}

_sec040_fetches_something(spec) if count(object.get(spec, "data", [])) > 0

_sec040_fetches_something(spec) if count(object.get(spec, "dataFrom", [])) > 0

_sec040_sourced(secret) if secret in _sec040_filled_secrets

_sec040_sourced(secret) if secret in _sec040_synced_secrets

# The Secrets a SecurityPolicy's API-key auth checks credentials against, each as
# [index, [namespace, name]] (a credentialRef without a namespace is in the policy's).
# (`some i; ref := refs[i]`: rego-cpp rejects `some i, ref in` inside a comprehension.)
_sec040_credential_secrets(policy) := [[i, [namespace, name]] |
	refs := object.get(policy.props, ["spec", "apiKeyAuth", "credentialRefs"], [])
	some i
	ref := refs[i]
	object.get(ref, "kind", "Secret") == "Secret"
	namespace := object.get(ref, "namespace", _sec040_namespace(policy))
	name := object.get(ref, "name", "")
]

_sec040_api_key_policies := [policy |
	some policy in data.lib.inventory.resources(input, _sec040_policy_type)
	object.get(policy.props, ["spec", "apiKeyAuth"], null) != null
]

# METADATA
# title: A gateway with API-key auth has a source for its keys
# description: Envoy Gateway's apiKeyAuth compares each request's credential with the values
#   of the Secrets it references. A Secret the stack leaves empty, or one nothing declares or
#   syncs, means either a gateway nobody can call or keys put in by hand outside any review.
#   The Secret must carry its keys (e.g. from Pulumi secret config) or be filled by an
#   ExternalSecret from a secret store the stack declares (e.g. AWS Secrets Manager).
# custom:
#   id: SEC-040
#   area: security
#   severity: high
#   enforcement: mandatory
#   scope: stack
#   resource_types: ["kubernetes:gateway.envoyproxy.io/v1alpha1:SecurityPolicy"]
#   config_key: gateway.apiKeys
#   parameters: []
#   remediation: Set llm-serving:gateway.apiKeys (source secrets-manager with clients, or
#     pulumi-config with llm-serving:gatewayApiKeys set by pulumi config set --secret), or fill
#     the referenced Secret with an ExternalSecret whose secretStoreRef names a declared store.
deny contains v if {
	some policy in _sec040_api_key_policies
	count(_sec040_credential_secrets(policy)) == 0
	v := data.lib.inventory.violation(
		"SEC-040", policy,
		concat("", [
			"SecurityPolicy ",
			policy.name,
			" enables apiKeyAuth without a credential Secret; reference a Secret in spec.apiKeyAuth.credentialRefs",
		]),
		"spec.apiKeyAuth.credentialRefs", null,
	)
}

deny contains v if {
	some policy in _sec040_api_key_policies
	some [i, secret] in _sec040_credential_secrets(policy)
	not _sec040_sourced(secret)
	v := data.lib.inventory.violation(
		"SEC-040", policy,
		concat("", [
			"SecurityPolicy ",
			policy.name,
			" checks API keys against Secret ",
			secret[0],
			"/",
			secret[1],
			", which nothing fills: declare it with its keys (data or stringData) ",
			"or sync it with an ExternalSecret from a declared SecretStore",
		]),
		concat(".", ["spec.apiKeyAuth.credentialRefs", format_int(i, 10), "name"]), secret[1],
	)
}
