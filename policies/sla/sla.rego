# METADATA
# title: Service level
# description: Replicas, spreading, disruption budgets, probes, rollouts, GPU capacity, image
#   pinning, gateway redundancy and alerting that the stack's declared availability relies on.
package sla

import data.lib.inventory as inv
import data.lib.inventory.distinct_workload_pod_specs
import data.lib.inventory.gpu_node_groups
import data.lib.inventory.unknown_value
import data.lib.inventory.workload_pod_specs
import rego.v1

_deployment_type := "kubernetes:apps/v1:Deployment"

_pdb_type := "kubernetes:policy/v1:PodDisruptionBudget"

_scaled_object_type := "kubernetes:keda.sh/v1alpha1:ScaledObject"

_hpa_types := {"kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "kubernetes:autoscaling/v1:HorizontalPodAutoscaler"}

_envoy_proxy_type := "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy"

_prometheus_rule_type := "kubernetes:monitoring.coreos.com/v1:PrometheusRule"

_zone_key := "topology.kubernetes.io/zone"

_gpu_resource := "nvidia.com/gpu"

_gpus_per_node_label := "servegate.io/gpus-per-node"

_probes := ["startupProbe", "readinessProbe", "livenessProbe"]

# EKS API taint effects and their Kubernetes names.
_k8s_effect := {
	"NO_SCHEDULE": "NoSchedule", "NO_EXECUTE": "NoExecute", "PREFER_NO_SCHEDULE": "PreferNoSchedule",
	"NoSchedule": "NoSchedule", "NoExecute": "NoExecute", "PreferNoSchedule": "PreferNoSchedule",
}

# -- declared facts and compliance parameters ----------------------------------------------

_sla_declared(declared) if is_object(object.get(declared, "sla", null))

# The replica floor: the highest tier the declared availability meets, else the default.
_floor(declared) := max(floors) if {
	availability := declared.sla.availability
	qualifying := [tier | some tier in data.params.sla.tiers; tier.availability <= availability]
	best := max([tier.availability | some tier in qualifying])
	floors := [tier.minReplicas | some tier in qualifying; tier.availability == best]
} else := data.params.sla.default_min_replicas

_production(declared) if startswith(object.get(declared, "environment", ""), "prod")

_capacity_matters(declared) if _production(declared)

_capacity_matters(declared) if _sla_declared(declared)

_min_gateway_replicas := object.get(data.params.sla, "min_gateway_replicas", 2)

# -- Kubernetes objects ---------------------------------------------------------------------

_namespace(res) := object.get(res.props, ["metadata", "namespace"], "default")

_object_name(res) := object.get(res.props, ["metadata", "name"], res.name)

# Collections every rule shares, computed once per evaluation (function results are not
# cached, and per-resource function calls dominate evaluation time at 10k resources).
_model_servers := [res |
	some res in inv.resources(input, _deployment_type)
	object.get(res.props, ["metadata", "labels", "servegate.io/role"], "") == "model-server"
]

_stable_model_servers := [res |
	some res in _model_servers
	object.get(res.props, ["metadata", "labels", "servegate.io/track"], "") != "canary"
]

# The distinct pod specs of the model servers. Servers share them (tracks of a model, copies of
# a stack) and the engine compares whole specs natively, far cheaper than judging every server
# in Rego: the pod-spec rules judge these first and visit the servers only when one fails.
_server_pod_specs := {object.get(res.props, ["spec", "template", "spec"], {}) | some res in _model_servers}

_stable_pod_specs := {object.get(res.props, ["spec", "template", "spec"], {}) | some res in _stable_model_servers}

_stable(res) if inv.label(res.props, "servegate.io/track") != "canary"

_replicas(res) := object.get(res.props, ["spec", "replicas"], 1)

_pod_labels(res) := object.get(res.props, ["spec", "template", "metadata", "labels"], {})

_containers(res) := object.get(inv.pod_spec(res), "containers", [])

# The vLLM container of a containers list: named vllm, else the first one.
_vllm_index(containers) := i if {
	some i, container in containers
	container.name == "vllm"
} else := 0

_gpu_count(value) := _gpu_counts[value]

# The numeric GPU limits of the servers' containers, each distinct value matched once.
_gpu_counts := {value: to_number(value) |
	some value in {object.get(container, ["resources", "limits", _gpu_resource], 0) |
		some spec in _server_pod_specs
		some container in object.get(spec, "containers", [])
	}
	regex.match(`^[0-9]+(\.[0-9]+)?$`, sprintf("%v", [value]))
}

_gpus_per_replica(res) := sum([n |
	some container in _containers(res)
	n := _gpu_count(object.get(container, ["resources", "limits", _gpu_resource], 0))
])

# -- SLA-001 ---------------------------------------------------------------------------------

# METADATA
# title: Model servers run at least the SLA's replica floor
# description: A declared availability needs enough replicas to survive a pod or node loss; the
#   floor per availability tier is compliance's table, not the stack's choice.
# custom:
#   id: SLA-001
#   area: sla
#   severity: high
#   enforcement: mandatory
#   scope: resource
#   applies_when: declared.sla
#   not_applicable: no SLA declared
#   resource_types: ["kubernetes:apps/v1:Deployment"]
#   parameters: [sla.tiers, sla.default_min_replicas]
#   remediation: Raise the model's replicas.min to at least the floor of its availability tier.
deny contains v if {
	_sla_declared(input.declared)
	floor := _floor(input.declared)
	some res in _stable_model_servers
	_replicas(res) < floor
	not inv.is_unknown(res, "spec.replicas")
	v := inv.violation(
		"SLA-001", res,
		concat("", ["model server ", res.name, " runs ", inv.text(_replicas(res)), " replicas; availability ", inv.text(input.declared.sla.availability), "% requires at least ", inv.text(floor)]),
		"spec.replicas", _replicas(res),
	)
}

deny contains v if {
	_sla_declared(input.declared)
	some res in _stable_model_servers
	inv.is_unknown(res, "spec.replicas")
	v := inv.undecided("SLA-001", res, "spec.replicas")
}

# -- SLA-002 ---------------------------------------------------------------------------------

_autoscalers(doc) := array.concat(
	[[res, "spec.minReplicaCount", object.get(res.props, ["spec", "minReplicaCount"], 0)] |
		some res in inv.resources(doc, _scaled_object_type)
	],
	[[res, "spec.minReplicas", object.get(res.props, ["spec", "minReplicas"], 1)] |
		some type_token in _hpa_types
		some res in inv.resources(doc, type_token)
	],
)

# An autoscaler scales a stable model server: labelled so, or targeting one by name.
_scaling_targets := {[_namespace(res), _object_name(res)] | some res in _stable_model_servers}

_scales_stable_server(res) if {
	inv.has_role(res, "model-server")
	_stable(res)
}

_scales_stable_server(res) if {
	[_namespace(res), object.get(res.props, ["spec", "scaleTargetRef", "name"], "")] in _scaling_targets
}

# METADATA
# title: Autoscalers never scale model servers below the floor
# description: KEDA defaults to scaling to zero; with an SLA declared the autoscaler's minimum
#   must hold the replica floor so that idle periods do not become outages.
# custom:
#   id: SLA-002
#   area: sla
#   severity: high
#   enforcement: mandatory
#   scope: stack
#   applies_when: declared.sla
#   not_applicable: no SLA declared
#   parameters: [sla.tiers, sla.default_min_replicas]
#   remediation: Set the ScaledObject's minReplicaCount (or the HPA's minReplicas) to at least the
#     floor of the availability tier.
deny contains v if {
	_sla_declared(input.declared)
	floor := max([_floor(input.declared), 1])
	some [res, path, minimum] in _autoscalers(input)
	minimum < floor
	_scales_stable_server(res)
	not inv.is_unknown(res, path)
	v := inv.violation(
		"SLA-002", res,
		concat("", ["autoscaler ", res.name, " allows ", inv.text(minimum), " replicas; availability ", inv.text(input.declared.sla.availability), "% requires a minimum of ", inv.text(floor)]),
		path, minimum,
	)
}

# -- SLA-003 ---------------------------------------------------------------------------------

_zone_spread(spec) if {
	some constraint in object.get(spec, "topologySpreadConstraints", [])
	constraint.topologyKey == _zone_key
	object.get(constraint, "whenUnsatisfiable", "DoNotSchedule") == "DoNotSchedule"
}

_zone_spread(spec) if {
	some term in object.get(spec, ["affinity", "podAntiAffinity", "requiredDuringSchedulingIgnoredDuringExecution"], [])
	term.topologyKey == _zone_key
}

_unspread_specs := {spec | some spec in _stable_pod_specs; not _zone_spread(spec)}

# METADATA
# title: Model server pods spread across availability zones
# description: Replicas that share a zone fail together; a hard spread constraint (or required
#   anti-affinity) on the zone key keeps an availability-zone outage from taking a model down.
# custom:
#   id: SLA-003
#   area: sla
#   severity: high
#   enforcement: mandatory
#   scope: resource
#   applies_when: declared.sla
#   not_applicable: no SLA declared
#   parameters: [sla.min_zones]
#   remediation: Add a topologySpreadConstraint on topology.kubernetes.io/zone with
#     whenUnsatisfiable DoNotSchedule (or required pod anti-affinity by zone).
deny contains v if {
	_sla_declared(input.declared)
	count(_unspread_specs) > 0
	some res in _stable_model_servers
	spec := inv.pod_spec(res)
	not _zone_spread(spec)
	v := inv.violation(
		"SLA-003", res,
		concat("", ["model server ", res.name, " does not require spreading over ", _zone_key, "; availability ", inv.text(input.declared.sla.availability), "% needs pods in at least ", inv.text(data.params.sla.min_zones), " zones"]),
		"spec.template.spec.topologySpreadConstraints", object.get(spec, "topologySpreadConstraints", null),
	)
}

# -- SLA-004 ---------------------------------------------------------------------------------

# A PDB's selector as an exact [namespace, labels] key; selectors with expressions never match
# a key, so a Deployment covered only by one is reported (compare label maps, no guessing).
_pdb_key(pdb) := [_namespace(pdb), object.get(pdb.props, ["spec", "selector", "matchLabels"], {})] if {
	count(object.get(pdb.props, ["spec", "selector", "matchExpressions"], [])) == 0
}

_pdb_guard(pdb) := {"minAvailable": pdb.props.spec.minAvailable} if pdb.props.spec.minAvailable != null

_pdb_guard(pdb) := {"maxUnavailable": pdb.props.spec.maxUnavailable} if {
	not pdb.props.spec.minAvailable
	pdb.props.spec.maxUnavailable != null
}

_percent(value) := to_number(trim_suffix(value, "%")) if {
	is_string(value)
	endswith(value, "%")
}

# Kubernetes rounds PDB percentages up.
_scaled(value, replicas) := value if is_number(value)

_scaled(value, replicas) := to_number(value) if {
	is_string(value)
	not endswith(value, "%")
}

_scaled(value, replicas) := ceil((_percent(value) * replicas) / 100)

_keeps_a_pod(guard, replicas) if _scaled(guard.minAvailable, replicas) >= 1

_keeps_a_pod(guard, replicas) if _scaled(guard.maxUnavailable, replicas) < replicas

_deployment_keys(res) := {
	[_namespace(res), object.get(res.props, ["spec", "selector", "matchLabels"], {})],
	[_namespace(res), _pod_labels(res)],
}

# METADATA
# title: Every serving Deployment has a disruption budget that keeps a pod
# description: Node drains and upgrades evict pods; without a PodDisruptionBudget keeping at least
#   one pod, a routine drain can take every replica of a model down at once.
# custom:
#   id: SLA-004
#   area: sla
#   severity: high
#   enforcement: mandatory
#   scope: stack
#   parameters: []
#   remediation: Add a PodDisruptionBudget in the Deployment's namespace whose selector matchLabels
#     equal the Deployment's selector, with minAvailable of at least 1.
deny contains v if {
	some res in _model_servers
	not _protected(res)
	v := inv.violation(
		"SLA-004", res,
		_pdb_message(res),
		"spec.selector.matchLabels", object.get(res.props, ["spec", "selector", "matchLabels"], {}),
	)
}

# [selector key, guard] of every PDB; the distinct guards are few, which keeps the join linear.
_pdb_guards := {[key, guard] |
	some pdb in inv.resources(input, _pdb_type)
	key := _pdb_key(pdb)
	guard := _pdb_guard(pdb)
}

_guards := {pair[1] | some pair in _pdb_guards}

_pdb_keys := {pair[0] | some pair in _pdb_guards}

_protected(res) if {
	some key in _deployment_keys(res)
	some guard in _guards
	[key, guard] in _pdb_guards
	_keeps_a_pod(guard, _replicas(res))
}

_pdb_message(res) := msg if {
	some key in _deployment_keys(res)
	key in _pdb_keys
	msg := concat("", ["the PodDisruptionBudget of ", res.name, " lets all ", inv.text(_replicas(res)), " replicas be evicted; it must keep at least 1 pod (minAvailable >= 1)"])
} else := concat("", ["serving Deployment ", res.name, " has no PodDisruptionBudget selecting its pods in namespace ", inv.text(_namespace(res)), "; add one with minAvailable >= 1"])

# -- SLA-005 ---------------------------------------------------------------------------------

# The distinct pod specs whose vllm container lacks a probe.
_unprobed_specs := {spec |
	some spec in _server_pod_specs
	containers := object.get(spec, "containers", [])
	container := containers[_vllm_index(containers)]
	some probe in _probes
	not is_object(object.get(container, probe, null))
}

# METADATA
# title: The vLLM container has startup, readiness and liveness probes
# description: Loading weights takes minutes; without a startup probe the pod is killed while
#   loading, without readiness it takes traffic too early, without liveness a hung server stays.
# custom:
#   id: SLA-005
#   area: sla
#   severity: high
#   enforcement: mandatory
#   scope: resource
#   parameters: []
#   remediation: Give the vllm container a startupProbe (budgeted for weight loading), a
#     readinessProbe and a livenessProbe on /health.
deny contains v if {
	count(_unprobed_specs) > 0
	some res in _model_servers
	i := _vllm_index(_containers(res))
	container := _containers(res)[i]
	some probe in _probes
	not is_object(object.get(container, probe, null))
	v := inv.violation(
		"SLA-005", res,
		concat("", ["the vllm container of ", res.name, " has no ", probe, "; model servers need startup, readiness and liveness probes"]),
		concat("", ["spec.template.spec.containers[", format_int(i, 10), "].", probe]), null,
	)
}

# -- SLA-006 ---------------------------------------------------------------------------------

_zero(value) if value in {0, "0", "0%"}

# Kubernetes defaults: RollingUpdate with maxUnavailable 25%.
_rollout(res) := {
	"type": object.get(res.props, ["spec", "strategy", "type"], "RollingUpdate"),
	"maxUnavailable": object.get(res.props, ["spec", "strategy", "rollingUpdate", "maxUnavailable"], "25%"),
}

# METADATA
# title: Model servers roll out without losing capacity
# description: A rollout that stops old pods before new ones are ready (Recreate, or any
#   maxUnavailable) drops capacity for the minutes a replica takes to load its weights.
# custom:
#   id: SLA-006
#   area: sla
#   severity: medium
#   enforcement: mandatory
#   scope: resource
#   parameters: []
#   remediation: Use strategy RollingUpdate with maxUnavailable 0 (and maxSurge 1).
deny contains v if {
	some res in _model_servers
	rollout := _rollout(res)
	not _safe_rollout(rollout)
	v := inv.violation(
		"SLA-006", res,
		concat("", ["model server ", res.name, " rolls out with strategy ", inv.text(rollout.type), " and maxUnavailable ", inv.text(rollout.maxUnavailable), "; use RollingUpdate with maxUnavailable 0"]),
		"spec.strategy", object.get(res.props, ["spec", "strategy"], null),
	)
}

_safe_rollout(rollout) if {
	rollout.type == "RollingUpdate"
	_zero(rollout.maxUnavailable)
}

# -- GPU node groups (SLA-007, SLA-008, SLA-009, SLA-013) ------------------------------------

_pool(ng) := inv.node_group_label(ng, "servegate.io/pool") if inv.node_group_label(ng, "servegate.io/pool") != ""

_pool(ng) := ng.urn if inv.node_group_label(ng, "servegate.io/pool") == ""

_subnet_zone(subnet) := object.get(subnet.props, "availabilityZone", object.get(subnet.props, "availabilityZoneId", null))

# METADATA
# title: GPU node groups span at least two availability zones
# description: A node group confined to one zone loses every GPU node when that zone fails, so no
#   replica spread can save the models it runs.
# custom:
#   id: SLA-007
#   area: sla
#   severity: high
#   enforcement: mandatory
#   scope: stack
#   parameters: []
#   remediation: Give the node group private subnets in at least two availability zones.
deny contains v if {
	some ng in gpu_node_groups
	subnets := object.get(ng.deps, "subnetIds", [])
	known := _known_zones(subnets)
	count(known) < 2
	_every_subnet_known(subnets)
	v := inv.violation(
		"SLA-007", ng,
		concat("", ["GPU node group ", ng.name, " spans ", format_int(count(known), 10), " availability zone(s) (", concat(", ", sort(known)), "); it needs subnets in at least 2"]),
		"subnetIds", sort(known),
	)
}

deny contains v if {
	some ng in gpu_node_groups
	subnets := object.get(ng.deps, "subnetIds", [])
	count(_known_zones(subnets)) < 2
	not _every_subnet_known(subnets)
	v := inv.undecided("SLA-007", ng, "subnetIds")
}

_subnet_zones := {s.urn: _subnet_zone(s) | some s in inv.resources(input, "aws:ec2/subnet:Subnet")}

_known_zones(subnets) := {zone |
	some urn in subnets
	zone := _subnet_zones[urn]
	is_string(zone)
	zone != unknown_value
}

_every_subnet_known(subnets) if {
	count(subnets) > 0
	every urn in subnets {
		is_string(_subnet_zones[urn])
		_subnet_zones[urn] != unknown_value
	}
}

# -- SLA-008 ---------------------------------------------------------------------------------

_gpus_per_node(ng) := _gpus_per_node_counts[inv.node_group_label(ng, _gpus_per_node_label)]

# The numeric gpus-per-node labels of the GPU node groups, each distinct value matched once.
_gpus_per_node_counts := {value: to_number(value) |
	some value in {inv.node_group_label(ng, _gpus_per_node_label) | some ng in gpu_node_groups}
	regex.match(`^[0-9]+$`, sprintf("%v", [value]))
}

_min_size(ng) := object.get(ng.props, ["scalingConfig", "minSize"], 0)

_capacity_known(ng) if {
	_gpus_per_node(ng)
	not inv.is_unknown(ng, "scalingConfig.minSize")
}

_pooled_groups := [[pool, ng] |
	some ng in gpu_node_groups
	pool := object.get(ng.props, ["labels", "servegate.io/pool"], "")
	pool != ""
]

# [pool, GPUs per replica] of every stable model server placed on a pool.
_placed_servers := [[pool, _gpus_per_replica(res)] |
	some res in _stable_model_servers
	pool := object.get(res.props, ["spec", "template", "spec", "nodeSelector", "servegate.io/pool"], "")
	pool != ""
]

# METADATA
# title: GPU pools hold the replica floor of their models
# description: If a pool's minimum nodes cannot hold every model's floor of replicas, replicas stay
#   Pending until the autoscaler adds nodes, which is exactly when the SLA is at risk.
# custom:
#   id: SLA-008
#   area: sla
#   severity: high
#   enforcement: mandatory
#   scope: stack
#   parameters: [sla.tiers, sla.default_min_replicas]
#   remediation: Raise the pool's minSize to at least the sum over its models of replica floor x
#     GPUs per replica, divided by GPUs per node.
deny contains v if {
	floor := _floor(input.declared)
	pools := {pair[0] | some pair in _pooled_groups}
	some pool in pools
	members := [pair[1] | some pair in _pooled_groups; pair[0] == pool]
	every ng in members {
		_capacity_known(ng)
	}
	capacity := sum([n | some ng in members; n := _min_size(ng) * _gpus_per_node(ng)])
	demand := sum([n | some server in _placed_servers; server[0] == pool; n := floor * server[1]])
	demand > capacity
	reported := min({ng.urn | some ng in members})
	some ng in members
	ng.urn == reported
	v := inv.violation(
		"SLA-008", ng,
		concat("", ["GPU pool ", inv.text(pool), " holds ", inv.text(capacity), " GPUs at its minimum size but its models need ", inv.text(demand), " (replica floor ", inv.text(floor), " x GPUs per replica)"]),
		"scalingConfig.minSize", _min_size(ng),
	)
}

deny contains v if {
	some ng in gpu_node_groups
	_pool(ng) != ng.urn
	not _gpus_per_node(ng)
	v := inv.violation(
		"SLA-008", ng,
		concat("", ["GPU node group ", ng.name, " has no numeric ", _gpus_per_node_label, " label, so its capacity cannot be checked; GpuNodePool must set it"]),
		concat("", ["labels.", _gpus_per_node_label]), inv.node_group_label(ng, _gpus_per_node_label),
	)
}

deny contains v if {
	some ng in gpu_node_groups
	inv.is_unknown(ng, "scalingConfig.minSize")
	v := inv.undecided("SLA-008", ng, "scalingConfig.minSize")
}

# -- SLA-009 ---------------------------------------------------------------------------------

_spot(ng) if object.get(ng.props, "capacityType", "ON_DEMAND") == "SPOT"

# METADATA
# title: Production GPU pools are not spot-only
# description: Spot capacity can be reclaimed with two minutes' notice, all at once; a pool made
#   only of spot nodes cannot carry a production or SLA-bound model.
# custom:
#   id: SLA-009
#   area: sla
#   severity: high
#   enforcement: mandatory
#   scope: stack
#   parameters: []
#   remediation: Use capacityType on-demand (or a capacity reservation) for the pool, or add an
#     on-demand node group to it.
deny contains v if {
	_capacity_matters(input.declared)
	groups := gpu_node_groups
	steady := {_pool(ng) | some ng in groups; not _spot(ng)}
	some ng in groups
	_spot(ng)
	not _pool(ng) in steady
	v := inv.violation(
		"SLA-009", ng,
		concat("", ["GPU pool ", inv.text(_pool(ng)), " runs only on spot capacity; production and SLA-bound stacks need on-demand or reserved capacity"]),
		"capacityType", "SPOT",
	)
}

# -- SLA-010 ---------------------------------------------------------------------------------

_pinned(image) if contains(image, "@sha256:")

_pinned(image) if {
	not contains(image, "@")
	parts := split(image, "/")
	tag := split(parts[count(parts) - 1], ":")
	count(tag) == 2
	not tag[1] in {"", "latest"}
}

# Every workload's images, each distinct one judged once.
_unpinned_images := {image |
	some spec in distinct_workload_pod_specs
	some kind in ["initContainers", "containers"]
	some container in object.get(spec, kind, [])
	image := object.get(container, "image", "")
	image != unknown_value
	not _pinned(image)
}

# METADATA
# title: Container images are pinned
# description: A missing or latest tag lets a restart pull different software than was reviewed
#   and tested, so a rollback or scale-up can change behaviour silently.
# custom:
#   id: SLA-010
#   area: sla
#   severity: medium
#   enforcement: mandatory
#   scope: resource
#   parameters: []
#   remediation: Reference the image by an exact version tag or by digest (@sha256:...).
deny contains v if {
	count(_unpinned_images) > 0
	some [res, spec, base] in workload_pod_specs
	some kind in ["initContainers", "containers"]
	some i, container in object.get(spec, kind, [])
	image := object.get(container, "image", "")
	image in _unpinned_images
	v := inv.violation(
		"SLA-010", res,
		concat("", [res.name, " runs image ", inv.text(image), ", which is not pinned; use an exact version tag or a digest"]),
		concat("", [base, ".", kind, "[", format_int(i, 10), "].image"]), image,
	)
}

# -- SLA-011 ---------------------------------------------------------------------------------

_gateway_replicas(kubernetes) := object.get(kubernetes, ["envoyHpa", "minReplicas"], 1) if {
	is_object(object.get(kubernetes, "envoyHpa", null))
} else := object.get(kubernetes, ["envoyDeployment", "replicas"], 1)

# METADATA
# title: The gateway runs redundant Envoy replicas
# description: Every request passes the gateway; a single Envoy replica makes it the one thing
#   whose restart takes every model offline.
# custom:
#   id: SLA-011
#   area: sla
#   severity: high
#   enforcement: mandatory
#   scope: resource
#   applies_when: declared.sla
#   not_applicable: no SLA declared
#   parameters: []
#   remediation: Set gateway.replicas (EnvoyProxy envoyDeployment.replicas) to at least 2.
deny contains v if {
	_sla_declared(input.declared)
	some res in inv.resources(input, _envoy_proxy_type)
	replicas := _gateway_replicas(object.get(res.props, ["spec", "provider", "kubernetes"], {}))
	replicas < _min_gateway_replicas
	v := inv.violation(
		"SLA-011", res,
		concat("", ["gateway EnvoyProxy ", res.name, " runs ", inv.text(replicas), " Envoy replica(s); an SLA needs at least ", inv.text(_min_gateway_replicas)]),
		"spec.provider.kubernetes.envoyDeployment.replicas", replicas,
	)
}

# -- SLA-012 ---------------------------------------------------------------------------------

_alerted_models := {model |
	some groups in {object.get(res.props, ["spec", "groups"], []) |
		some res in inv.resources(input, _prometheus_rule_type)
	}
	some group in groups
	some rule in object.get(group, "rules", [])
	is_string(object.get(rule, "alert", null))
	object.get(rule, ["labels", "slo"], "") == "availability"
	model := object.get(rule, ["labels", "model"], "")
}

# A superset of the models SLA-012 reports, gathered without a call per server.
_unalerted_models := {model |
	some res in _stable_model_servers
	model := object.get(res.props, ["metadata", "labels", "servegate.io/model"], "")
	not model in _alerted_models
}

# METADATA
# title: Every model has an availability burn-rate alert
# description: An SLA nobody is alerted about is not managed; each model needs an error-budget
#   burn-rate alert so that on-call hears before the budget is gone.
# custom:
#   id: SLA-012
#   area: sla
#   severity: medium
#   enforcement: mandatory
#   scope: stack
#   applies_when: declared.sla
#   not_applicable: no SLA declared
#   parameters: []
#   remediation: Add a PrometheusRule alert labelled model=<name> and slo=availability (the
#     Monitoring component generates one per model).
deny contains v if {
	_sla_declared(input.declared)
	count(_unalerted_models) > 0
	some res in _stable_model_servers
	model := inv.label(res.props, "servegate.io/model")
	not model in _alerted_models
	v := inv.violation(
		"SLA-012", res,
		concat("", ["model ", inv.text(model), " has no availability burn-rate alert (a PrometheusRule alert labelled model=", inv.text(model), ", slo=availability)"]),
		"metadata.labels.servegate.io/model", model,
	)
}

# -- SLA-013 ---------------------------------------------------------------------------------

_blocking_taints(ng) := [taint |
	some taint in object.get(ng.props, "taints", [])
	_k8s_effect[taint.effect] != "PreferNoSchedule"
]

# A node group as the scheduler sees it: its labels and the taints a pod must tolerate.
_node_shape(ng) := {"labels": object.get(ng.props, "labels", {}), "taints": _blocking_taints(ng)}

_effect_matches(toleration, taint) if object.get(toleration, "effect", "") == ""

_effect_matches(toleration, taint) if toleration.effect == _k8s_effect[taint.effect]

_tolerates(toleration, taint) if {
	_effect_matches(toleration, taint)
	object.get(toleration, "operator", "Equal") == "Exists"
	object.get(toleration, "key", "") in {"", taint.key}
}

_tolerates(toleration, taint) if {
	_effect_matches(toleration, taint)
	object.get(toleration, "operator", "Equal") == "Equal"
	object.get(toleration, "key", "") == taint.key
	object.get(toleration, "value", "") == object.get(taint, "value", "")
}

_fits(spec, shape) if {
	every key, value in object.get(spec, "nodeSelector", {}) {
		shape.labels[key] == value
	}
	every taint in shape.taints {
		some toleration in object.get(spec, "tolerations", [])
		_tolerates(toleration, taint)
	}
}

_unplaceable_specs := {spec | some spec in _server_pod_specs; not _fits_any(spec, _candidate_shapes(spec))}

# METADATA
# title: Every serving pod fits a GPU node group
# description: A pod whose nodeSelector or tolerations match no GPU node group stays Pending
#   forever; the mismatch is visible in the plan, long before anyone waits for it.
# custom:
#   id: SLA-013
#   area: sla
#   severity: high
#   enforcement: mandatory
#   scope: stack
#   parameters: []
#   remediation: Make the Deployment's nodeSelector equal labels of a GPU node group
#     (servegate.io/pool, servegate.io/gpu) and tolerate every taint of that group.
deny contains v if {
	count(_unplaceable_specs) > 0
	some res in _model_servers
	spec := inv.pod_spec(res)
	spec in _unplaceable_specs
	v := inv.violation(
		"SLA-013", res,
		concat("", ["pods of ", res.name, " match no GPU node group: nodeSelector ", inv.text(object.get(spec, "nodeSelector", {})), " must be among a group's labels and its tolerations must cover that group's taints"]),
		"spec.template.spec.nodeSelector", object.get(spec, "nodeSelector", {}),
	)
}

# Distinct node group shapes by pool label: few per pool, so each pod checks only its pool's.
_shapes_by_pool := {pool: shapes |
	some pool in {pair[0] | some pair in _pooled_groups}
	shapes := {shape | some pair in _pooled_groups; pair[0] == pool; shape := _node_shape(pair[1])}
}

_candidate_shapes(spec) := object.get(_shapes_by_pool, spec.nodeSelector["servegate.io/pool"], set()) if {
	spec.nodeSelector["servegate.io/pool"]
} else := {_node_shape(ng) | some ng in gpu_node_groups}

_fits_any(spec, shapes) if {
	some shape in shapes
	_fits(spec, shape)
}
