# METADATA
# title: SLA helpers
# description: What several sla rules share: declared facts, parameters and the
#   collections they judge, each built once per evaluation (rules, not functions).
package lib.sla

import data.lib.inventory as inv
import rego.v1

deployment_type := "kubernetes:apps/v1:Deployment"

scaled_object_type := "kubernetes:keda.sh/v1alpha1:ScaledObject"

hpa_types := {"kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "kubernetes:autoscaling/v1:HorizontalPodAutoscaler"}

prometheus_rule_type := "kubernetes:monitoring.coreos.com/v1:PrometheusRule"

analysis_template_type := "kubernetes:argoproj.io/v1alpha1:AnalysisTemplate"

_keyed_analysis_templates := [[[namespace(t), object_name(t)], t] |
	some t in inv.resources(input, analysis_template_type)
]

# The AnalysisTemplates by [namespace, name], built once per evaluation, so a Rollout finds
# its templates by lookup instead of scanning all of them (a scan per Rollout grew with the
# square of the plan: 2.4 s of a 50k-resource plan). Names are unique in a cluster, but a plan
# may hold several clusters: when two templates share a key, they are grouped by a scan.
analysis_templates_by_key := {key: [t] | some [key, t] in _keyed_analysis_templates} if {
	count({key | some [key, _] in _keyed_analysis_templates}) == count(_keyed_analysis_templates)
} else := {key: [t | some [k, t] in _keyed_analysis_templates; k == key] |
	some [key, _] in _keyed_analysis_templates
}

# The AnalysisTemplates of `ns` named in `names`, from `by_key` (analysis_templates_by_key).
analysis_templates_named(by_key, ns, names) := [t |
	some name in names
	# A path of one key: an array second argument of object.get is a path, not a key.
	some t in object.get(by_key, [[ns, name]], [])
]

karpenter_node_pool_type := "kubernetes:karpenter.sh/v1:NodePool"

gpu_resource := "nvidia.com/gpu"

gpus_per_node_label := "servegate.io/gpus-per-node"

# EKS API taint effects and their Kubernetes names.
k8s_effect := {
	"NO_SCHEDULE": "NoSchedule", "NO_EXECUTE": "NoExecute", "PREFER_NO_SCHEDULE": "PreferNoSchedule",
	"NoSchedule": "NoSchedule", "NoExecute": "NoExecute", "PreferNoSchedule": "PreferNoSchedule",
}

sla_declared(declared) if is_object(object.get(declared, "sla", null))

# The replica floor: the highest tier the declared availability meets, else the default.
replica_floor(declared) := inv.largest(floors) if {
	availability := declared.sla.availability
	qualifying := [tier | some tier in data.params.sla.tiers; tier.availability <= availability]
	best := inv.largest([tier.availability | some tier in qualifying])
	floors := [tier.minReplicas | some tier in qualifying; tier.availability == best]
} else := data.params.sla.default_min_replicas

namespace(res) := object.get(res.props, ["metadata", "namespace"], "default")

object_name(res) := object.get(res.props, ["metadata", "name"], res.name)

# Collections every rule shares, computed once per evaluation (function results are not
# cached, and per-resource function calls dominate evaluation time at 10k resources).

# The workloads that run a model server, whatever their kind (Deployments, StatefulSets,
# DaemonSets, Jobs, CronJobs, bare Pods) and labels: data.lib.workloads judges what they run.
model_servers := [entry[0] | some entry in data.lib.workloads.model_servers]

# A model server's pod spec and its path: at a different path in each kind (spec.template.spec,
# spec.jobTemplate.spec.template.spec, a Pod's spec).
pod_spec(res) := inv.pod_spec_of(res)

pod_spec_path(res) := inv.pod_spec_path_of(res)

# Where the pod template's metadata (its labels) sits beside the pod spec: spec.template.metadata,
# or a bare Pod's own metadata.
pod_metadata_path(res) := concat("", [trim_suffix(pod_spec_path(res), "spec"), "metadata"])

stable_model_servers := [res |
	some res in model_servers
	object.get(res.props, ["metadata", "labels", "servegate.io/track"], "") != "canary"
]

# The kinds that keep a number of identical replicas running: the replica floor, disruption
# budgets and rollouts are theirs. A bare Pod is never recreated, a Job or CronJob runs to
# completion: neither can hold a floor (SLA-001 says so); a DaemonSet runs one pod per
# matching node, so its replicas are its pool's nodes (SLA-008).
replicated_types := {"kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet"}

unreplicated_types := {"kubernetes:core/v1:Pod", "kubernetes:batch/v1:Job", "kubernetes:batch/v1:CronJob"}

# The distinct pod specs of the model servers. Servers share them (tracks of a model, copies of
# a stack) and the engine compares whole specs natively, far cheaper than judging every server
# in Rego: the pod-spec rules judge these first and visit the servers only when one fails.
server_pod_specs := {entry[1] | some entry in data.lib.workloads.model_servers}

replicas(res) := object.get(res.props, ["spec", "replicas"], 1)

# The containers of a model server's pod spec; none when the list is null or not a list.
containers(res) := listed if {
	listed := object.get(pod_spec(res), "containers", [])
	is_array(listed)
} else := []

# A GPU limit as a number; undefined when it is not one (a quantity known only at apply). A
# function of the value alone: a lookup into a rule built from input is re-evaluated at every
# call under `with input...` on rego-cpp 1.5.
gpu_count(value) := to_number(value) if regex.match(`^[0-9]+(\.[0-9]+)?$`, inv.text(value))

gpus_per_replica(res) := sum([n |
	some container in containers(res)
	n := gpu_count(object.get(container, ["resources", "limits", gpu_resource], 0))
])

pool_of(ng) := inv.node_group_label(ng, "servegate.io/pool") if inv.node_group_label(ng, "servegate.io/pool") != ""

pool_of(ng) := ng.urn if inv.node_group_label(ng, "servegate.io/pool") == ""

# The numeric gpus-per-node label of a GPU node group; undefined when it is not a number.
gpus_per_node(ng) := to_number(value) if {
	value := inv.node_group_label(ng, gpus_per_node_label)
	regex.match(`^[0-9]+$`, inv.text(value))
}

min_size(ng) := object.get(ng.props, ["scalingConfig", "minSize"], 0)

capacity_known(ng) if {
	gpus_per_node(ng)
	not inv.is_unknown(ng, "scalingConfig.minSize")
}

pooled_groups := [[pool, ng] |
	some ng in data.lib.inventory.gpu_node_groups
	pool := object.get(ng.props, ["labels", "servegate.io/pool"], "")
	pool != ""
]

blocking_taints(ng) := [taint |
	taint_list := object.get(ng.props, "taints", [])
	taint := taint_list[_]
	k8s_effect[taint.effect] != "PreferNoSchedule"
]

# A node group as the scheduler sees it: its labels and the taints a pod must tolerate.
node_shape(ng) := {"labels": object.get(ng.props, "labels", {}), "taints": blocking_taints(ng)}

effect_matches(toleration, _) if object.get(toleration, "effect", "") == ""

effect_matches(toleration, taint) if toleration.effect == k8s_effect[taint.effect]

tolerates(toleration, taint) if {
	effect_matches(toleration, taint)
	object.get(toleration, "operator", "Equal") == "Exists"
	object.get(toleration, "key", "") in {"", taint.key}
}

tolerates(toleration, taint) if {
	effect_matches(toleration, taint)
	object.get(toleration, "operator", "Equal") == "Equal"
	object.get(toleration, "key", "") == taint.key
	object.get(toleration, "value", "") == object.get(taint, "value", "")
}

fits(spec, shape) if {
	every key, value in object.get(spec, "nodeSelector", {}) {
		shape.labels[key] == value
	}
	every taint in shape.taints {
		toleration_list := object.get(spec, "tolerations", [])
		toleration := toleration_list[_]
		tolerates(toleration, taint)
	}
}

# -- cluster-autoscaler discovery (SLA-017, SLA-018) ---------------------------------------------
# Which managed node groups a cluster-autoscaler (Helm release or Deployment) manages: those
# whose Auto Scaling group carries every tag of one of its auto-discovery filters.

_release_types := {"kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart"}

_asg_tag_type := "aws:autoscaling/tag:Tag"

_ca_chart := "cluster-autoscaler"

# Auto-discovery tags EKS puts on the Auto Scaling group of every managed node group
# (enabled=true, <cluster>=owned; the EKS documentation says managed node groups are tagged for
# Cluster Autoscaler auto-discovery). GpuNodePool also declares both as Tag resources.
_ca_enabled_tag := "k8s.io/cluster-autoscaler/enabled"

_ca_owner_prefix := "k8s.io/cluster-autoscaler/"

# The cluster-autoscaler chart's default autoDiscovery.tags (values.yaml of chart 9.59.0).
_ca_cluster_template := "{{ .Values.autoDiscovery.clusterName }}"

_ca_default_tags := [_ca_enabled_tag, concat("", [_ca_owner_prefix, _ca_cluster_template])]

_discovery_flag := "--node-group-auto-discovery=asg:tag="

_last_segment(path) := parts[count(parts) - 1] if {
	parts := split(path, "/")
}

# Tag filters ("key" or "key=value") of a cluster-autoscaler Helm release on AWS.
_discoveries contains tags if {
	some type_token in _release_types
	some res in inv.resources(input, type_token)
	_last_segment(object.get(res.props, "chart", "")) == _ca_chart
	values := object.get(res.props, "values", {})
	object.get(values, "cloudProvider", "aws") == "aws"
	object.get(values, "replicaCount", 1) >= 1
	cluster := object.get(values, ["autoDiscovery", "clusterName"], "")
	is_string(cluster)
	cluster != ""
	not inv.is_unknown(res, "values.autoDiscovery.clusterName")
	listed := object.get(values, ["autoDiscovery", "tags"], _ca_default_tags)
	tags := [replace(tag, _ca_cluster_template, cluster) | tag := listed[_]]
}

# A Deployment's containers; none when the list is null or not a list.
_deployment_containers(res) := listed if {
	listed := object.get(inv.pod_spec(res), "containers", [])
	is_array(listed)
} else := []

# Tag filters of a cluster-autoscaler Deployment (its --node-group-auto-discovery flag).
_discoveries contains tags if {
	some res in inv.resources(input, deployment_type)
	object.get(res.props, ["spec", "replicas"], 1) >= 1
	some container in _deployment_containers(res)
	image := object.get(container, "image", "")
	contains(image, _ca_chart)
	regex.match(`(^|/)cluster-autoscaler(:[^/]+)?(@sha256:[0-9a-f]+)?$`, image)
	words := array.concat(object.get(container, "command", []), object.get(container, "args", []))
	"--cloud-provider=aws" in words
	some word in words
	startswith(word, _discovery_flag)
	tags := split(trim_prefix(word, _discovery_flag), ",")
}

# A cluster-autoscaler release whose cluster is not known until apply.
cluster_autoscaler_undecided if {
	some type_token in _release_types
	some res in inv.resources(input, type_token)
	_last_segment(object.get(res.props, "chart", "")) == _ca_chart
	inv.is_unknown(res, "values.autoDiscovery.clusterName")
}

# Tags added to node groups' Auto Scaling groups, joined on the group they name: sets, so a
# filter is matched by lookup rather than by a scan per node group.
_added_asg_tags := {[urn, object.get(res.props, ["tag", "key"], ""), object.get(res.props, ["tag", "value"], "")] |
	some res in inv.resources(input, _asg_tag_type)
	some urn in inv.dep_urns(res, "autoscalingGroupName")
}

_added_asg_keys := {[urn, key] | some [urn, key, _] in _added_asg_tags}

_owner_tag(ng) := concat("", [_ca_owner_prefix, object.get(ng.props, "clusterName", "")])

# The discovery tags EKS puts on every managed node group's Auto Scaling group.
_eks_asg_tag(_, filter) if filter in {_ca_enabled_tag, concat("=", [_ca_enabled_tag, "true"])}

_eks_asg_tag(ng, filter) if filter in {_owner_tag(ng), concat("=", [_owner_tag(ng), "owned"])}

_filter_matches(ng, filter) if _eks_asg_tag(ng, filter)

_filter_matches(ng, filter) if {
	not _eks_asg_tag(ng, filter)
	not contains(filter, "=")
	[ng.urn, filter] in _added_asg_keys
}

_filter_matches(ng, filter) if {
	not _eks_asg_tag(ng, filter)
	i := indexof(filter, "=")
	i > 0
	[ng.urn, substring(filter, 0, i), substring(filter, i + 1, count(filter) - i - 1)] in _added_asg_tags
}

cluster_autoscaler_discovers(ng) if {
	some filters in _discoveries
	every filter in filters {
		_filter_matches(ng, filter)
	}
}
