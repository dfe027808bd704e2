# SEC-042: External backends' credentials come from a secret store.
package security

import data.lib.inventory as inv
import data.lib.traffic as traffic
import rego.v1

# Where a BackendSecurityPolicy (Envoy AI Gateway v1.1) names a Secret holding a credential:
# [path under spec, path as a list].
_sec042_secret_refs := [
	["apiKey.secretRef", ["apiKey", "secretRef"]],
	["azureAPIKey.secretRef", ["azureAPIKey", "secretRef"]],
	["anthropicAPIKey.secretRef", ["anthropicAPIKey", "secretRef"]],
	["awsCredentials.credentialsFile.secretRef", ["awsCredentials", "credentialsFile", "secretRef"]],
	[
		"awsCredentials.oidcExchangeToken.oidc.clientSecret",
		["awsCredentials", "oidcExchangeToken", "oidc", "clientSecret"],
	],
	["azureCredentials.clientSecretRef", ["azureCredentials", "clientSecretRef"]],
	[
		"azureCredentials.oidcExchangeToken.oidc.clientSecret",
		["azureCredentials", "oidcExchangeToken", "oidc", "clientSecret"],
	],
	["gcpCredentials.credentialsFile.secretRef", ["gcpCredentials", "credentialsFile", "secretRef"]],
]

# [AIServiceBackend key, policy] for every BackendSecurityPolicy target.
_sec042_policies := [[key, policy] |
	some type_token in traffic.security_policy_types
	some policy in inv.resources(input, type_token)
	ref := object.get(policy.props, ["spec", "targetRefs"], [])[_]
	object.get(ref, "kind", "") == "AIServiceBackend"
	key := traffic.key(traffic.namespace(policy), object.get(ref, "name", ""))
]

# [path, [namespace, name]] of each Secret a policy takes a credential from.
_sec042_secrets(policy) := [[concat(".", ["spec", path]), [ns, ref.name]] |
	some [path, parts] in _sec042_secret_refs
	ref := object.get(policy.props, array.concat(["spec"], parts), null)
	is_object(ref)
	ns := object.get(ref, "namespace", traffic.namespace(policy))
]

# METADATA
# title: External model API credentials come from a secret store
# description: A backend outside the cluster is called with a credential. It must come from a
#   secret store -- a BackendSecurityPolicy whose Secret an ExternalSecret syncs (e.g. from AWS
#   Secrets Manager), or AWS credentials from the pod's IRSA role (awsCredentials without a
#   credentials file) -- never from a Secret the stack fills with a literal key or credentials
#   file, and never missing (callers' own keys would then reach the provider).
# custom:
#   id: SEC-042
#   area: security
#   severity: critical
#   enforcement: mandatory
#   scope: stack
#   resource_types: ["kubernetes:aigateway.envoyproxy.io/v1beta1:AIServiceBackend",
#     "kubernetes:aigateway.envoyproxy.io/v1beta1:BackendSecurityPolicy"]
#   parameters: []
#   remediation: Set externalBackends[].credentials to a Secrets Manager secret (synced by an
#     ExternalSecret) or, for Bedrock, to the gateway's IRSA role; remove literal keys from the stack.
deny contains v if {
	targeted := {key | some [key, _] in _sec042_policies}
	some backend in data.lib.traffic.ai_backends
	backend.external
	not backend.key in targeted
	v := inv.violation(
		"SEC-042", backend.res,
		concat("", [
			"AIServiceBackend ", backend.res.name,
			" calls an external API without a BackendSecurityPolicy; attach one whose credential comes from a secret store",
		]),
		"metadata.name", backend.res.name,
	)
}

deny contains v if {
	external := {b.key | some b in data.lib.traffic.ai_backends; b.external}
	synced := data.lib.traffic.synced_secrets
	literal := data.lib.traffic.literal_secrets
	some [key, policy] in _sec042_policies
	key in external
	some [path, secret] in _sec042_secrets(policy)
	reason := _sec042_unsafe(secret, synced, literal)
	v := inv.violation(
		"SEC-042", policy,
		concat("", [
			"BackendSecurityPolicy ", policy.name, " takes its credential from Secret ",
			secret[0], "/", secret[1], ", ", reason,
		]),
		path, secret[1],
	)
}

_sec042_unsafe(secret, synced, literal) := concat("", [
	"which the stack fills with a literal value; ",
	"sync it from a secret store with an ExternalSecret",
]) if {
	secret in literal
} else := "which no ExternalSecret syncs from a secret store" if {
	not secret in synced
}
