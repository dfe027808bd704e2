# The sla rules' shared test builders (a compliant stack and its parts), on lib.test_kit; each
# rule's cases are in <id>_<slug>_test.rego beside the rule.
package sla_test

import data.lib.test_kit as kit
import rego.v1

# The Pod Security Standards, digest and SLA-020 rules are judged by their own test files (kit:
# lib/test_kit.rego); these fixtures predate them and leave their findings out.
_denials(resources, declared) := {d |
	some d in kit.denials("sla", kit.inventory(resources, declared))
	not d.rule_id in data.lib.test_kit.rule_ids
}

_declared := {
	"environment": "prod",
	"residency": {"zone": "ca", "sovereign": true, "airGapped": true},
	"sla": {"availability": 99.9, "latency": {"ttftP95Seconds": 1.5, "e2eP95Seconds": 20}},
	"budget": {"monthlyUsd": 30000},
	"tags": {},
	"gateway": {"internetFacing": false},
	"registry": {"images": null, "charts": null},
}

_no_sla := json.patch(_declared, [
	{"op": "replace", "path": "/sla", "value": null},
	{"op": "replace", "path": "/environment", "value": "dev"},
])

_image := "111122223333.dkr.ecr.ca-central-1.amazonaws.com/mirror/vllm/vllm-openai:v0.33.0"

_labels(model, track) := {
	"app.kubernetes.io/name": "vllm", "app.kubernetes.io/part-of": "servegate",
	"servegate.io/role": "model-server", "servegate.io/model": model, "servegate.io/track": track,
}

_selector(model, track) := {"servegate.io/model": model, "servegate.io/track": track}

_probe := {"httpGet": {"path": "/health", "port": 8000}}

_server(name, model, track, pool, gpus, replicas) := kit.resource("kubernetes:apps/v1:Deployment", name, {
	"metadata": {"name": name, "namespace": "serving", "labels": _labels(model, track)},
	"spec": {
		"replicas": replicas,
		"selector": {"matchLabels": _selector(model, track)},
		"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
		"template": {
			"metadata": {"labels": _labels(model, track)},
			"spec": {
				"nodeSelector": {"servegate.io/pool": pool, "servegate.io/gpu": "L4"},
				"tolerations": [{"key": "nvidia.com/gpu", "operator": "Equal", "value": "true", "effect": "NoSchedule"}],
				"topologySpreadConstraints": [{
					"maxSkew": 1,
					"topologyKey": "topology.kubernetes.io/zone",
					"whenUnsatisfiable": "DoNotSchedule",
					"labelSelector": {"matchLabels": _selector(model, track)},
				}],
				"containers": [{
					"name": "vllm", "image": _image,
					"args": ["--served-model-name=meta-llama/Llama-3.1-8B-Instruct", "--max-model-len=8192"],
					"resources": {"limits": {"nvidia.com/gpu": gpus}},
					"startupProbe": _probe, "readinessProbe": _probe, "livenessProbe": _probe,
				}],
			},
		},
	},
})

_stable_server := _server("llama-8b", "llama-8b", "stable", "l4", "1", 2)

_canary := _server("llama-8b-v2", "llama-8b", "canary", "l4", "1", 1)

_pdb(name, model, track) := kit.resource("kubernetes:policy/v1:PodDisruptionBudget", name, {
	"metadata": {"name": name, "namespace": "serving"},
	"spec": {"minAvailable": 1, "selector": {"matchLabels": _selector(model, track)}},
})

_stable_pdb := _pdb("llama-8b", "llama-8b", "stable")

_canary_pdb := _pdb("llama-8b-v2", "llama-8b", "canary")

_scaled_object := kit.resource("kubernetes:keda.sh/v1alpha1:ScaledObject", "llama-8b", {
	"metadata": {"name": "llama-8b", "namespace": "serving", "labels": _labels("llama-8b", "stable")},
	"spec": {"scaleTargetRef": {"name": "llama-8b"}, "minReplicaCount": 2, "maxReplicaCount": 5},
})

