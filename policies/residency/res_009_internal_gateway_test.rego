# RES-009: the rule's cases, on the builders of residency_test.rego.
package residency_test

import data.lib.test_kit as kit
import rego.v1

# A deep merge rather than a JSON patch: the patch path, split to fit 120 columns, made
# rego-cpp fail (a concat inside the patch list is not well-formed for it).
_public_proxy := object.union(_envoy_proxy, {"props": {"spec": {"provider": {"kubernetes": {"envoyService": {
	"annotations": {"service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing"},
}}}}}})

test_res_009_internal_gateway_allowed if {
	count(kit.findings(_denials(_compliant, _declared), "RES-009")) == 0
}

test_res_009_internet_facing_gateway_denied if {
	kit.only(_denials(array.concat(_swap(_public_proxy), [_public_proxy]), _declared), "RES-009", _public_proxy.urn)
}

test_res_009_internet_facing_gateway_allowed_when_declared if {
	declared := json.patch(_declared, [{"op": "replace", "path": "/gateway/internetFacing", "value": true}])
	count(kit.findings(_denials(array.concat(_swap(_public_proxy), [_public_proxy]), declared), "RES-009")) == 0
}

test_res_009_load_balancer_service_without_scheme_denied if {
	service := kit.resource(
		"kubernetes:core/v1:Service",
		"debug",
		{"metadata": {"name": "debug"}, "spec": {"type": "LoadBalancer"}},
	)
	kit.only(_denials(array.concat(_compliant, [service]), _declared), "RES-009", service.urn)
}

test_res_009_internal_load_balancer_service_allowed if {
	service := kit.resource("kubernetes:core/v1:Service", "debug", {
		"metadata": {"name": "debug", "annotations": {"service.beta.kubernetes.io/aws-load-balancer-scheme": "internal"}},
		"spec": {"type": "LoadBalancer"},
	})
	count(_denials(array.concat(_compliant, [service]), _declared)) == 0
}
