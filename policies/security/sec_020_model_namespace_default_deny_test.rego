package security_test

import rego.v1

# Builders shared by the network-isolation tests (SEC-020 .. SEC-024): a cluster enforcing
# NetworkPolicies and a vLLM Deployment in namespace "serving" with a default-deny and the
# model-server allow from the gateway's proxies and Prometheus.

_netpol_ids := {"SEC-020", "SEC-021", "SEC-022", "SEC-023", "SEC-024"}

_netpol_urn(type_token, name) := concat("::", ["urn:pulumi:prod-ca", "llm-serving", type_token, name])

_netpol_res(type_token, name, props) := {
	"urn": _netpol_urn(type_token, name), "type": type_token, "name": name, "parent": null,
	"op": "create", "custom": true, "region": "ca-central-1", "provider": {},
	"props": props, "unknowns": [], "deps": {}, "tags": {},
}

_netpol_policy_type := "kubernetes:networking.k8s.io/v1:NetworkPolicy"

_netpol_policy(name, ns, spec) := _netpol_res(_netpol_policy_type, concat("-", [ns, name]), {
	"metadata": {"name": name, "namespace": ns}, "spec": spec,
})

_netpol_deny_all(ns) := _netpol_policy("default-deny", ns, {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})

_netpol_server_labels := {"app.kubernetes.io/name": "vllm", "servegate.io/role": "model-server"}

_netpol_server(name, ns, labels) := _netpol_res("kubernetes:apps/v1:Deployment", name, {
	"metadata": {"name": name, "namespace": ns, "labels": labels},
	"spec": {"replicas": 2, "template": {
		"metadata": {"labels": labels},
		"spec": {"containers": [{"name": "vllm", "image": "vllm/vllm-openai:v0.33.0", "args": ["--model=/models/m"]}]},
	}},
})

_netpol_proxies := {
	"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "envoy-gateway-system"}},
	"podSelector": {"matchLabels": {
		"app.kubernetes.io/name": "envoy", "app.kubernetes.io/component": "proxy",
		"app.kubernetes.io/managed-by": "envoy-gateway", "gateway.envoyproxy.io/owning-gateway-name": "gw",
	}},
}

_netpol_prometheus := {
	"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}},
	"podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}},
}

_netpol_allow_spec(rules) := {
	"podSelector": {"matchLabels": {"app.kubernetes.io/name": "vllm"}},
	"policyTypes": ["Ingress"],
	"ingress": rules,
}

_netpol_allow(rules) := _netpol_policy("model-servers", "serving", _netpol_allow_spec(rules))

_netpol_good_rules := [
	{"from": [_netpol_proxies], "ports": [{"protocol": "TCP", "port": 8000}]},
	{"from": [_netpol_prometheus], "ports": [{"protocol": "TCP", "port": 8000}]},
]

_netpol_cluster := _netpol_res("aws:eks/cluster:Cluster", "cluster", {"name": "prod-ca", "version": "1.35"})

# Replaces top-level fields: object.union merges nested objects, and not alike on every engine.
_netpol_with(obj, patch) := object.union(object.remove(obj, object.keys(patch)), patch)

_netpol_addon(props) := _netpol_with(
	_netpol_res("aws:eks/addon:Addon", "vpc-cni", _netpol_with(
		{"addonName": "vpc-cni", "clusterName": data.lib.inventory.unknown_value},
		props,
	)),
	{"deps": {"clusterName": [_netpol_cluster.urn]}},
)

_netpol_cni_on := _netpol_addon({
	"addonVersion": "v1.23.0-eksbuild.1",
	"configurationValues": "{\"enableNetworkPolicy\": \"true\"}",
})

# The compliant stack by role; tests replace a role (or set it to null to drop it).
_netpol_roles := {
	"cluster": _netpol_cluster,
	"cni": _netpol_cni_on,
	"server": _netpol_server("llama", "serving", _netpol_server_labels),
	"deny_all": _netpol_deny_all("serving"),
	"allow": _netpol_allow(_netpol_good_rules),
}

_netpol_inventory(overrides) := inventory if {
	roles := _netpol_with(_netpol_roles, overrides)
	resources := [roles[role] | some role in sort(object.keys(roles)); roles[role] != null]
	inventory := {
		"stack": {"project": "llm-serving", "name": "prod-ca", "source": "offline", "region": "ca-central-1"},
		"declared": {}, "evaluation": {"as_of": "2026-12-01"}, "resources": resources,
		"by_type": {t: [i | some i; resources[i].type == t] | some r in resources; t := r.type},
	}
}

