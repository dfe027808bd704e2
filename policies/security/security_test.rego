# The security rules' shared test builders (a compliant stack and its parts), on lib.test_kit; each
# rule's cases are in <id>_<slug>_test.rego beside the rule.
package security_test

import data.lib.test_kit as kit
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
