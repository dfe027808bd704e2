# SEC-043: TLS to every external backend is verified.
package security

import data.lib.inventory as inv
import data.lib.traffic as traffic
import rego.v1

# [Backend key, hostname] each BackendTLSPolicy verifies against a trusted CA.
_sec043_verified := {[key, hostname] |
	some type_token in traffic.tls_policy_types
	some policy in inv.resources(input, type_token)
	validation := object.get(policy.props, ["spec", "validation"], {})
	_sec043_trusts_a_ca(validation)
	hostname := object.get(validation, "hostname", "")
	ref := object.get(policy.props, ["spec", "targetRefs"], [])[_]
	object.get(ref, "kind", "") == "Backend"
	key := traffic.key(traffic.namespace(policy), object.get(ref, "name", ""))
}

_sec043_trusts_a_ca(validation) if object.get(validation, "wellKnownCACertificates", "") == "System"

_sec043_trusts_a_ca(validation) if count(object.get(validation, "caCertificateRefs", [])) > 0

# METADATA
# title: TLS to external backends is verified
# description: Prompts and completions to a backend outside the cluster cross networks the stack
#   does not control. The gateway must verify the backend's certificate for its hostname -- a
#   Gateway API BackendTLSPolicy targeting the Backend with validation.hostname equal to the
#   endpoint's hostname and a trusted CA (wellKnownCACertificates System or caCertificateRefs)
#   -- and the Backend must not skip verification (spec.tls.insecureSkipVerify).
# custom:
#   id: SEC-043
#   area: security
#   severity: high
#   enforcement: mandatory
#   scope: stack
#   resource_types: ["kubernetes:gateway.envoyproxy.io/v1alpha1:Backend"]
#   parameters: []
#   remediation: Attach a BackendTLSPolicy to the Backend with validation.hostname set to its
#     endpoint hostname and wellKnownCACertificates System; remove insecureSkipVerify.
deny contains v if {
	verified := _sec043_verified
	some backend in data.lib.traffic.backends
	some [i, host, p] in backend.endpoints
	p.kind != "cluster"
	not [backend.key, host] in verified
	v := inv.violation(
		"SEC-043", backend.res,
		concat("", [
			"Backend ", backend.res.name, " sends traffic to ", inv.text(host),
			" without a BackendTLSPolicy verifying that hostname against a trusted CA",
		]),
		concat(".", ["spec.endpoints", format_int(i, 10)]), host,
	)
}

deny contains v if {
	some backend in data.lib.traffic.backends
	backend.external
	inv.truthy(object.get(backend.res.props, ["spec", "tls", "insecureSkipVerify"], false))
	v := inv.violation(
		"SEC-043", backend.res,
		concat("", ["Backend ", backend.res.name, " skips TLS verification (spec.tls.insecureSkipVerify)"]),
		"spec.tls.insecureSkipVerify", true,
	)
}
