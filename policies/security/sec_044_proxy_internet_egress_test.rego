# SEC-044: the rule's cases, on the traffic kit of lib/test_kit.rego.
package security_test

import data.lib.test_kit as kit
import rego.v1

_t044_gateway := kit.resource("kubernetes:gateway.networking.k8s.io/v1:Gateway", "llm-gateway", {
	"metadata": {"name": "llm-gateway", "namespace": "llm-gateway"},
	"spec": {"gatewayClassName": "envoy"},
})

# Egress to anywhere outside the VPC on HTTPS, as NetworkPolicies renders it for the proxies.
_t044_https_out := {
	"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.40.0.0/16"]}}],
	"ports": [{"protocol": "TCP", "port": 443}],
}

_t044_selector := {"matchLabels": {
	"app.kubernetes.io/name": "envoy",
	"app.kubernetes.io/component": "proxy",
	"app.kubernetes.io/managed-by": "envoy-gateway",
	"gateway.envoyproxy.io/owning-gateway-name": "llm-gateway",
	"gateway.envoyproxy.io/owning-gateway-namespace": "llm-gateway",
}}

_t044_policy(selector, egress) := kit.resource("kubernetes:networking.k8s.io/v1:NetworkPolicy", "gateway-proxies", {
	"metadata": {"name": "gateway-proxies", "namespace": "envoy-gateway-system"},
	"spec": {"podSelector": selector, "policyTypes": ["Ingress", "Egress"], "egress": egress},
})

_t044_openai := kit.external_backend("openai", "api.openai.com", "OpenAI", {"servegate.io/classifications": "public"})

_t044_fired(resources) := {[d.urn, d.path] |
	some d in kit.denials("security", kit.inventory(resources, kit.traffic_declared(true, false)))
	d.rule_id == "SEC-044"
}

_t044_stack(policy, extra) := array.concat(
	array.concat(kit.traffic_stack("ca-central-1"), [_t044_gateway, policy]),
	extra,
)

test_sec_044_https_out_for_an_internet_backend_allowed if {
	policy := _t044_policy(_t044_selector, [_t044_https_out])
	count(_t044_fired(_t044_stack(policy, _t044_openai))) == 0
}

test_sec_044_internet_egress_without_an_internet_backend_denied if {
	# Bedrock over PrivateLink is no internet backend: its endpoint is in the VPC.
	policy := _t044_policy(_t044_selector, [{"to": [{"podSelector": {}}]}, _t044_https_out])
	_t044_fired(_t044_stack(policy, [])) == {[policy.urn, "spec.egress.1"]}
	some d in kit.denials("security", kit.inventory(_t044_stack(policy, []), kit.traffic_declared(true, false)))
	d.rule_id == "SEC-044"
	d.message == concat("", [
		"NetworkPolicy gateway-proxies lets the gateway's Envoy proxies connect to the internet (egress rule 1) ",
		"although the stack has no internet backend and no remote JWKS; remove the rule",
	])
}

test_sec_044_remote_jwks_needs_the_internet if {
	jwt := kit.resource("kubernetes:gateway.envoyproxy.io/v1alpha1:SecurityPolicy", "oidc", {
		"metadata": {"name": "oidc", "namespace": "llm-gateway"},
		"spec": {"jwt": {"providers": [{"name": "oidc", "remoteJWKS": {
			"uri": "https://login.example.ca:8443/.well-known/jwks.json",
		}}]}},
	})
	policy := _t044_policy(_t044_selector, [_t044_https_out])
	count(_t044_fired(_t044_stack(policy, [jwt]))) == 0
}

test_sec_044_in_cluster_jwks_needs_no_internet if {
	jwt := kit.resource("kubernetes:gateway.envoyproxy.io/v1alpha1:SecurityPolicy", "oidc", {
		"metadata": {"name": "oidc", "namespace": "llm-gateway"},
		"spec": {"jwt": {"providers": [{"name": "oidc", "remoteJWKS": {
			"uri": "http://keycloak.identity.svc.cluster.local/realms/x/protocol/openid-connect/certs",
		}}]}},
	})
	policy := _t044_policy(_t044_selector, [_t044_https_out])
	_t044_fired(_t044_stack(policy, [jwt])) == {[policy.urn, "spec.egress.0"]}
}

test_sec_044_every_port_denied if {
	policy := _t044_policy(_t044_selector, [{"to": _t044_https_out.to}])
	_t044_fired(_t044_stack(policy, _t044_openai)) == {[policy.urn, "spec.egress.0"]}
}

test_sec_044_another_port_denied if {
	ports := [{"protocol": "TCP", "port": 443}, {"protocol": "TCP", "port": 80}]
	policy := _t044_policy(_t044_selector, [{"to": _t044_https_out.to, "ports": ports}])
	_t044_fired(_t044_stack(policy, _t044_openai)) == {[policy.urn, "spec.egress.0"]}
}

test_sec_044_port_range_and_udp_denied if {
	policy := _t044_policy(_t044_selector, [
		{"to": _t044_https_out.to, "ports": [{"protocol": "TCP", "port": 443, "endPort": 8443}]},
		{"to": _t044_https_out.to, "ports": [{"protocol": "UDP", "port": 443}]},
	])
	_t044_fired(_t044_stack(policy, _t044_openai)) == {[policy.urn, "spec.egress.0"], [policy.urn, "spec.egress.1"]}
}

test_sec_044_rule_without_destinations_is_the_internet if {
	policy := _t044_policy(_t044_selector, [{"ports": [{"protocol": "TCP", "port": 8443}]}])
	_t044_fired(_t044_stack(policy, _t044_openai)) == {[policy.urn, "spec.egress.0"]}
}

test_sec_044_a_policy_for_every_pod_selects_the_proxies if {
	policy := _t044_policy({}, [_t044_https_out])
	_t044_fired(_t044_stack(policy, [])) == {[policy.urn, "spec.egress.0"]}
}

test_sec_044_policy_of_other_pods_not_judged if {
	policy := _t044_policy({"matchLabels": {"app.kubernetes.io/name": "vllm"}}, [_t044_https_out])
	count(_t044_fired(_t044_stack(policy, []))) == 0
}

test_sec_044_proxies_of_another_gateway_not_judged_by_this_one if {
	other := {"matchLabels": object.union(_t044_selector.matchLabels, {
		"gateway.envoyproxy.io/owning-gateway-name": "other",
	})}
	policy := _t044_policy(other, [_t044_https_out])
	count(_t044_fired(_t044_stack(policy, []))) == 0
}

test_sec_044_open_stack_not_judged if {
	policy := _t044_policy(_t044_selector, [{"ports": [{"protocol": "TCP", "port": 22}]}])
	inventory := kit.inventory(_t044_stack(policy, []), kit.traffic_declared(false, false))
	count({d | some d in kit.denials("security", inventory); d.rule_id == "SEC-044"}) == 0
}
