package residency_test

import data.residency
import rego.v1

# -- builders: a small compliant prod-ca stack (sovereign, air-gapped) ------------------------

_ecr := "111122223333.dkr.ecr.ca-central-1.amazonaws.com"

_stack := {
	"project": "llm-serving", "name": "prod-ca", "source": "offline", "region": "ca-central-1",
	"urn": "urn:pulumi:prod-ca::llm-serving::pulumi:pulumi:Stack::llm-serving-prod-ca",
}

_declared := {
	"environment": "prod",
	"residency": {"zone": "ca", "sovereign": true, "airGapped": true},
	"sla": {"availability": 99.9},
	"budget": {"monthlyUsd": 30000},
	"tags": {},
	"gateway": {"internetFacing": false},
	"registry": {"images": sprintf("%s/mirror", [_ecr]), "charts": sprintf("oci://%s/charts", [_ecr])},
}

_open_declared := json.patch(_declared, [
	{"op": "replace", "path": "/residency", "value": {"zone": "ca", "sovereign": false, "airGapped": false}},
])

# concat, not sprintf: regopy 1.5.2 keeps the quotes of string literals passed to functions in %s.
_urn(type_token, name) := concat("::", ["urn:pulumi:prod-ca", "llm-serving", type_token, name])

_resource(type_token, name, props) := {
	"urn": _urn(type_token, name), "type": type_token, "name": name, "parent": null,
	"op": "create", "custom": true, "region": _default_region(type_token),
	"provider": {"urn": "urn:pulumi:prod-ca::llm-serving::pulumi:providers:aws::aws", "type": "pulumi:providers:aws", "region": "ca-central-1", "defaultTags": {}},
	"props": props, "unknowns": [], "deps": {}, "tags": {},
}

_default_region(type_token) := "ca-central-1" if startswith(type_token, "aws:")

_default_region(type_token) := null if not startswith(type_token, "aws:")

_with(res, patches) := json.patch(res, patches)

_inventory_with(resources, declared) := {
	"stack": _stack,
	"declared": declared,
	"resources": resources,
	"by_type": {t: [i | some i; resources[i].type == t] | some r in resources; t := r.type},
}

_bucket := _resource("aws:s3/bucket:Bucket", "models", {"bucket": "prod-ca-models"})

_replica_bucket := _with(
	_resource("aws:s3/bucket:Bucket", "models-replica", {"bucket": "prod-ca-models-replica"}),
	[{"op": "replace", "path": "/region", "value": "ca-west-1"}],
)

_replication := _with(
	_resource("aws:s3/bucketReplicationConfig:BucketReplicationConfig", "models-replication", {
		"bucket": "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
		"role": "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
		"rules": [{"id": "all", "status": "Enabled", "destination": {"bucket": "04da6b54-80e4-46f7-96ec-b56ff0331ba9"}}],
	}),
	[{"op": "replace", "path": "/deps", "value": {"bucket": [_bucket.urn], "rules": [_replica_bucket.urn]}}],
)

_key := _resource("aws:kms/key:Key", "audit", {"enableKeyRotation": true})

_log_group := _resource("aws:cloudwatch/logGroup:LogGroup", "audit", {"retentionInDays": 400})

_trail := _resource("aws:cloudtrail/trail:Trail", "audit", {"enableLogFileValidation": true})

_iam_role := _with(
	_resource("aws:iam/role:Role", "node", {"assumeRolePolicy": "{}"}),
	[{"op": "replace", "path": "/region", "value": null}],
)

_labels(model, track) := {
	"app.kubernetes.io/name": "vllm", "app.kubernetes.io/part-of": "servegate",
	"servegate.io/role": "model-server", "servegate.io/model": model, "servegate.io/track": track,
}

_model_server := _resource("kubernetes:apps/v1:Deployment", "llama-8b", {
	"metadata": {
		"name": "llama-8b", "namespace": "serving", "labels": _labels("llama-8b", "stable"),
		"annotations": {"servegate.io/model-source": "s3://prod-ca-models/llama-3.1-8b"},
	},
	"spec": {"replicas": 2, "template": {
		"metadata": {"labels": _labels("llama-8b", "stable")},
		"spec": {
			"initContainers": [{
				"name": "fetch-weights", "image": sprintf("%s/mirror/aws-cli:2.17.0", [_ecr]),
				"command": ["aws", "s3", "sync"],
				"args": ["s3://prod-ca-models/llama-3.1-8b", "/models", "--region", "ca-central-1"],
			}],
			"containers": [{
				"name": "vllm", "image": sprintf("%s/mirror/vllm/vllm-openai:v0.33.0", [_ecr]),
				"args": ["--model=/models", "--served-model-name=meta-llama/Llama-3.1-8B-Instruct"],
				"env": [{"name": "HF_HUB_OFFLINE", "value": "1"}],
			}],
		},
	}},
})

