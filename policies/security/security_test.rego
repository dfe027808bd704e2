# The security rules' shared test builders (a compliant stack and its parts), on lib.test_kit; each
# rule's cases are in <id>_<slug>_test.rego beside the rule.
package security_test

import data.lib.test_kit as kit
import data.lib.test_kit as pskit
import data.security
import rego.v1

_inventory_of(resources) := kit.inventory_as_of(resources, _declared, _as_of)

# The Pod Security Standards, digest and SLA-020 rules are judged by their own test files (kit:
# lib/test_kit.rego); these fixtures predate them and leave their findings out.
_deny(inventory) := {d |
	some d in kit.denials("security", inventory)
	not d.rule_id in data.lib.test_kit.rule_ids
}

_declared := {
	"environment": "prod-ca",
	"residency": {"zone": "ca", "sovereign": true, "airGapped": true},
	"sla": {"availability": 99.9}, "budget": null,
	"tags": {
		"owner": "ml-platform",
		"cost-center": "cc-4411",
		"data-classification": "regulated",
		"environment": "prod-ca",
	},
	"gateway": {"internetFacing": true}, "registry": {"images": null, "charts": null},
}

# The evaluation date of the compliant stack: 1.35 is in standard support, 116 days before its end.
_as_of := "2026-12-01"

_k8s_meta(name, labels) := {"name": name, "namespace": "serving", "labels": labels}

_pod_spec := {
	"containers": [{
		"name": "vllm",
		"image": "vllm/vllm-openai:v0.33.0",
		"securityContext": {"allowPrivilegeEscalation": false},
	}],
	"initContainers": [{"name": "fetch-weights", "image": "amazon/aws-cli:2.17.0"}],
}

_deployment := kit.resource("kubernetes:apps/v1:Deployment", "llama-8b", {
	"metadata": _k8s_meta("llama-8b", {"servegate.io/role": "model-server"}),
	"spec": {
		"replicas": 2,
		"template": {"metadata": {"labels": {"servegate.io/role": "model-server"}}, "spec": _pod_spec},
	},
})

_bucket := kit.resource("aws:s3/bucket:Bucket", "models", {"forceDestroy": false})

_gateway := kit.resource("kubernetes:gateway.networking.k8s.io/v1:Gateway", "gateway", {
	"metadata": {"name": "servegate", "namespace": "gateway", "labels": {"servegate.io/role": "gateway"}},
	"spec": {"gatewayClassName": "servegate", "listeners": [{"name": "https", "port": 443, "protocol": "HTTPS"}]},
})

_security_policy := kit.resource("kubernetes:gateway.envoyproxy.io/v1alpha1:SecurityPolicy", "gateway-auth", {
	"metadata": {"name": "gateway-auth", "namespace": "gateway"},
	"spec": {
		"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "servegate"}],
		"apiKeyAuth": {"credentialRefs": [{"name": "gateway-api-keys"}], "extractFrom": [{"headers": ["x-api-key"]}]},
	},
})

_https_rule := kit.resource("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "gateway-https", {
	"cidrIpv4": "0.0.0.0/0", "ipProtocol": "tcp", "fromPort": 443, "toPort": 443,
})

