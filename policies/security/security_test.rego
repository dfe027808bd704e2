package security_test

import data.lib.inventory as inv
import data.security
import rego.v1

# -- builders ----------------------------------------------------------------------------------

_stack := {
	"project": "llm-serving", "name": "prod-ca", "source": "offline", "region": "ca-central-1",
	"urn": "urn:pulumi:prod-ca::llm-serving::pulumi:pulumi:Stack::llm-serving-prod-ca",
}

_declared := {
	"environment": "prod-ca",
	"residency": {"zone": "ca", "sovereign": true, "airGapped": true},
	"sla": {"availability": 99.9}, "budget": null,
	"tags": {"owner": "ml-platform", "cost-center": "cc-4411", "data-classification": "regulated", "environment": "prod-ca"},
	"gateway": {"internetFacing": true}, "registry": {"images": null, "charts": null},
}

# concat, not sprintf: regopy 1.5.2 quotes literal strings passed through function arguments.
_urn(type_token, name) := concat("::", ["urn:pulumi:prod-ca", "llm-serving", type_token, name])

_resource(type_token, name, props) := {
	"urn": _urn(type_token, name), "type": type_token, "name": name, "parent": null,
	"op": "create", "custom": true, "region": "ca-central-1", "provider": {},
	"props": props, "unknowns": [], "deps": {}, "tags": {},
}

# Replaces top-level fields (object.union alone would merge nested objects).
_with(obj, patch) := object.union(object.remove(obj, object.keys(patch)), patch)

_with_props(res, patch) := _with(res, {"props": _with(res.props, patch)})

# The evaluation date of the compliant stack: 1.35 is in standard support, 116 days before its end.
_as_of := "2026-12-01"

_inventory_of(resources) := {
	"stack": _stack, "declared": _declared, "evaluation": {"as_of": _as_of}, "resources": resources,
	"by_type": {type_token: [i | some i; resources[i].type == type_token] | some res in resources; type_token := res.type},
}

_k8s_meta(name, labels) := {"name": name, "namespace": "serving", "labels": labels}

_pod_spec := {
	"containers": [{"name": "vllm", "image": "vllm/vllm-openai:v0.33.0", "securityContext": {"allowPrivilegeEscalation": false}}],
	"initContainers": [{"name": "fetch-weights", "image": "amazon/aws-cli:2.17.0"}],
}

_deployment := _resource("kubernetes:apps/v1:Deployment", "llama-8b", {
	"metadata": _k8s_meta("llama-8b", {"servegate.io/role": "model-server"}),
	"spec": {"replicas": 2, "template": {"metadata": {"labels": {"servegate.io/role": "model-server"}}, "spec": _pod_spec}},
})

_bucket := _resource("aws:s3/bucket:Bucket", "models", {"forceDestroy": false})

_gateway := _resource("kubernetes:gateway.networking.k8s.io/v1:Gateway", "gateway", {
	"metadata": {"name": "servegate", "namespace": "gateway", "labels": {"servegate.io/role": "gateway"}},
	"spec": {"gatewayClassName": "servegate", "listeners": [{"name": "https", "port": 443, "protocol": "HTTPS"}]},
})

_security_policy := _resource("kubernetes:gateway.envoyproxy.io/v1alpha1:SecurityPolicy", "gateway-auth", {
	"metadata": {"name": "gateway-auth", "namespace": "gateway"},
	"spec": {
		"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "servegate"}],
		"apiKeyAuth": {"credentialRefs": [{"name": "gateway-api-keys"}], "extractFrom": [{"headers": ["x-api-key"]}]},
	},
})

_https_rule := _resource("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "gateway-https", {
	"cidrIpv4": "0.0.0.0/0", "ipProtocol": "tcp", "fromPort": 443, "toPort": 443,
})