_release := _resource("kubernetes:helm.sh/v3:Release", "monitoring", {
	"chart": sprintf("oci://%s/charts/kube-prometheus-stack", [_ecr]), "version": "77.0.0",
})

_envoy_proxy := _resource("kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy", "gateway", {
	"metadata": {"name": "gateway", "namespace": "gateway", "labels": {"servegate.io/role": "gateway"}},
	"spec": {"provider": {"type": "Kubernetes", "kubernetes": {
		"envoyDeployment": {"replicas": 2},
		"envoyService": {"annotations": {"service.beta.kubernetes.io/aws-load-balancer-scheme": "internal"}},
	}}},
})

_backend := _resource("kubernetes:gateway.envoyproxy.io/v1alpha1:Backend", "llama-8b", {
	"metadata": {"name": "llama-8b", "namespace": "gateway"},
	"spec": {"endpoints": [{"fqdn": {"hostname": "llama-8b.serving.svc.cluster.local", "port": 8000}}]},
})

_ai_backend := _resource("kubernetes:aigateway.envoyproxy.io/v1beta1:AIServiceBackend", "llama-8b", {
	"metadata": {"name": "llama-8b", "namespace": "gateway"},
	"spec": {"schema": {"name": "OpenAI"}, "backendRef": {"name": "llama-8b", "kind": "Backend", "group": "gateway.envoyproxy.io"}},
})

_compliant := [
	_bucket, _replica_bucket, _replication, _key, _log_group, _trail, _iam_role,
	_model_server, _release, _envoy_proxy, _backend, _ai_backend,
]

# Input is replaced key by key: regopy 1.5.2 crashes on `with input as <object>` once a rule
# hands input to a function, and regorus wants a local rather than a rule reference there.
_denials(resources, declared) := denials if {
	inventory := _inventory_with(resources, declared)
	denials := residency.deny with input.stack as inventory.stack
		with input.declared as inventory.declared
		with input.resources as inventory.resources
		with input.by_type as inventory.by_type
}

# Replace the compliant resource with the same URN by a changed copy.
_swap(changed) := [r | some r in _compliant; r.urn != changed.urn] if {
	some original in _compliant
	original.urn == changed.urn
}

_fired(denials, rule_id) := {d.urn | some d in denials; d.rule_id == rule_id}

# Exactly one finding, of this rule, on this resource.
_only(denials, rule_id, urn) if {
	{[d.rule_id, d.urn] | some d in denials} == {[rule_id, urn]}
}

_undecided_on(denials, rule_id, urn) if {
	some d in denials
	d.rule_id == rule_id
	d.urn == urn
	d.undecided == true
}

test_compliant_stack_has_no_findings if {
	count(_denials(_compliant, _declared)) == 0
	count(_denials(_compliant, _open_declared)) == 0
}

# -- RES-001 -----------------------------------------------------------------------------------

test_res_001_region_in_zone_allowed if {
	moved := _with(_bucket, [{"op": "replace", "path": "/region", "value": "ca-west-1"}])
	count(_fired(_denials(array.concat(_swap(moved), [moved]), _declared), "RES-001")) == 0
}

test_res_001_region_outside_zone_denied if {
	moved := _with(_bucket, [{"op": "replace", "path": "/region", "value": "us-east-1"}])
	_only(_denials(array.concat(_swap(moved), [moved]), _declared), "RES-001", moved.urn)
}

test_res_001_global_and_kubernetes_types_skipped if {
	# IAM has no region; Kubernetes objects live in the cluster.
	count(_fired(_denials(_compliant, _declared), "RES-001")) == 0
	_iam_role.region == null
}

test_res_001_unknown_region_undecided_on_open_stack if {
	unknown := _with(_bucket, [{"op": "replace", "path": "/region", "value": "04da6b54-80e4-46f7-96ec-b56ff0331ba9"}])
	_undecided_on(_denials(array.concat(_swap(unknown), [unknown]), _open_declared), "RES-001", unknown.urn)
}

test_res_001_unknown_zone_denied_once_on_stack if {
	declared := json.patch(_declared, [{"op": "replace", "path": "/residency/zone", "value": "mars"}])
	# Other residency rules still fail closed (no region is in an unknown zone).
	_fired(_denials(_compliant, declared), "RES-001") == {_stack.urn}
}

