# The residency rules' shared test builders (a compliant stack and its parts), on lib.test_kit; each
# rule's cases are in <id>_<slug>_test.rego beside the rule.
package residency_test

import data.lib.test_kit as kit
import rego.v1

# The Pod Security Standards, digest and SLA-020 rules are judged by their own test files (kit:
# lib/test_kit.rego); these fixtures predate them and leave their findings out.
_denials(resources, declared) := {d |
	some d in kit.denials("residency", kit.inventory(resources, declared))
	not d.rule_id in data.lib.test_kit.rule_ids
}

_ecr := "111122223333.dkr.ecr.ca-central-1.amazonaws.com"

_declared := {
	"environment": "prod",
	"residency": {"zone": "ca", "sovereign": true, "airGapped": true},
	"sla": {"availability": 99.9},
	"budget": {"monthlyUsd": 30000},
	"tags": {},
	"gateway": {"internetFacing": false},
	"registry": {"images": concat("", [_ecr, "/mirror"]), "charts": concat("", ["oci://", _ecr, "/charts"])},
}

_open_declared := json.patch(_declared, [
	{"op": "replace", "path": "/residency", "value": {"zone": "ca", "sovereign": false, "airGapped": false}},
])

_bucket := kit.resource("aws:s3/bucket:Bucket", "models", {"bucket": "prod-ca-models"})

_replica_bucket := kit.with_patches(
	kit.resource("aws:s3/bucket:Bucket", "models-replica", {"bucket": "prod-ca-models-replica"}),
	[{"op": "replace", "path": "/region", "value": "ca-west-1"}],
)

_replication := kit.with_patches(
	kit.resource("aws:s3/bucketReplicationConfig:BucketReplicationConfig", "models-replication", {
		"bucket": "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
		"role": "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
		"rules": [{"id": "all", "status": "Enabled", "destination": {"bucket": "04da6b54-80e4-46f7-96ec-b56ff0331ba9"}}],
	}),
	[{"op": "replace", "path": "/deps", "value": {"bucket": [_bucket.urn], "rules": [_replica_bucket.urn]}}],
)

_key := kit.resource("aws:kms/key:Key", "audit", {"enableKeyRotation": true})

_log_group := kit.resource("aws:cloudwatch/logGroup:LogGroup", "audit", {"retentionInDays": 400})

_trail := kit.resource("aws:cloudtrail/trail:Trail", "audit", {"enableLogFileValidation": true})

_iam_role := kit.with_patches(
	kit.resource("aws:iam/role:Role", "node", {"assumeRolePolicy": "{}"}),
	[{"op": "replace", "path": "/region", "value": null}],
)

_labels(model, track) := {
	"app.kubernetes.io/name": "vllm", "app.kubernetes.io/part-of": "servegate",
	"servegate.io/role": "model-server", "servegate.io/model": model, "servegate.io/track": track,
}

_model_server := kit.resource("kubernetes:apps/v1:Deployment", "llama-8b", {
	"metadata": {
		"name": "llama-8b", "namespace": "serving", "labels": _labels("llama-8b", "stable"),
		"annotations": {"servegate.io/model-source": "s3://prod-ca-models/llama-3.1-8b"},
	},
	"spec": {"replicas": 2, "template": {
		"metadata": {"labels": _labels("llama-8b", "stable")},
		"spec": {
			"initContainers": [{
				"name": "fetch-weights", "image": concat("", [_ecr, "/mirror/aws-cli:2.17.0"]),
				"command": ["aws", "s3", "sync"],
				"args": ["s3://prod-ca-models/llama-3.1-8b", "/models", "--region", "ca-central-1"],
			}],
			"containers": [{
				"name": "vllm", "image": concat("", [_ecr, "/mirror/vllm/vllm-openai:v0.33.0"]),
				"args": ["--model=/models", "--served-model-name=meta-llama/Llama-3.1-8B-Instruct"],
				"env": [{"name": "HF_HUB_OFFLINE", "value": "1"}],
			}],
		},
	}},
})

_release := kit.resource("kubernetes:helm.sh/v3:Release", "monitoring", {
	"chart": concat("", ["oci://", _ecr, "/charts/kube-prometheus-stack"]), "version": "77.0.0",
})

_envoy_proxy := kit.resource("kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy", "gateway", {
	"metadata": {"name": "gateway", "namespace": "gateway", "labels": {"servegate.io/role": "gateway"}},
	"spec": {"provider": {"type": "Kubernetes", "kubernetes": {
		"envoyDeployment": {"replicas": 2},
		"envoyService": {"annotations": {"service.beta.kubernetes.io/aws-load-balancer-scheme": "internal"}},
	}}},
})

_backend := kit.resource("kubernetes:gateway.envoyproxy.io/v1alpha1:Backend", "llama-8b", {
	"metadata": {"name": "llama-8b", "namespace": "gateway"},
	"spec": {"endpoints": [{"fqdn": {"hostname": "llama-8b.serving.svc.cluster.local", "port": 8000}}]},
})

_ai_backend := kit.resource("kubernetes:aigateway.envoyproxy.io/v1beta1:AIServiceBackend", "llama-8b", {
	"metadata": {"name": "llama-8b", "namespace": "gateway"},
	"spec": {
		"schema": {"name": "OpenAI"},
		"backendRef": {"name": "llama-8b", "kind": "Backend", "group": "gateway.envoyproxy.io"},
	},
})

_compliant := [
	_bucket, _replica_bucket, _replication, _key, _log_group, _trail, _iam_role,
	_model_server, _release, _envoy_proxy, _backend, _ai_backend,
]

# Replace the compliant resource with the same URN by a changed copy.
_swap(changed) := [r | some r in _compliant; r.urn != changed.urn] if {
	some original in _compliant
	original.urn == changed.urn
}

test_compliant_stack_has_no_findings if {
	count(_denials(_compliant, _declared)) == 0
	count(_denials(_compliant, _open_declared)) == 0
}
