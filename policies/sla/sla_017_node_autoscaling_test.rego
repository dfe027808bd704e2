package sla_test

import data.lib.test_kit as kit
import rego.v1

_with_resources(added) := array.concat(_without_autoscaler, added)

_ca_deployment(words) := kit.resource("kubernetes:apps/v1:Deployment", "cluster-autoscaler", {
	"metadata": {"name": "cluster-autoscaler", "namespace": "kube-system"},
	"spec": {"replicas": 1, "template": {"spec": {"containers": [{
		"name": "cluster-autoscaler",
		"image": "111122223333.dkr.ecr.ca-central-1.amazonaws.com/mirror/autoscaling/cluster-autoscaler:v1.35.2",
		"command": array.concat(["./cluster-autoscaler"], words),
	}]}}},
})

_release_with(patches) := kit.with_patches(_cluster_autoscaler, patches)

_unknown := "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

test_sla_017_cluster_autoscaler_release_allowed if {
	count(kit.findings(_denials(_compliant, _declared), "SLA-017")) == 0
}

test_sla_017_no_node_autoscaler_denied if {
	kit.only(_denials(_without_autoscaler, _declared), "SLA-017", _node_group.urn)
}

test_sla_017_message_names_pool_demand_and_capacity if {
	some d in _denials(_without_autoscaler, _declared)
	d.rule_id == "SLA-017"
	startswith(
		d.message,
		concat("", [
			"GPU pool l4: its models' autoscalers can ask for 6 GPUs but its ",
			"minimum size holds 3, and no node autoscaler manages node group l4",
		]),
	)
}

test_sla_017_pool_holding_the_maximum_needs_none if {
	small := kit.with_patches(_scaled_object, [{"op": "replace", "path": "/props/spec/maxReplicaCount", "value": 2}])
	resources := array.concat([r | some r in _without_autoscaler; r.urn != small.urn], [small])
	count(kit.findings(_denials(resources, _declared), "SLA-017")) == 0
}

test_sla_017_keda_default_maximum_counted if {
	# KEDA's default maxReplicaCount is 100: 101 GPUs against a minimum of 6.
	no_max := kit.with_patches(_scaled_object, [{"op": "remove", "path": "/props/spec/maxReplicaCount"}])
	big := kit.with_patches(_node_group, [{"op": "replace", "path": "/props/scalingConfig/minSize", "value": 6}])
	resources := array.concat([r | some r in _without_autoscaler; not r.urn in {no_max.urn, big.urn}], [no_max, big])
	kit.only(_denials(resources, _declared), "SLA-017", big.urn)
}

test_sla_017_hpa_maximum_counted if {
	hpa := kit.resource("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "llama-8b", {
		"metadata": {"name": "llama-8b", "namespace": "serving"},
		"spec": {"scaleTargetRef": {"name": "llama-8b"}, "minReplicas": 2, "maxReplicas": 4},
	})
	resources := array.concat([r | some r in _without_autoscaler; r.urn != _scaled_object.urn], [hpa])
	_node_group.urn in kit.findings(_denials(resources, _declared), "SLA-017")
}

test_sla_017_release_of_another_cluster_denied if {
	other := _release_with([{"op": "replace", "path": "/props/values/autoDiscovery/clusterName", "value": "other-eks"}])
	kit.only(_denials(_with_resources([other]), _declared), "SLA-017", _node_group.urn)
}

test_sla_017_release_scaled_to_zero_denied if {
	stopped := _release_with([{"op": "add", "path": "/props/values/replicaCount", "value": 0}])
	kit.only(_denials(_with_resources([stopped]), _declared), "SLA-017", _node_group.urn)
}

test_sla_017_release_for_another_cloud_denied if {
	gce := _release_with([{"op": "replace", "path": "/props/values/cloudProvider", "value": "gce"}])
	kit.only(_denials(_with_resources([gce]), _declared), "SLA-017", _node_group.urn)
}

test_sla_017_tag_the_group_lacks_denied if {
	tagged := _release_with([{
		"op": "add",
		"path": "/props/values/autoDiscovery/tags",
		"value": ["k8s.io/cluster-autoscaler/enabled", "team=ml"],
	}])
	kit.only(_denials(_with_resources([tagged]), _declared), "SLA-017", _node_group.urn)
}

test_sla_017_tag_added_to_the_groups_asg_allowed if {
	tagged := _release_with([{
		"op": "add",
		"path": "/props/values/autoDiscovery/tags",
		"value": ["k8s.io/cluster-autoscaler/enabled", "team=ml"],
	}])
	tag := kit.with_patches(
		kit.resource(
			"aws:autoscaling/tag:Tag",
			"l4-team",
			{"autoscalingGroupName": _unknown, "tag": {"key": "team", "value": "ml", "propagateAtLaunch": false}},
		),
		[{"op": "replace", "path": "/deps", "value": {"autoscalingGroupName": [_node_group.urn]}}],
	)
	count(kit.findings(_denials(_with_resources([tagged, tag]), _declared), "SLA-017")) == 0
}

