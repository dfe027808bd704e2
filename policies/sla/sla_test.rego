package sla_test

import data.sla
import rego.v1

# -- builders: the serving part of a compliant prod-ca stack (availability 99.9, floor 2) ----

_stack := {
	"project": "llm-serving", "name": "prod-ca", "source": "offline", "region": "ca-central-1",
	"urn": "urn:pulumi:prod-ca::llm-serving::pulumi:pulumi:Stack::llm-serving-prod-ca",
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

# concat, not sprintf: regopy 1.5.2 keeps the quotes of string literals passed to functions in %s.
_urn(type_token, name) := concat("::", ["urn:pulumi:prod-ca", "llm-serving", type_token, name])

_resource(type_token, name, props) := {
	"urn": _urn(type_token, name), "type": type_token, "name": name, "parent": null,
	"op": "create", "custom": true, "region": "ca-central-1", "provider": {},
	"props": props, "unknowns": [], "deps": {}, "tags": {},
}

_with(res, patches) := json.patch(res, patches)

_inventory_with(resources, declared) := {
	"stack": _stack,
	"declared": declared,
	"resources": resources,
	"by_type": {t: [i | some i; resources[i].type == t] | some r in resources; t := r.type},
}

_image := "111122223333.dkr.ecr.ca-central-1.amazonaws.com/mirror/vllm/vllm-openai:v0.33.0"

_labels(model, track) := {
	"app.kubernetes.io/name": "vllm", "app.kubernetes.io/part-of": "servegate",
	"servegate.io/role": "model-server", "servegate.io/model": model, "servegate.io/track": track,
}

_selector(model, track) := {"servegate.io/model": model, "servegate.io/track": track}

_probe := {"httpGet": {"path": "/health", "port": 8000}}

_server(name, model, track, pool, gpus, replicas) := _resource("kubernetes:apps/v1:Deployment", name, {
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
				"topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "DoNotSchedule", "labelSelector": {"matchLabels": _selector(model, track)}}],
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

_pdb(name, model, track) := _resource("kubernetes:policy/v1:PodDisruptionBudget", name, {
	"metadata": {"name": name, "namespace": "serving"},
	"spec": {"minAvailable": 1, "selector": {"matchLabels": _selector(model, track)}},
})

_stable_pdb := _pdb("llama-8b", "llama-8b", "stable")

_canary_pdb := _pdb("llama-8b-v2", "llama-8b", "canary")

_scaled_object := _resource("kubernetes:keda.sh/v1alpha1:ScaledObject", "llama-8b", {
	"metadata": {"name": "llama-8b", "namespace": "serving", "labels": _labels("llama-8b", "stable")},
	"spec": {"scaleTargetRef": {"name": "llama-8b"}, "minReplicaCount": 2, "maxReplicaCount": 5},
})

_subnet(zone) := _resource("aws:ec2/subnet:Subnet", concat("-", ["private", zone]), {"availabilityZone": zone})

_subnets := [_subnet("ca-central-1a"), _subnet("ca-central-1b"), _subnet("ca-central-1d")]

_node_group := _with(
	_resource("aws:eks/nodeGroup:NodeGroup", "l4", {
		"clusterName": "prod-ca-eks", "nodeGroupName": "l4", "instanceTypes": ["g6.xlarge"], "amiType": "AL2023_x86_64_NVIDIA",
		"capacityType": "ON_DEMAND", "scalingConfig": {"minSize": 3, "maxSize": 6, "desiredSize": 3},
		"labels": {"servegate.io/pool": "l4", "servegate.io/gpu": "L4", "servegate.io/gpus-per-node": "1", "servegate.io/role": "gpu"},
		"taints": [{"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}],
	}),
	[{"op": "replace", "path": "/deps", "value": {"subnetIds": [s.urn | some s in _subnets]}}],
)

_envoy_proxy := _resource("kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy", "gateway", {
	"metadata": {"name": "gateway", "namespace": "gateway", "labels": {"servegate.io/role": "gateway"}},
	"spec": {"provider": {"type": "Kubernetes", "kubernetes": {"envoyDeployment": {"replicas": 2}}}},
})

_prometheus_rule := _resource("kubernetes:monitoring.coreos.com/v1:PrometheusRule", "slo", {
	"metadata": {"name": "slo", "namespace": "monitoring"},
	"spec": {"groups": [{"name": "llama-8b-slo", "rules": [
		{"record": "slo:errors:ratio_rate5m", "expr": "0"},
		{"alert": "ModelErrorBudgetBurn", "expr": "sum(rate(envoy_cluster_upstream_rq{envoy_response_code=~\"5..\"}[1h])) / sum(rate(envoy_cluster_upstream_rq[1h])) > 0.0144", "labels": {"model": "llama-8b", "slo": "availability", "severity": "page"}},
	]}]},
})

_exporter := _resource("kubernetes:apps/v1:DaemonSet", "dcgm-exporter", {
	"metadata": {"name": "dcgm-exporter", "namespace": "monitoring"},
	"spec": {"template": {"spec": {
		"initContainers": [{"name": "wait", "image": "111122223333.dkr.ecr.ca-central-1.amazonaws.com/mirror/busybox@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}],
		"containers": [{"name": "exporter", "image": "111122223333.dkr.ecr.ca-central-1.amazonaws.com:443/mirror/dcgm-exporter:4.2.3-4.1.3-ubuntu22.04"}],
	}}},
})

# The node autoscaler of the cluster (SLA-017): the chart's default auto-discovery tags.
_cluster_autoscaler := _resource("kubernetes:helm.sh/v3:Release", "cluster-autoscaler", {
	"chart": "oci://111122223333.dkr.ecr.ca-central-1.amazonaws.com/charts/cluster-autoscaler",
	"version": "9.59.0", "namespace": "kube-system",
	"values": {"cloudProvider": "aws", "awsRegion": "ca-central-1", "autoDiscovery": {"clusterName": "prod-ca-eks"}},
})

_compliant := array.concat(_subnets, [
	_stable_server, _canary, _stable_pdb, _canary_pdb, _scaled_object, _node_group,
	_envoy_proxy, _prometheus_rule, _exporter, _gateway_monitor, _cluster_autoscaler,
])

# Input is replaced key by key: regopy 1.5.2 crashes on `with input as <object>` once a rule
# hands input to a function, and regorus wants a local rather than a rule reference there.
_denials(resources, declared) := denials if {
	inventory := _inventory_with(resources, declared)
	denials := data.sla.deny with input.stack as inventory.stack
		with input.declared as inventory.declared
		with input.resources as inventory.resources
		with input.by_type as inventory.by_type
}

# The compliant stack with one resource replaced (same URN) or added.
_changed(changed) := array.concat([r | some r in _compliant; r.urn != changed.urn], [changed])

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
	count(_denials(_compliant, _no_sla)) == 0
}

# -- SLA-001 -----------------------------------------------------------------------------------

test_sla_001_replicas_at_floor_allowed if {
	count(_fired(_denials(_compliant, _declared), "SLA-001")) == 0
}

test_sla_001_replicas_below_floor_denied if {
	single := _with(_stable_server, [{"op": "replace", "path": "/props/spec/replicas", "value": 1}])
	_only(_denials(_changed(single), _declared), "SLA-001", single.urn)
}

# Every engine words the availability as declared (rego-cpp's sprintf printed 99.90000000000001).
test_sla_001_message_names_replicas_availability_and_floor if {
	single := _with(_stable_server, [{"op": "replace", "path": "/props/spec/replicas", "value": 1}])
	some d in _denials(_changed(single), _declared)
	d.rule_id == "SLA-001"
	d.message == concat("", ["model server ", single.name, " runs 1 replicas; availability 99.9% requires at least 2"])
}

test_sla_001_highest_met_tier_sets_floor if {
	# 99.95 needs 3 replicas (policies/data/sla.yaml); the stack cannot lower that.
	declared := json.patch(_declared, [{"op": "replace", "path": "/sla/availability", "value": 99.99}])
	_stable_server.urn in _fired(_denials(_compliant, declared), "SLA-001")
}

test_sla_001_not_applied_without_sla if {
	single := _with(_stable_server, [{"op": "replace", "path": "/props/spec/replicas", "value": 1}])
	count(_fired(_denials(_changed(single), _no_sla), "SLA-001")) == 0
}

test_sla_001_unknown_replicas_undecided if {
	unknown := _with(_stable_server, [{"op": "replace", "path": "/props/spec/replicas", "value": "04da6b54-80e4-46f7-96ec-b56ff0331ba9"}])
	_undecided_on(_denials(_changed(unknown), _declared), "SLA-001", unknown.urn)
}

# -- SLA-002 -----------------------------------------------------------------------------------

test_sla_002_min_replica_count_at_floor_allowed if {
	count(_fired(_denials(_compliant, _declared), "SLA-002")) == 0
}

test_sla_002_scale_to_zero_denied if {
	zero := _with(_scaled_object, [{"op": "remove", "path": "/props/spec/minReplicaCount"}])
	_only(_denials(_changed(zero), _declared), "SLA-002", zero.urn)
}

test_sla_002_unlabelled_hpa_targeting_server_denied if {
	hpa := _resource("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "llama-8b-hpa", {
		"metadata": {"name": "llama-8b-hpa", "namespace": "serving"},
		"spec": {"scaleTargetRef": {"kind": "Deployment", "name": "llama-8b"}, "minReplicas": 1, "maxReplicas": 4},
	})
	_only(_denials(_changed(hpa), _declared), "SLA-002", hpa.urn)
}

# -- SLA-003 -----------------------------------------------------------------------------------

test_sla_003_zone_spread_allowed if {
	count(_fired(_denials(_compliant, _declared), "SLA-003")) == 0
}

test_sla_003_required_anti_affinity_allowed if {
	affinity := _with(_stable_server, [
		{"op": "remove", "path": "/props/spec/template/spec/topologySpreadConstraints"},
		{"op": "add", "path": "/props/spec/template/spec/affinity", "value": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [{"topologyKey": "topology.kubernetes.io/zone", "labelSelector": {"matchLabels": _selector("llama-8b", "stable")}}]}}},
	])
	count(_denials(_changed(affinity), _declared)) == 0
}

test_sla_003_missing_spread_denied if {
	packed := _with(_stable_server, [{"op": "remove", "path": "/props/spec/template/spec/topologySpreadConstraints"}])
	_only(_denials(_changed(packed), _declared), "SLA-003", packed.urn)
}

test_sla_003_soft_spread_denied if {
	soft := _with(_stable_server, [{"op": "replace", "path": "/props/spec/template/spec/topologySpreadConstraints/0/whenUnsatisfiable", "value": "ScheduleAnyway"}])
	_only(_denials(_changed(soft), _declared), "SLA-003", soft.urn)
}

# -- SLA-004 -----------------------------------------------------------------------------------

test_sla_004_pdb_per_deployment_allowed if {
	count(_fired(_denials(_compliant, _declared), "SLA-004")) == 0
}

test_sla_004_missing_pdb_denied if {
	resources := [r | some r in _compliant; r.urn != _canary_pdb.urn]
	_only(_denials(resources, _no_sla), "SLA-004", _canary.urn)
}

test_sla_004_pdb_in_other_namespace_denied if {
	elsewhere := _with(_stable_pdb, [{"op": "replace", "path": "/props/metadata/namespace", "value": "default"}])
	_only(_denials(_changed(elsewhere), _declared), "SLA-004", _stable_server.urn)
}

test_sla_004_pdb_allowing_all_evictions_denied if {
	loose := _with(_stable_pdb, [
		{"op": "remove", "path": "/props/spec/minAvailable"},
		{"op": "add", "path": "/props/spec/maxUnavailable", "value": "100%"},
	])
	_only(_denials(_changed(loose), _declared), "SLA-004", _stable_server.urn)
}

test_sla_004_max_unavailable_below_replicas_allowed if {
	bounded := _with(_stable_pdb, [
		{"op": "remove", "path": "/props/spec/minAvailable"},
		{"op": "add", "path": "/props/spec/maxUnavailable", "value": 1},
	])
	count(_denials(_changed(bounded), _declared)) == 0
}

# -- SLA-005 -----------------------------------------------------------------------------------

test_sla_005_all_probes_allowed if {
	count(_fired(_denials(_compliant, _declared), "SLA-005")) == 0
}

test_sla_005_missing_startup_probe_denied if {
	unprobed := _with(_stable_server, [{"op": "remove", "path": "/props/spec/template/spec/containers/0/startupProbe"}])
	denials := _denials(_changed(unprobed), _no_sla)
	_only(denials, "SLA-005", unprobed.urn)
	some d in denials
	d.path == "spec.template.spec.containers[0].startupProbe"
}

# -- SLA-006 -----------------------------------------------------------------------------------

test_sla_006_rolling_update_without_unavailability_allowed if {
	count(_fired(_denials(_compliant, _declared), "SLA-006")) == 0
}

test_sla_006_default_strategy_denied if {
	# Kubernetes' default allows 25% unavailable during a rollout.
	defaulted := _with(_canary, [{"op": "remove", "path": "/props/spec/strategy"}])
	_only(_denials(_changed(defaulted), _no_sla), "SLA-006", defaulted.urn)
}

test_sla_006_recreate_denied if {
	recreate := _with(_stable_server, [{"op": "replace", "path": "/props/spec/strategy", "value": {"type": "Recreate"}}])
	_only(_denials(_changed(recreate), _declared), "SLA-006", recreate.urn)
}

# -- SLA-007 -----------------------------------------------------------------------------------

test_sla_007_three_zones_allowed if {
	count(_fired(_denials(_compliant, _declared), "SLA-007")) == 0
}

test_sla_007_single_zone_denied if {
	one_zone := _with(_node_group, [{"op": "replace", "path": "/deps/subnetIds", "value": [_subnets[0].urn]}])
	_only(_denials(_changed(one_zone), _declared), "SLA-007", one_zone.urn)
}

test_sla_007_unknown_zone_undecided if {
	unknown := _with(_subnets[1], [{"op": "replace", "path": "/props/availabilityZone", "value": "04da6b54-80e4-46f7-96ec-b56ff0331ba9"}])
	two := _with(_node_group, [{"op": "replace", "path": "/deps/subnetIds", "value": [_subnets[0].urn, unknown.urn]}])
	resources := array.concat([r | some r in _changed(two); r.urn != unknown.urn], [unknown])
	_undecided_on(_denials(resources, _declared), "SLA-007", two.urn)
}

# -- SLA-008 -----------------------------------------------------------------------------------

test_sla_008_pool_holds_floor_allowed if {
	# floor 2 x 1 GPU (stable only; canaries are extra) <= 3 nodes x 1 GPU
	count(_fired(_denials(_compliant, _declared), "SLA-008")) == 0
}

test_sla_008_pool_too_small_denied if {
	small := _with(_node_group, [{"op": "replace", "path": "/props/scalingConfig/minSize", "value": 1}])
	_only(_denials(_changed(small), _declared), "SLA-008", small.urn)
}

test_sla_008_multi_gpu_replicas_counted if {
	big := _with(_stable_server, [{"op": "replace", "path": "/props/spec/template/spec/containers/0/resources/limits/nvidia.com~1gpu", "value": "2"}])
	_only(_denials(_changed(big), _declared), "SLA-008", _node_group.urn)
}

test_sla_008_missing_gpus_per_node_label_denied if {
	unlabelled := _with(_node_group, [{"op": "remove", "path": "/props/labels/servegate.io~1gpus-per-node"}])
	_only(_denials(_changed(unlabelled), _declared), "SLA-008", unlabelled.urn)
}

# -- SLA-009 -----------------------------------------------------------------------------------

_spot_group := _with(_node_group, [{"op": "replace", "path": "/props/capacityType", "value": "SPOT"}])

test_sla_009_on_demand_pool_allowed if {
	count(_fired(_denials(_compliant, _declared), "SLA-009")) == 0
}

test_sla_009_spot_only_pool_denied_in_prod if {
	_only(_denials(_changed(_spot_group), _declared), "SLA-009", _spot_group.urn)
}

test_sla_009_spot_pool_allowed_in_dev_without_sla if {
	count(_denials(_changed(_spot_group), _no_sla)) == 0
}

test_sla_009_spot_with_on_demand_group_in_pool_allowed if {
	extra := _with(_spot_group, [{"op": "replace", "path": "/urn", "value": _urn("aws:eks/nodeGroup:NodeGroup", "l4-spot")}])
	count(_fired(_denials(array.concat(_compliant, [extra]), _declared), "SLA-009")) == 0
}

# -- SLA-010 -----------------------------------------------------------------------------------

test_sla_010_tags_digests_and_registry_ports_allowed if {
	count(_fired(_denials(_compliant, _declared), "SLA-010")) == 0
}

test_sla_010_latest_tag_denied if {
	latest := _with(_stable_server, [{"op": "replace", "path": "/props/spec/template/spec/containers/0/image", "value": "vllm/vllm-openai:latest"}])
	_only(_denials(_changed(latest), _declared), "SLA-010", latest.urn)
}

test_sla_010_untagged_init_container_denied if {
	untagged := _with(_exporter, [{"op": "replace", "path": "/props/spec/template/spec/initContainers/0/image", "value": "111122223333.dkr.ecr.ca-central-1.amazonaws.com:443/mirror/busybox"}])
	_only(_denials(_changed(untagged), _declared), "SLA-010", untagged.urn)
}

# -- SLA-011 -----------------------------------------------------------------------------------

test_sla_011_two_envoy_replicas_allowed if {
	count(_fired(_denials(_compliant, _declared), "SLA-011")) == 0
}

test_sla_011_single_envoy_replica_denied if {
	single := _with(_envoy_proxy, [{"op": "replace", "path": "/props/spec/provider/kubernetes/envoyDeployment/replicas", "value": 1}])
	_only(_denials(_changed(single), _declared), "SLA-011", single.urn)
}

test_sla_011_not_applied_without_sla if {
	single := _with(_envoy_proxy, [{"op": "replace", "path": "/props/spec/provider/kubernetes/envoyDeployment/replicas", "value": 1}])
	count(_denials(_changed(single), _no_sla)) == 0
}

# -- SLA-012 -----------------------------------------------------------------------------------

test_sla_012_burn_rate_alert_allowed if {
	count(_fired(_denials(_compliant, _declared), "SLA-012")) == 0
}

test_sla_012_missing_alert_denied if {
	latency_only := _with(_prometheus_rule, [{"op": "replace", "path": "/props/spec/groups/0/rules/1/labels/slo", "value": "latency"}])
	_only(_denials(_changed(latency_only), _declared), "SLA-012", _stable_server.urn)
}

# -- SLA-013 -----------------------------------------------------------------------------------

test_sla_013_matching_node_group_allowed if {
	count(_fired(_denials(_compliant, _declared), "SLA-013")) == 0
}

test_sla_013_exists_toleration_allowed if {
	exists := _with(_canary, [{"op": "replace", "path": "/props/spec/template/spec/tolerations/0", "value": {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}}])
	count(_denials(_changed(exists), _declared)) == 0
}

test_sla_013_missing_toleration_denied if {
	intolerant := _with(_canary, [{"op": "replace", "path": "/props/spec/template/spec/tolerations", "value": []}])
	_only(_denials(_changed(intolerant), _declared), "SLA-013", intolerant.urn)
}

test_sla_013_unknown_pool_denied if {
	lost := _with(_canary, [{"op": "replace", "path": "/props/spec/template/spec/nodeSelector/servegate.io~1pool", "value": "h100"}])
	_only(_denials(_changed(lost), _declared), "SLA-013", lost.urn)
}