_subnet(zone) := kit.resource("aws:ec2/subnet:Subnet", concat("-", ["private", zone]), {"availabilityZone": zone})

_subnets := [_subnet("ca-central-1a"), _subnet("ca-central-1b"), _subnet("ca-central-1d")]

_node_group := kit.with_patches(
	kit.resource("aws:eks/nodeGroup:NodeGroup", "l4", {
		"clusterName": "prod-ca-eks",
		"nodeGroupName": "l4",
		"instanceTypes": ["g6.xlarge"],
		"amiType": "AL2023_x86_64_NVIDIA",
		"capacityType": "ON_DEMAND", "scalingConfig": {"minSize": 3, "maxSize": 6, "desiredSize": 3},
		"labels": {
			"servegate.io/pool": "l4",
			"servegate.io/gpu": "L4",
			"servegate.io/gpus-per-node": "1",
			"servegate.io/role": "gpu",
		},
		"taints": [{"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}],
	}),
	[{"op": "replace", "path": "/deps", "value": {"subnetIds": [s.urn | some s in _subnets]}}],
)

_envoy_proxy := kit.resource("kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy", "gateway", {
	"metadata": {"name": "gateway", "namespace": "gateway", "labels": {"servegate.io/role": "gateway"}},
	"spec": {"provider": {"type": "Kubernetes", "kubernetes": {"envoyDeployment": {"replicas": 2}}}},
})

_prometheus_rule := kit.resource("kubernetes:monitoring.coreos.com/v1:PrometheusRule", "slo", {
	"metadata": {"name": "slo", "namespace": "monitoring"},
	"spec": {"groups": [{"name": "llama-8b-slo", "rules": [
		{"record": "slo:errors:ratio_rate5m", "expr": "0"},
		{
			"alert": "ModelErrorBudgetBurn",
			"expr": concat("", [
				"sum(rate(envoy_cluster_upstream_rq{envoy_response_code=~\"5..\"}[1h])) ",
				"/ sum(rate(envoy_cluster_upstream_rq[1h])) > 0.0144",
			]),
			"labels": {"model": "llama-8b", "slo": "availability", "severity": "page"},
		},
	]}]},
})

_exporter := kit.resource("kubernetes:apps/v1:DaemonSet", "dcgm-exporter", {
	"metadata": {"name": "dcgm-exporter", "namespace": "monitoring"},
	"spec": {"template": {"spec": {
		"initContainers": [{
			"name": "wait",
			"image": concat("", [
				"111122223333.dkr.ecr.ca-central-1.amazonaws.com/mirror/busybox@sha256:",
				"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
			]),
		}],
		"containers": [{
			"name": "exporter",
			"image": "111122223333.dkr.ecr.ca-central-1.amazonaws.com:443/mirror/dcgm-exporter:4.2.3-4.1.3-ubuntu22.04",
		}],
	}}},
})

# The node autoscaler of the cluster (SLA-017): the chart's default auto-discovery tags.
_cluster_autoscaler := kit.resource("kubernetes:helm.sh/v3:Release", "cluster-autoscaler", {
	"chart": "oci://111122223333.dkr.ecr.ca-central-1.amazonaws.com/charts/cluster-autoscaler",
	"version": "9.59.0", "namespace": "kube-system",
	"values": {"cloudProvider": "aws", "awsRegion": "ca-central-1", "autoDiscovery": {"clusterName": "prod-ca-eks"}},
})

_compliant := array.concat(_subnets, [
	_stable_server, _canary, _stable_pdb, _canary_pdb, _scaled_object, _node_group,
	_envoy_proxy, _prometheus_rule, _exporter, _gateway_monitor, _cluster_autoscaler,
])

# The compliant stack with one resource replaced (same URN) or added.
_changed(changed) := array.concat([r | some r in _compliant; r.urn != changed.urn], [changed])

test_compliant_stack_has_no_findings if {
	count(_denials(_compliant, _declared)) == 0
	count(_denials(_compliant, _no_sla)) == 0
}


# -- builders several rules' tests share (moved here so each rule's tests load alone) --

# SLA-017 on the compliant serving fixture of sla_test.rego: pool l4 holds 3 GPUs at its
# minimum; llama-8b can scale to 5 replicas and its canary runs 1, so the pool needs a node
# autoscaler, which _cluster_autoscaler is.

_without_autoscaler := [r | some r in _compliant; r.urn != _cluster_autoscaler.urn]

_node_pool(template) := kit.resource("kubernetes:karpenter.sh/v1:NodePool", "l4", {
	"metadata": {"name": "l4"},
	"spec": {"template": template, "limits": {"nvidia.com/gpu": 3}},
})

_gpu_taint := {"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}

# SLA-019 on the builders of sla_test.rego: _prometheus_rule's availability alert reads
# Envoy's per-cluster responses and _gateway_monitor scrapes the proxies.

_gateway_monitor := kit.resource("kubernetes:monitoring.coreos.com/v1:PodMonitor", "gateway", {
	"metadata": {"name": "gateway", "namespace": "monitoring"},
	"spec": {
		"namespaceSelector": {"matchNames": ["envoy-gateway-system"]},
		"selector": {"matchLabels": {
			"app.kubernetes.io/name": "envoy", "app.kubernetes.io/component": "proxy",
			"app.kubernetes.io/managed-by": "envoy-gateway",
		}},
		"podMetricsEndpoints": [{"port": "metrics", "path": "/stats/prometheus"}],
	},
})


# -- builders several rules' tests share (moved here so each rule's tests load alone) --

# Builders of an analysed canary (also used by the SLA-022 and SLA-023 tests): a Rollout taking
# over llama-8b's Deployment in steps 5/25/50, each analysed by an AnalysisTemplate holding the
# gateway SLIs to _declared's SLO (99.9 %: budget 0.001; TTFT 1.5 s; end to end 20 s), its
# queries shaped as components/slo_rules.py builds them.

_rollout_type := "kubernetes:argoproj.io/v1alpha1:Rollout"

_template_type := "kubernetes:argoproj.io/v1alpha1:AnalysisTemplate"

_guarded(op, bound) := concat("", ["len(result) > 0 && !isNaN(result[0]) && result[0] ", op, " ", bound])

_analysis_metric(name, query, bound) := {
	"name": name, "interval": "1m", "count": 5, "failureLimit": 0, "inconclusiveLimit": 0,
	"successCondition": _guarded("<=", bound), "failureCondition": _guarded(">", bound),
	"provider": {"prometheus": {"address": "http://prometheus:9090", "query": query}},
}

_error_query := concat("", [
	"(sum(rate(envoy_cluster_upstream_rq{envoy_response_code=~\"5..|429\"}[5m])) or vector(0))",
	" / sum(rate(envoy_cluster_upstream_rq{envoy_response_code!=\"499\"}[5m]))",
])

_slow_query(metric, below, above, fraction) := concat("", [
	"1 - ((sum(rate(", metric, "_bucket{le=\"", below, "\"}[5m])) + (sum(rate(", metric,
	"_bucket{le=\"", above, "\"}[5m])) - sum(rate(", metric, "_bucket{le=\"", below,
	"\"}[5m]))) * ", fraction, ") / sum(rate(", metric, "_count[5m])))",
])

# 1.0 + 0.333333 * (2.5 - 1.0) = 1.4999995 s; 10.24 + 0.953125 * 10.24 = 20 s.
_ttft_query := _slow_query("gen_ai_server_time_to_first_token_seconds", "1.0", "2.5", "0.333333")

_e2e_query := _slow_query("gen_ai_server_request_duration_seconds", "10.24", "20.48", "0.953125")

# The canary's pods alone: vLLM's histograms selected on the hash the steps pass (vLLM's
# TTFT buckets also have 1.0 and 2.5; its end-to-end buckets have 20 s itself).
_hash_matcher := "rollouts_pod_template_hash=\"{{args.canary-pod-template-hash}}\""

_canary_ttft_query := replace(
	_slow_query("vllm:time_to_first_token_seconds", "1.0", "2.5", "0.333333"),
	"_bucket{", concat("", ["_bucket{", _hash_matcher, ", "]),
)

_canary_e2e_query := concat("", [
	"1 - (sum(rate(vllm:e2e_request_latency_seconds_bucket{", _hash_matcher, ", le=\"20.0\"}[5m]))",
	" / sum(rate(vllm:e2e_request_latency_seconds_count{", _hash_matcher, "}[5m])))",
])

# The canary's pods' server errors: vLLM's HTTP counter, readiness probes left out.
_canary_error_query := concat("", [
	"(sum(rate(http_requests_total{", _hash_matcher, ", handler!=\"/v1/models\", status=\"5xx\"}[5m]))",
	" or vector(0)) / sum(rate(http_requests_total{", _hash_matcher, ", handler!=\"/v1/models\"}[5m]))",
])

_analysis_metrics := [
	_analysis_metric("error-ratio", _error_query, "0.001"),
	_analysis_metric("ttft-slow-ratio", _ttft_query, "0.05"),
	_analysis_metric("e2e-slow-ratio", _e2e_query, "0.05"),
	_analysis_metric("canary-ttft-slow-ratio", _canary_ttft_query, "0.05"),
	_analysis_metric("canary-e2e-slow-ratio", _canary_e2e_query, "0.05"),
	_analysis_metric("canary-error-ratio", _canary_error_query, "0.001"),
]

_template_with(metrics) := kit.resource(_template_type, "llama-8b-analysis", {
	"metadata": {"name": "vllm-llama-8b-slo", "namespace": "serving"},
	"spec": {"metrics": metrics},
})

_template := _template_with(_analysis_metrics)

_latest_hash := [{"name": "canary-pod-template-hash", "valueFrom": {"podTemplateHashValue": "Latest"}}]

_analysis_step(args) := {"analysis": {"templates": [{"templateName": "vllm-llama-8b-slo"}], "args": args}}

_analysed_steps := [
	{"setWeight": 5}, _analysis_step(_latest_hash),
	{"setWeight": 25}, _analysis_step(_latest_hash),
	{"setWeight": 50}, _analysis_step(_latest_hash),
]

_rollout_with(canary, replicas) := kit.resource(_rollout_type, "llama-8b-rollout", {
	"metadata": {"name": "vllm-llama-8b", "namespace": "serving"},
	"spec": {
		"replicas": replicas,
		"workloadRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "llama-8b", "scaleDown": "onsuccess"},
		"strategy": {"canary": canary},
	},
})

_rollout_steps(steps) := _rollout_with({"maxSurge": 1, "maxUnavailable": 0, "steps": steps}, 2)

_rollout := _rollout_steps(_analysed_steps)

# The canary alone: each rule's own cases judge only it (rego-cpp evaluates every rule of the
# package per query, with no caching, so the whole compliant stack is judged once, above).
_canary_set := [_rollout, _template]

# Metric i with `field` set, by slicing: rego-cpp 1.5 rejects json.patch with a computed path as
# not well-formed, and leaves a comprehension over an index inside a function empty.
_with_metric(i, field, value) := _template_with(array.concat(
	array.concat(array.slice(_analysis_metrics, 0, i), [object.union(_analysis_metrics[i], {field: value})]),
	array.slice(_analysis_metrics, i + 1, count(_analysis_metrics)),
))

_rule_denials(rule_id, resources) := [d | some d in _denials(resources, _declared); d.rule_id == rule_id]

_swap(resources, changed) := array.concat([r | some r in resources; r.urn != changed.urn], [changed])