# A compliant stack, by role; tests replace a role with a variant or with null to remove it.
_compliant := {
	"cluster": kit.resource("aws:eks/cluster:Cluster", "cluster", {
		"version": "1.35",
		"vpcConfig": {"endpointPrivateAccess": true, "endpointPublicAccess": false},
		"encryptionConfig": {"resources": ["secrets"], "provider": {"keyArn": data.lib.inventory.unknown_value}},
	}),
	"launch_template": kit.resource("aws:ec2/launchTemplate:LaunchTemplate", "gpu-lt", {
		"metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": 2},
		"blockDeviceMappings": [{
			"deviceName": "/dev/xvda",
			"ebs": {"encrypted": "true", "kmsKeyId": data.lib.inventory.unknown_value, "volumeSize": 200},
		}],
	}),
	"volume": kit.resource(
		"aws:ebs/volume:Volume",
		"cache",
		{"encrypted": true, "kmsKeyId": "arn:aws:kms:ca-central-1:1:key/k", "size": 100},
	),
	"bucket": _bucket,
	"encryption": kit.with_fields(
		kit.resource("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "models-sse", {
			"bucket": data.lib.inventory.unknown_value,
			"rules": [{"applyServerSideEncryptionByDefault": {
				"sseAlgorithm": "aws:kms",
				"kmsMasterKeyId": data.lib.inventory.unknown_value,
			}}],
		}),
		{"deps": {"bucket": [_bucket.urn]}},
	),
	"log_group": kit.resource(
		"aws:cloudwatch/logGroup:LogGroup",
		"cluster-logs",
		{"retentionInDays": 365, "kmsKeyId": data.lib.inventory.unknown_value},
	),
	"https_rule": _https_rule,
	"vpc_rule": kit.resource("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "nodes-from-vpc", {
		"cidrIpv4": "10.40.0.0/16", "ipProtocol": "-1",
	}),
	"deployment": _deployment,
	"service": kit.resource("kubernetes:core/v1:Service", "llama-8b", {
		"metadata": _k8s_meta("llama-8b", {"servegate.io/role": "model-server"}),
		"spec": {"type": "ClusterIP", "ports": [{"port": 8000}]},
	}),
	"gateway": _gateway,
	"security_policy": _security_policy,
	# SEC-040: the Secret the API-key auth checks, with its (secret) keys.
	"api_keys": kit.resource("kubernetes:core/v1:Secret", "gateway-api-keys", {
		"metadata": {"name": "gateway-api-keys", "namespace": "gateway"},
		"stringData": "[secret]",
	}),
	"key": kit.resource("aws:kms/key:Key", "key", {"enableKeyRotation": true}),
	# SEC-022: the VPC CNI enforces NetworkPolicies; SEC-020/SEC-024: the model server's
	# namespace denies ingress and egress by default.
	"vpc_cni": kit.with_fields(
		kit.resource("aws:eks/addon:Addon", "vpc-cni", {
			"addonName": "vpc-cni", "addonVersion": "v1.23.0-eksbuild.1",
			"configurationValues": "{\"enableNetworkPolicy\": \"true\"}", "clusterName": data.lib.inventory.unknown_value,
		}),
		{"deps": {"clusterName": [kit.urn("aws:eks/cluster:Cluster", "cluster")]}},
	),
	"default_deny": kit.resource("kubernetes:networking.k8s.io/v1:NetworkPolicy", "serving-default-deny", {
		"metadata": {"name": "default-deny", "namespace": "serving"},
		"spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
	}),
}

_resources(overrides) := [res |
	roles := kit.with_fields(_compliant, overrides)
	some role in sort(object.keys(roles))
	res := roles[role]
	res != null
]

_inventory(overrides) := _inventory_of(_resources(overrides))

test_compliant_stack_has_no_security_findings if {
	count(_deny(_inventory({}))) == 0
}

# SEC-012 and SEC-013 on the evaluation date, on both sides of each boundary of 1.35
# (standard support until 2027-03-27, extended until 2028-03-27; SEC-013 from 90 days before).
_on(as_of, version) := denies if {
	cluster := kit.with_props(_compliant.cluster, {"version": version})
	inventory := kit.with_fields(_inventory({"cluster": cluster}), {"evaluation": {"as_of": as_of}})
	denies := _deny(inventory)
}

_version_findings(denies) := {[v.rule_id, object.get(v, "undecided", false)] |
	some v in denies
	v.rule_id in {"SEC-012", "SEC-013"}
}


# -- builders several rules' tests share (moved here so each rule's tests load alone) --

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

_pss_image := concat("", [
	"registry.example/vllm/vllm-openai:v0.33.0@sha256:0123456789abcdef01234",
	"56789abcdef0123456789abcdef0123456789abcdef",
])

_pss_pod := pskit.model_pod(_pss_image)

_pss_container := pskit.model_container(_pss_image)

# The package's findings on `inventory`, key by key: regopy 1.5.2 and regorus 0.13 mishandle
# `with input as <value>` across packages (see security_test.rego's _deny).
_pss_deny(inventory) := denies if {
	denies := security.deny with input.stack as inventory.stack
		with input.declared as inventory.declared
		with input.evaluation as inventory.evaluation
		with input.resources as inventory.resources
		with input.by_type as inventory.by_type
}

_pss_hits(spec, rule_id) := [x | some x in _pss_deny(pskit.with_spec(spec)); x.rule_id == rule_id]