# -- RES-002 -----------------------------------------------------------------------------------

test_res_002_known_region_allowed if {
	count(_fired(_denials(_compliant, _declared), "RES-002")) == 0
}

test_res_002_missing_region_denied_on_sovereign_stack if {
	lost := _with(_bucket, [{"op": "replace", "path": "/region", "value": null}])
	_only(_denials(array.concat(_swap(lost), [lost]), _declared), "RES-002", lost.urn)
}

test_res_002_unknown_region_denied_on_sovereign_stack if {
	unknown := _with(_bucket, [{"op": "replace", "path": "/region", "value": "04da6b54-80e4-46f7-96ec-b56ff0331ba9"}])
	_only(_denials(array.concat(_swap(unknown), [unknown]), _declared), "RES-002", unknown.urn)
}

test_res_002_missing_region_not_judged_on_open_stack if {
	lost := _with(_bucket, [{"op": "replace", "path": "/region", "value": null}])
	count(_denials(array.concat(_swap(lost), [lost]), _open_declared)) == 0
}

# -- RES-003 -----------------------------------------------------------------------------------

test_res_003_in_zone_destination_allowed if {
	count(_fired(_denials(_compliant, _declared), "RES-003")) == 0
}

test_res_003_out_of_zone_destination_by_dependency_denied if {
	# The destination bucket itself is judged by RES-001; RES-003 names the replication.
	moved := _with(_replica_bucket, [{"op": "replace", "path": "/region", "value": "us-west-2"}])
	denials := _denials(array.concat(_swap(moved), [moved]), _declared)
	_fired(denials, "RES-003") == {_replication.urn}
	_fired(denials, "RES-001") == {moved.urn}
}

test_res_003_out_of_zone_destination_by_arn_denied if {
	moved := _with(_replica_bucket, [{"op": "replace", "path": "/region", "value": "eu-west-1"}])
	by_arn := _with(_replication, [
		{"op": "replace", "path": "/props/rules/0/destination/bucket", "value": "arn:aws:s3:::prod-ca-models-replica"},
		{"op": "replace", "path": "/deps", "value": {}},
	])
	resources := array.concat([r | some r in _swap(moved); r.urn != by_arn.urn], [moved, by_arn])
	_fired(_denials(resources, _declared), "RES-003") == {by_arn.urn}
}

test_res_003_external_destination_denied_on_sovereign_stack if {
	external := _with(_replication, [
		{"op": "replace", "path": "/props/rules/0/destination/bucket", "value": "arn:aws:s3:::someone-elses-bucket"},
	])
	_only(_denials(array.concat(_swap(external), [external]), _declared), "RES-003", external.urn)
}

test_res_003_external_destination_undecided_on_open_stack if {
	external := _with(_replication, [
		{"op": "replace", "path": "/props/rules/0/destination/bucket", "value": "arn:aws:s3:::someone-elses-bucket"},
	])
	_undecided_on(_denials(array.concat(_swap(external), [external]), _open_declared), "RES-003", external.urn)
}

# -- RES-004 -----------------------------------------------------------------------------------

test_res_004_evidence_in_zone_allowed if {
	count(_fired(_denials(_compliant, _declared), "RES-004")) == 0
}

test_res_004_log_group_outside_zone_denied if {
	moved := _with(_log_group, [{"op": "replace", "path": "/region", "value": "us-east-1"}])
	_only(_denials(array.concat(_swap(moved), [moved]), _declared), "RES-004", moved.urn)
}

test_res_004_trail_outside_zone_denied_on_open_stack if {
	moved := _with(_trail, [{"op": "replace", "path": "/region", "value": "us-east-1"}])
	_only(_denials(array.concat(_swap(moved), [moved]), _open_declared), "RES-004", moved.urn)
}

test_res_004_key_without_region_denied if {
	lost := _with(_key, [{"op": "replace", "path": "/region", "value": null}])
	_only(_denials(array.concat(_swap(lost), [lost]), _declared), "RES-004", lost.urn)
}

# -- RES-005 -----------------------------------------------------------------------------------

test_res_005_stack_bucket_and_pvc_allowed if {
	pvc := _with(_model_server, [
		{"op": "replace", "path": "/props/metadata/annotations/servegate.io~1model-source", "value": "pvc://weights/llama"},
		{"op": "remove", "path": "/props/spec/template/spec/initContainers"},
	])
	count(_fired(_denials(array.concat(_swap(pvc), [pvc]), _declared), "RES-005")) == 0
	count(_fired(_denials(_compliant, _declared), "RES-005")) == 0
}