# A compliant stack, by role; tests replace a role with a variant or with null to remove it.
_compliant := {
	"cluster": _resource("aws:eks/cluster:Cluster", "cluster", {
		"version": "1.35",
		"vpcConfig": {"endpointPrivateAccess": true, "endpointPublicAccess": false},
		"encryptionConfig": {"resources": ["secrets"], "provider": {"keyArn": inv.unknown_value}},
	}),
	"launch_template": _resource("aws:ec2/launchTemplate:LaunchTemplate", "gpu-lt", {
		"metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": 2},
		"blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"encrypted": "true", "kmsKeyId": inv.unknown_value, "volumeSize": 200}}],
	}),
	"volume": _resource("aws:ebs/volume:Volume", "cache", {"encrypted": true, "kmsKeyId": "arn:aws:kms:ca-central-1:1:key/k", "size": 100}),
	"bucket": _bucket,
	"encryption": _with(
		_resource("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "models-sse", {
			"bucket": inv.unknown_value,
			"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": inv.unknown_value}}],
		}),
		{"deps": {"bucket": [_bucket.urn]}},
	),
	"log_group": _resource("aws:cloudwatch/logGroup:LogGroup", "cluster-logs", {"retentionInDays": 365, "kmsKeyId": inv.unknown_value}),
	"https_rule": _https_rule,
	"vpc_rule": _resource("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "nodes-from-vpc", {
		"cidrIpv4": "10.40.0.0/16", "ipProtocol": "-1",
	}),
	"deployment": _deployment,
	"service": _resource("kubernetes:core/v1:Service", "llama-8b", {
		"metadata": _k8s_meta("llama-8b", {"servegate.io/role": "model-server"}),
		"spec": {"type": "ClusterIP", "ports": [{"port": 8000}]},
	}),
	"gateway": _gateway,
	"security_policy": _security_policy,
	# SEC-040: the Secret the API-key auth checks, with its (secret) keys.
	"api_keys": _resource("kubernetes:core/v1:Secret", "gateway-api-keys", {"metadata": {"name": "gateway-api-keys", "namespace": "gateway"}, "stringData": "[secret]"}),
	"key": _resource("aws:kms/key:Key", "key", {"enableKeyRotation": true}),
}

_resources(overrides) := [res |
	roles := _with(_compliant, overrides)
	some role in sort(object.keys(roles))
	res := roles[role]
	res != null
]

_inventory(overrides) := _inventory_of(_resources(overrides))

# regopy 1.5.2 crashes when a rule calling a built-in runs under `with input as X`, but not
# under `with input.<key> as X`; regorus 0.13 loses other packages' constants under
# `with input as <rule reference>`, so callers pass bound values.
_deny(inventory) := denies if {
	denies := security.deny with input.stack as inventory.stack
		with input.declared as inventory.declared
		with input.evaluation as inventory.evaluation
		with input.resources as inventory.resources
		with input.by_type as inventory.by_type
}

_fired(denies, rule_id) := {v.urn | some v in denies; v.rule_id == rule_id; not v.undecided}

_undecided(denies, rule_id) := {v.urn | some v in denies; v.rule_id == rule_id; v.undecided}

# Exactly one rule id fires, on exactly these urns.
_only(denies, rule_id, urns) if {
	_fired(denies, rule_id) == urns
	every v in denies {
		v.rule_id == rule_id
	}
}

_cluster_with_vpc(vpc_config) := _with_props(_compliant.cluster, {"vpcConfig": vpc_config})

# -- the compliant stack -----------------------------------------------------------------------

test_compliant_stack_has_no_security_findings if {
	count(_deny(_inventory({}))) == 0
}

# -- SEC-001 -----------------------------------------------------------------------------------

test_sec_001_private_endpoint_passes if {
	count(_fired(_deny(_inventory({})), "SEC-001")) == 0
}

test_sec_001_public_endpoint_with_known_cidrs_passes if {
	cluster := _cluster_with_vpc({"endpointPublicAccess": true, "publicAccessCidrs": ["203.0.113.0/24"]})
	count(_fired(_deny(_inventory({"cluster": cluster})), "SEC-001")) == 0
}