test_sla_017_tag_value_must_match if {
	tagged := _release_with([{
		"op": "add",
		"path": "/props/values/autoDiscovery/tags",
		"value": ["k8s.io/cluster-autoscaler/enabled", "team=ml"],
	}])
	tag := kit.with_patches(
		kit.resource(
			"aws:autoscaling/tag:Tag",
			"l4-team",
			{"autoscalingGroupName": _unknown, "tag": {"key": "team", "value": "web", "propagateAtLaunch": false}},
		),
		[{"op": "replace", "path": "/deps", "value": {"autoscalingGroupName": [_node_group.urn]}}],
	)
	kit.only(_denials(_with_resources([tagged, tag]), _declared), "SLA-017", _node_group.urn)
}

test_sla_017_cluster_autoscaler_deployment_allowed if {
	deployment := _ca_deployment([
		"--cloud-provider=aws",
		"--node-group-auto-discovery=asg:tag=k8s.io/cluster-autoscaler/enabled,k8s.io/cluster-autoscaler/prod-ca-eks",
	])
	count(kit.findings(_denials(_with_resources([deployment]), _declared), "SLA-017")) == 0
}

test_sla_017_deployment_without_aws_provider_denied if {
	# The binary's default cloud provider is not AWS.
	deployment := _ca_deployment([concat("", [
		"--node-group-auto-discovery=asg:tag=k8s.io/cluster-autoscaler/enabled,",
		"k8s.io/cluster-autoscaler/prod-ca-eks",
	])])
	kit.only(_denials(_with_resources([deployment]), _declared), "SLA-017", _node_group.urn)
}

test_sla_017_deployment_of_another_cluster_denied if {
	deployment := _ca_deployment([
		"--cloud-provider=aws",
		"--node-group-auto-discovery=asg:tag=k8s.io/cluster-autoscaler/enabled,k8s.io/cluster-autoscaler/other-eks",
	])
	kit.only(_denials(_with_resources([deployment]), _declared), "SLA-017", _node_group.urn)
}

test_sla_017_karpenter_node_pool_with_label_and_taint_allowed if {
	node_pool := _node_pool({
		"metadata": {"labels": {"servegate.io/pool": "l4"}},
		"spec": {"taints": [_gpu_taint]},
	})
	count(kit.findings(_denials(_with_resources([node_pool]), _declared), "SLA-017")) == 0
}

test_sla_017_karpenter_requirement_selects_the_pool if {
	node_pool := _node_pool({"spec": {
		"requirements": [{"key": "servegate.io/pool", "operator": "In", "values": ["l4"]}],
		"taints": [_gpu_taint],
	}})
	count(kit.findings(_denials(_with_resources([node_pool]), _declared), "SLA-017")) == 0
}

test_sla_017_karpenter_node_pool_without_the_taint_denied if {
	node_pool := _node_pool({"metadata": {"labels": {"servegate.io/pool": "l4"}}, "spec": {}})
	kit.only(_denials(_with_resources([node_pool]), _declared), "SLA-017", _node_group.urn)
}

test_sla_017_unknown_cluster_undecided if {
	pending := _release_with([{"op": "replace", "path": "/props/values/autoDiscovery/clusterName", "value": _unknown}])
	kit.undecided_on(_denials(_with_resources([pending]), _declared), "SLA-017", _node_group.urn)
}

test_sla_017_unknown_maximum_undecided if {
	unknown := kit.with_patches(
		_scaled_object,
		[{"op": "replace", "path": "/props/spec/maxReplicaCount", "value": _unknown}],
	)
	resources := array.concat([r | some r in _compliant; r.urn != unknown.urn], [unknown])
	kit.undecided_on(_denials(resources, _declared), "SLA-017", unknown.urn)
}

test_sla_017_key_only_filter_matches_a_tag_added_to_the_groups_asg if {
	# A filter without "=" matches any value of that tag key.
	tagged := _release_with([{
		"op": "add",
		"path": "/props/values/autoDiscovery/tags",
		"value": ["k8s.io/cluster-autoscaler/enabled", "team"],
	}])
	tag := kit.with_patches(
		kit.resource(
			"aws:autoscaling/tag:Tag",
			"l4-team",
			{"autoscalingGroupName": _unknown, "tag": {"key": "team", "value": "ml", "propagateAtLaunch": false}},
		),
		[{"op": "replace", "path": "/deps", "value": {"autoscalingGroupName": [_node_group.urn]}}],
	)
	count(kit.findings(_denials(_with_resources([tagged, tag]), _declared), "SLA-017")) == 0
	kit.only(_denials(_with_resources([tagged]), _declared), "SLA-017", _node_group.urn)
}