test_res_005_hugging_face_source_denied if {
	hf := _with(_model_server, [
		{"op": "replace", "path": "/props/metadata/annotations/servegate.io~1model-source", "value": "hf://meta-llama/Llama-3.1-8B-Instruct"},
	])
	_only(_denials(array.concat(_swap(hf), [hf]), _declared), "RES-005", hf.urn)
}

test_res_005_https_in_init_container_args_denied if {
	web := _with(_model_server, [
		{"op": "replace", "path": "/props/spec/template/spec/initContainers/0/args/0", "value": "https://example.com/llama.tar"},
	])
	_only(_denials(array.concat(_swap(web), [web]), _declared), "RES-005", web.urn)
}

test_res_005_bucket_in_foreign_region_denied if {
	foreign := _with(_model_server, [
		{"op": "replace", "path": "/props/spec/template/spec/initContainers/0/args/0", "value": "s3://weights-mirror-us-east-1/llama"},
	])
	_only(_denials(array.concat(_swap(foreign), [foreign]), _declared), "RES-005", foreign.urn)
}

test_res_005_sync_from_foreign_region_denied if {
	foreign := _with(_model_server, [
		{"op": "replace", "path": "/props/spec/template/spec/initContainers/0/args/3", "value": "us-east-1"},
	])
	_only(_denials(array.concat(_swap(foreign), [foreign]), _declared), "RES-005", foreign.urn)
}

test_res_005_not_judged_when_not_air_gapped if {
	hf := _with(_model_server, [
		{"op": "replace", "path": "/props/metadata/annotations/servegate.io~1model-source", "value": "hf://meta-llama/Llama-3.1-8B-Instruct"},
	])
	count(_fired(_denials(array.concat(_swap(hf), [hf]), _open_declared), "RES-005")) == 0
}

# -- RES-006 -----------------------------------------------------------------------------------

test_res_006_offline_env_allowed if {
	count(_fired(_denials(_compliant, _declared), "RES-006")) == 0
}

test_res_006_missing_offline_env_denied if {
	online := _with(_model_server, [{"op": "replace", "path": "/props/spec/template/spec/containers/0/env", "value": []}])
	_only(_denials(array.concat(_swap(online), [online]), _declared), "RES-006", online.urn)
}

test_res_006_offline_zero_denied if {
	online := _with(_model_server, [{"op": "replace", "path": "/props/spec/template/spec/containers/0/env/0/value", "value": "0"}])
	_only(_denials(array.concat(_swap(online), [online]), _declared), "RES-006", online.urn)
}

# -- RES-007 -----------------------------------------------------------------------------------

test_res_007_in_zone_registries_allowed if {
	by_repo := _with(_release, [
		{"op": "replace", "path": "/props/chart", "value": "kube-prometheus-stack"},
		{"op": "add", "path": "/props/repositoryOpts", "value": {"repo": sprintf("oci://%s/charts", [_ecr])}},
	])
	count(_fired(_denials(array.concat(_swap(by_repo), [by_repo]), _declared), "RES-007")) == 0
}

test_res_007_public_image_denied if {
	public := _with(_model_server, [{"op": "replace", "path": "/props/spec/template/spec/containers/0/image", "value": "vllm/vllm-openai:v0.33.0"}])
	_only(_denials(array.concat(_swap(public), [public]), _declared), "RES-007", public.urn)
}

test_res_007_init_container_from_foreign_ecr_denied if {
	foreign := _with(_model_server, [{
		"op": "replace", "path": "/props/spec/template/spec/initContainers/0/image",
		"value": "111122223333.dkr.ecr.us-east-1.amazonaws.com/aws-cli:2.17.0",
	}])
	_only(_denials(array.concat(_swap(foreign), [foreign]), _declared), "RES-007", foreign.urn)
}

test_res_007_public_chart_repository_denied if {
	public := _with(_release, [
		{"op": "replace", "path": "/props/chart", "value": "kube-prometheus-stack"},
		{"op": "add", "path": "/props/repositoryOpts", "value": {"repo": "https://prometheus-community.github.io/helm-charts"}},
	])
	_only(_denials(array.concat(_swap(public), [public]), _declared), "RES-007", public.urn)
}

# -- RES-008 -----------------------------------------------------------------------------------