test_sec_001_public_endpoint_without_cidrs_denied if {
	cluster := _cluster_with_vpc({"endpointPublicAccess": true})
	_only(_deny(_inventory({"cluster": cluster})), "SEC-001", {cluster.urn})
}

test_sec_001_endpoint_public_by_default_denied if {
	# AWS opens the public endpoint when endpointPublicAccess is not set
	cluster := _cluster_with_vpc({"endpointPrivateAccess": true})
	_only(_deny(_inventory({"cluster": cluster})), "SEC-001", {cluster.urn})
}

test_sec_001_world_open_cidr_denied if {
	cluster := _cluster_with_vpc({"endpointPublicAccess": true, "publicAccessCidrs": ["203.0.113.0/24", "0.0.0.0/0"]})
	_only(_deny(_inventory({"cluster": cluster})), "SEC-001", {cluster.urn})
}

test_sec_001_unknown_public_access_undecided if {
	cluster := _cluster_with_vpc({"endpointPublicAccess": inv.unknown_value})
	denies := _deny(_inventory({"cluster": cluster}))
	_undecided(denies, "SEC-001") == {cluster.urn}
	count(_fired(denies, "SEC-001")) == 0
}

# -- SEC-002 -----------------------------------------------------------------------------------

test_sec_002_secrets_encryption_passes if {
	count(_fired(_deny(_inventory({})), "SEC-002")) == 0
}

test_sec_002_no_encryption_config_denied if {
	cluster := _with(_compliant.cluster, {"props": {"version": "1.35", "vpcConfig": {"endpointPublicAccess": false}}})
	_only(_deny(_inventory({"cluster": cluster})), "SEC-002", {cluster.urn})
}

test_sec_002_encryption_without_key_denied if {
	cluster := _with_props(_compliant.cluster, {"encryptionConfig": {"resources": ["secrets"], "provider": {}}})
	denies := _deny(_inventory({"cluster": cluster}))
	_only(denies, "SEC-002", {cluster.urn})
	some v in denies
	v.path == "encryptionConfig.provider.keyArn"
}

# -- SEC-003 -----------------------------------------------------------------------------------

test_sec_003_imdsv2_required_passes if {
	count(_fired(_deny(_inventory({})), "SEC-003")) == 0
}

test_sec_003_optional_tokens_denied if {
	template := _with_props(_compliant.launch_template, {"metadataOptions": {"httpTokens": "optional"}})
	_only(_deny(_inventory({"launch_template": template})), "SEC-003", {template.urn})
}

test_sec_003_no_metadata_options_denied if {
	template := _with(_compliant.launch_template, {"props": {"blockDeviceMappings": _compliant.launch_template.props.blockDeviceMappings}})
	_only(_deny(_inventory({"launch_template": template})), "SEC-003", {template.urn})
}

# -- SEC-004 -----------------------------------------------------------------------------------

test_sec_004_kms_encrypted_volumes_pass if {
	count(_fired(_deny(_inventory({})), "SEC-004")) == 0
}

test_sec_004_unencrypted_launch_template_volume_denied if {
	mappings := [{"deviceName": "/dev/xvda", "ebs": {"encrypted": "false", "kmsKeyId": "k", "volumeSize": 200}}]
	template := _with_props(_compliant.launch_template, {"blockDeviceMappings": mappings})
	denies := _deny(_inventory({"launch_template": template}))
	_only(denies, "SEC-004", {template.urn})
	some v in denies
	v.path == "blockDeviceMappings.0.ebs.encrypted"
}

test_sec_004_launch_template_volume_without_key_denied if {
	mappings := [{"deviceName": "/dev/xvda", "ebs": {"encrypted": "true", "volumeSize": 200}}]
	template := _with_props(_compliant.launch_template, {"blockDeviceMappings": mappings})
	_only(_deny(_inventory({"launch_template": template})), "SEC-004", {template.urn})
}