# The network-isolation findings of the stack with these overrides (bound values under
# `with`, as security_test.rego's _deny explains). By full path: regorus resolves an imported
# package alias against the files loaded before this one, and the rule files of SEC-021 ..
# SEC-024 sort after it.
_netpol_denies(overrides) := {v | some v in _netpol_all(overrides); v.rule_id in _netpol_ids}

_netpol_all(overrides) := denies if {
	inventory := _netpol_inventory(overrides)
	denies := data.security.deny with input.stack as inventory.stack
		with input.declared as inventory.declared
		with input.evaluation as inventory.evaluation
		with input.resources as inventory.resources
		with input.by_type as inventory.by_type
}

# [rule id, urn] of each finding that is not undecided.
_netpol_hits(overrides) := {[v.rule_id, v.urn] |
	some v in _netpol_denies(overrides)
	not object.get(v, "undecided", false)
}

test_netpol_compliant_stack_has_no_network_isolation_findings if {
	_netpol_denies({}) == set()
}

test_sec_020_namespace_without_policies_denied if {
	server := _netpol_server("llama", "other", _netpol_server_labels)
	_netpol_hits({"server": server}) == {["SEC-020", server.urn], ["SEC-024", server.urn]}
}

test_sec_020_judges_what_a_workload_runs_not_its_labels if {
	server := _netpol_server("hand-written", "other", {"app": "llm"})
	hits := _netpol_hits({"server": server})
	["SEC-020", server.urn] in hits
}

test_sec_020_egress_only_default_deny_denied if {
	deny_all := _netpol_policy("default-deny", "serving", {"podSelector": {}, "policyTypes": ["Egress"]})
	_netpol_hits({"deny_all": deny_all}) == {["SEC-020", _netpol_roles.server.urn]}
}

test_sec_020_policy_selecting_some_pods_is_no_default_deny if {
	deny_all := _netpol_policy("default-deny", "serving", {
		"podSelector": {"matchLabels": {"app": "x"}}, "policyTypes": ["Ingress", "Egress"],
	})
	hits := _netpol_hits({"deny_all": deny_all})
	hits == {["SEC-020", _netpol_roles.server.urn], ["SEC-024", _netpol_roles.server.urn]}
}

test_sec_020_selector_with_expressions_is_no_default_deny if {
	deny_all := _netpol_policy("default-deny", "serving", {
		"podSelector": {"matchExpressions": [{"key": "app", "operator": "Exists"}]}, "policyTypes": ["Ingress", "Egress"],
	})
	["SEC-020", _netpol_roles.server.urn] in _netpol_hits({"deny_all": deny_all})
}

test_sec_020_policy_with_ingress_rules_is_no_default_deny if {
	deny_all := _netpol_policy("default-deny", "serving", {
		"podSelector": {}, "policyTypes": ["Ingress", "Egress"],
		"ingress": [{"from": [{"podSelector": {}}]}],
	})
	# The rule also lets every pod of "serving" reach the model server (SEC-021).
	_netpol_hits({"deny_all": deny_all}) == {["SEC-020", _netpol_roles.server.urn], ["SEC-021", deny_all.urn]}
}

test_sec_020_default_policy_types_deny_ingress if {
	# No policyTypes and no egress rules: the API reads it as Ingress only.
	deny_all := _netpol_policy("default-deny", "serving", {"podSelector": {}})
	_netpol_hits({"deny_all": deny_all}) == {["SEC-024", _netpol_roles.server.urn]}
}

test_sec_020_default_deny_of_another_namespace_does_not_count if {
	_netpol_hits({"deny_all": _netpol_deny_all("elsewhere")}) == {
		["SEC-020", _netpol_roles.server.urn],
		["SEC-024", _netpol_roles.server.urn],
	}
}

test_sec_020_workload_without_namespace_is_in_default if {
	server := _netpol_server("llama", "", _netpol_server_labels)
	_netpol_hits({"server": server, "deny_all": _netpol_deny_all("default")}) == set()
}

test_sec_020_deleted_default_deny_does_not_count if {
	deny_all := _netpol_with(_netpol_roles.deny_all, {"op": "delete"})
	["SEC-020", _netpol_roles.server.urn] in _netpol_hits({"deny_all": deny_all})
}