test_res_008_nat_gateway_allowed_when_not_air_gapped if {
	nat := _resource("aws:ec2/natGateway:NatGateway", "egress", {})
	count(_fired(_denials(array.concat(_compliant, [nat]), _open_declared), "RES-008")) == 0
}

test_res_008_nat_gateway_denied_when_air_gapped if {
	nat := _resource("aws:ec2/natGateway:NatGateway", "egress", {})
	_only(_denials(array.concat(_compliant, [nat]), _declared), "RES-008", nat.urn)
}

test_res_008_internet_gateway_denied_when_air_gapped if {
	igw := _resource("aws:ec2/internetGateway:InternetGateway", "igw", {})
	_only(_denials(array.concat(_compliant, [igw]), _declared), "RES-008", igw.urn)
}

# -- RES-009 -----------------------------------------------------------------------------------

_public_proxy := _with(_envoy_proxy, [{
	"op": "replace",
	"path": "/props/spec/provider/kubernetes/envoyService/annotations/service.beta.kubernetes.io~1aws-load-balancer-scheme",
	"value": "internet-facing",
}])

test_res_009_internal_gateway_allowed if {
	count(_fired(_denials(_compliant, _declared), "RES-009")) == 0
}

test_res_009_internet_facing_gateway_denied if {
	_only(_denials(array.concat(_swap(_public_proxy), [_public_proxy]), _declared), "RES-009", _public_proxy.urn)
}

test_res_009_internet_facing_gateway_allowed_when_declared if {
	declared := json.patch(_declared, [{"op": "replace", "path": "/gateway/internetFacing", "value": true}])
	count(_fired(_denials(array.concat(_swap(_public_proxy), [_public_proxy]), declared), "RES-009")) == 0
}

test_res_009_load_balancer_service_without_scheme_denied if {
	service := _resource("kubernetes:core/v1:Service", "debug", {"metadata": {"name": "debug"}, "spec": {"type": "LoadBalancer"}})
	_only(_denials(array.concat(_compliant, [service]), _declared), "RES-009", service.urn)
}

test_res_009_internal_load_balancer_service_allowed if {
	service := _resource("kubernetes:core/v1:Service", "debug", {
		"metadata": {"name": "debug", "annotations": {"service.beta.kubernetes.io/aws-load-balancer-scheme": "internal"}},
		"spec": {"type": "LoadBalancer"},
	})
	count(_denials(array.concat(_compliant, [service]), _declared)) == 0
}

# -- RES-010 -----------------------------------------------------------------------------------

test_res_010_in_cluster_backend_allowed if {
	count(_fired(_denials(_compliant, _declared), "RES-010")) == 0
}

test_res_010_external_backend_denied if {
	external := _with(_backend, [{"op": "replace", "path": "/props/spec/endpoints/0/fqdn/hostname", "value": "api.openai.com"}])
	denials := _denials(array.concat(_swap(external), [external]), _declared)
	_fired(denials, "RES-010") == {external.urn, _ai_backend.urn}
}

test_res_010_ip_endpoint_denied if {
	by_ip := _with(_backend, [{"op": "replace", "path": "/props/spec/endpoints/0", "value": {"ip": {"address": "203.0.113.7", "port": 443}}}])
	denials := _denials(array.concat(_swap(by_ip), [by_ip]), _declared)
	by_ip.urn in _fired(denials, "RES-010")
}

test_res_010_ai_backend_to_unknown_backend_denied if {
	dangling := _with(_ai_backend, [{"op": "replace", "path": "/props/spec/backendRef/name", "value": "openai"}])
	_only(_denials(array.concat(_swap(dangling), [dangling]), _declared), "RES-010", dangling.urn)
}

test_res_010_deprecated_v1alpha1_ai_backend_still_judged if {
	dangling := _resource("kubernetes:aigateway.envoyproxy.io/v1alpha1:AIServiceBackend", "legacy", {
		"metadata": {"name": "legacy", "namespace": "gateway"},
		"spec": {"schema": {"name": "OpenAI"}, "backendRef": {"name": "openai", "kind": "Backend", "group": "gateway.envoyproxy.io"}},
	})
	_only(_denials(array.concat(_compliant, [dangling]), _declared), "RES-010", dangling.urn)
}

test_res_010_external_backend_allowed_on_open_stack if {
	external := _with(_backend, [{"op": "replace", "path": "/props/spec/endpoints/0/fqdn/hostname", "value": "api.openai.com"}])
	count(_fired(_denials(array.concat(_swap(external), [external]), _open_declared), "RES-010")) == 0
}