test_sec_004_unencrypted_ebs_volume_denied if {
	volume := _with_props(_compliant.volume, {"encrypted": false})
	_only(_deny(_inventory({"volume": volume})), "SEC-004", {volume.urn})
}

# -- SEC-005 -----------------------------------------------------------------------------------

test_sec_005_kms_bucket_passes if {
	count(_fired(_deny(_inventory({})), "SEC-005")) == 0
}

test_sec_005_bucket_without_sse_configuration_denied if {
	_only(_deny(_inventory({"encryption": null})), "SEC-005", {_bucket.urn})
}

test_sec_005_sse_s3_denied if {
	sse := _with_props(_compliant.encryption, {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]})
	_only(_deny(_inventory({"encryption": sse})), "SEC-005", {_bucket.urn})
}

test_sec_005_configuration_of_another_bucket_denied if {
	other := _resource("aws:s3/bucket:Bucket", "other", {})
	_only(_deny(_inventory({"other": other})), "SEC-005", {other.urn})
}

# -- SEC-006 -----------------------------------------------------------------------------------

test_sec_006_kms_log_group_passes if {
	count(_fired(_deny(_inventory({})), "SEC-006")) == 0
}

test_sec_006_log_group_without_key_denied if {
	group := _with(_compliant.log_group, {"props": {"retentionInDays": 365}})
	_only(_deny(_inventory({"log_group": group})), "SEC-006", {group.urn})
}

# -- SEC-007 -----------------------------------------------------------------------------------

test_sec_007_world_open_https_and_vpc_rules_pass if {
	count(_fired(_deny(_inventory({})), "SEC-007")) == 0
}

test_sec_007_world_open_ssh_denied if {
	rule := _resource("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "ssh", {"cidrIpv4": "0.0.0.0/0", "ipProtocol": "tcp", "fromPort": 22, "toPort": 22})
	_only(_deny(_inventory({"ssh": rule})), "SEC-007", {rule.urn})
}

test_sec_007_port_range_around_443_denied if {
	rule := _with_props(_https_rule, {"fromPort": 0, "toPort": 65535})
	_only(_deny(_inventory({"https_rule": rule})), "SEC-007", {rule.urn})
}

test_sec_007_all_protocols_on_ipv6_denied if {
	rule := _resource("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "any6", {"cidrIpv6": "::/0", "ipProtocol": "-1"})
	_only(_deny(_inventory({"any6": rule})), "SEC-007", {rule.urn})
}

test_sec_007_inline_ingress_denied if {
	group := _resource("aws:ec2/securityGroup:SecurityGroup", "legacy", {"ingress": [
		{"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"]},
		{"protocol": "tcp", "fromPort": 8000, "toPort": 8000, "cidrBlocks": ["0.0.0.0/0"]},
	]})
	denies := _deny(_inventory({"legacy": group}))
	_only(denies, "SEC-007", {group.urn})
	{v.path | some v in denies} == {"ingress.1.cidrBlocks"}
}

test_sec_007_float_ports_from_the_sdk_pass if {
	rule := _with_props(_https_rule, {"fromPort": 443.0, "toPort": 443.0})
	count(_fired(_deny(_inventory({"https_rule": rule})), "SEC-007")) == 0
}

# -- SEC-008 -----------------------------------------------------------------------------------

test_sec_008_unprivileged_workload_passes if {
	count(_fired(_deny(_inventory({})), "SEC-008")) == 0
}

test_sec_008_privileged_init_container_denied if {
	spec := _with(_pod_spec, {"initContainers": [{"name": "fetch-weights", "securityContext": {"privileged": true}}]})
	deployment := _with_props(_deployment, {"spec": {"template": {"spec": spec}}})
	denies := _deny(_inventory({"deployment": deployment}))
	_only(denies, "SEC-008", {deployment.urn})
	{v.path | some v in denies} == {"spec.template.spec.initContainers.0.securityContext.privileged"}
}

test_sec_008_privilege_escalation_denied if {
	spec := _with(_pod_spec, {"containers": [{"name": "vllm", "securityContext": {"allowPrivilegeEscalation": true}}]})
	deployment := _with_props(_deployment, {"spec": {"template": {"spec": spec}}})
	_only(_deny(_inventory({"deployment": deployment})), "SEC-008", {deployment.urn})
}

test_sec_008_host_network_daemonset_denied if {
	daemonset := _resource("kubernetes:apps/v1:DaemonSet", "exporter", {"spec": {"template": {"spec": object.union(_pod_spec, {"hostNetwork": true})}}})
	_only(_deny(_inventory({"daemonset": daemonset})), "SEC-008", {daemonset.urn})
}

test_sec_008_host_pid_pod_denied if {
	pod := _resource("kubernetes:core/v1:Pod", "debug", {"spec": object.union(_pod_spec, {"hostPID": true})})
	denies := _deny(_inventory({"pod": pod}))
	_only(denies, "SEC-008", {pod.urn})
	{v.path | some v in denies} == {"spec.hostPID"}
}

# -- SEC-009 -----------------------------------------------------------------------------------

test_sec_009_cluster_ip_model_server_passes if {
	count(_fired(_deny(_inventory({})), "SEC-009")) == 0
}

test_sec_009_load_balancer_model_server_denied if {
	service := _with_props(_compliant.service, {"spec": {"type": "LoadBalancer"}})
	_only(_deny(_inventory({"service": service})), "SEC-009", {service.urn})
}

test_sec_009_node_port_model_server_denied if {
	service := _with_props(_compliant.service, {"spec": {"type": "NodePort"}})
	_only(_deny(_inventory({"service": service})), "SEC-009", {service.urn})
}

test_sec_009_other_load_balancers_pass if {
	service := _with_props(_compliant.service, {"metadata": _k8s_meta("envoy", {"servegate.io/role": "gateway"}), "spec": {"type": "LoadBalancer"}})
	count(_fired(_deny(_inventory({"service": service})), "SEC-009")) == 0
}

# -- SEC-010 -----------------------------------------------------------------------------------

test_sec_010_gateway_with_api_key_policy_passes if {
	count(_fired(_deny(_inventory({})), "SEC-010")) == 0
}

test_sec_010_jwt_policy_passes if {
	spec := {"targetRefs": _security_policy.props.spec.targetRefs, "jwt": {"providers": [{"name": "oidc", "issuer": "https://id.example.com"}]}}
	policy := _with_props(_security_policy, {"spec": spec})
	count(_fired(_deny(_inventory({"security_policy": policy})), "SEC-010")) == 0
}

test_sec_010_no_security_policy_denied if {
	_only(_deny(_inventory({"security_policy": null})), "SEC-010", {_gateway.urn})
}

test_sec_010_policy_without_authentication_denied if {
	policy := _with_props(_security_policy, {"spec": {"targetRefs": _security_policy.props.spec.targetRefs, "cors": {"allowOrigins": ["*"]}}})
	_only(_deny(_inventory({"security_policy": policy})), "SEC-010", {_gateway.urn})
}

test_sec_010_policy_in_another_namespace_denied if {
	policy := _with_props(_security_policy, {"metadata": {"name": "gateway-auth", "namespace": "serving"}})
	# Its credential Secret moves with it (SEC-040 resolves the reference in the policy's namespace).
	keys := _with_props(_compliant.api_keys, {"metadata": {"name": "gateway-api-keys", "namespace": "serving"}})
	_only(_deny(_inventory({"security_policy": policy, "api_keys": keys})), "SEC-010", {_gateway.urn})
}

# -- SEC-011 -----------------------------------------------------------------------------------

test_sec_011_rotating_key_passes if {
	count(_fired(_deny(_inventory({})), "SEC-011")) == 0
}

test_sec_011_key_without_rotation_denied if {
	key := _with(_compliant.key, {"props": {}})
	_only(_deny(_inventory({"key": key})), "SEC-011", {key.urn})
}
