# SLA-024: a model that has spent its error budget gets no risky change to what serves it.
package sla

import data.lib.inventory as inv
import rego.v1

_budget_resource_types := {
	"service": "kubernetes:core/v1:Service",
	"backend": "kubernetes:gateway.envoyproxy.io/v1alpha1:Backend",
	"ai_backend": "kubernetes:aigateway.envoyproxy.io/v1beta1:AIServiceBackend",
}

_budget_route_types := {
	"kubernetes:aigateway.envoyproxy.io/v1beta1:AIGatewayRoute",
	"kubernetes:gateway.networking.k8s.io/v1:HTTPRoute",
}

# Ops that put a new or changed object in place (imports adopt what runs: no change).
_budget_changing_ops := {"create", "create-replacement", "update", "replace"}

# Fields whose only change may be upwards: adding capacity is always allowed.
_budget_capacity_fields := {
	"kubernetes:apps/v1:Deployment": [["spec", "replicas"]],
	"kubernetes:apps/v1:StatefulSet": [["spec", "replicas"]],
	"kubernetes:argoproj.io/v1alpha1:Rollout": [["spec", "replicas"]],
	"kubernetes:keda.sh/v1alpha1:ScaledObject": [["spec", "minReplicaCount"], ["spec", "maxReplicaCount"]],
	"kubernetes:autoscaling/v2:HorizontalPodAutoscaler": [["spec", "minReplicas"], ["spec", "maxReplicas"]],
	"kubernetes:autoscaling/v1:HorizontalPodAutoscaler": [["spec", "minReplicas"], ["spec", "maxReplicas"]],
}

# [config name, served model name, remaining ratio] of every model whose budget is spent.
_budget_spent := [[name, object.get(entry, "served_model_name", ""), entry.remaining_ratio] |
	models := object.get(object.get(input, "error_budget", {}), "models", {})
	# `some name; entry := models[name]`: rego-cpp rejects `some k, v in` in a comprehension.
	some name
	entry := models[name]
	is_number(object.get(entry, "remaining_ratio", null))
	entry.remaining_ratio <= 0
]

_budget_serves(_, spec, model) if {
	model[1] != ""
	some listed in data.lib.workloads.containers(spec)
	container := listed[2]
	args := array.concat(object.get(container, "command", []), object.get(container, "args", []))
	some i, arg in args
	_budget_served_name_arg(args, i, arg, model[1])
}

_budget_serves(res, _, model) if object.get(res.props, ["metadata", "labels", "servegate.io/model"], "") == model[0]

_budget_serves(_, spec, model) if object.get(spec, ["metadata", "labels", "servegate.io/model"], "") == model[0]

_budget_served_name_arg(_, _, arg, name) if arg == concat("=", ["--served-model-name", name])

_budget_served_name_arg(args, i, arg, name) if {
	arg == "--served-model-name"
	args[i + 1] == name
}

# The labels of a workload's pods (a bare Pod's own).
_budget_pod_labels(res, path) := object.get(
	res.props,
	array.concat(split(trim_suffix(path, ".spec"), "."), ["metadata", "labels"]),
	{},
) if endswith(path, ".spec")

_budget_pod_labels(res, "spec") := object.get(res.props, ["metadata", "labels"], {})

_budget_namespace(res) := object.get(res.props, ["metadata", "namespace"], "default")

_budget_name(res) := object.get(res.props, ["metadata", "name"], res.name)

_budget_selects(selector, labels) if {
	every key, value in selector {
		labels[key] == value
	}
}

_budget_route_rules(props, names) := {rule |
	some rule in object.get(props, ["spec", "rules"], [])
	some ref in object.get(rule, "backendRefs", [])
	object.get(ref, "name", "") in names
}

# A changed route is allowed when the rules sending traffic to the model are as they were.
_budget_allowed_route(route, names) if {
	old := object.get(route, "old_props", null)
	is_object(old)
	_budget_route_rules(route.props, names) == _budget_route_rules(old, names)
}

# The props with capacity fields and (for a model server) container images set aside: two states
# with equal fingerprints differ at most there. Built from object.remove, not json.patch: rego-cpp
# 1.5 answers json.patch with a computed patch list as undefined.
_budget_fingerprint(res, props, "spec.template.spec") := {
	"top": object.remove(props, ["spec"]),
	"spec": object.remove(spec, array.concat(_budget_capacity_names(res), ["template"])),
	"template": object.remove(template, ["spec"]),
	"pod": object.remove(pod, data.lib.workloads.container_lists),
	"containers": [[object.remove(c, ["image"]) | some c in object.get(pod, list, [])] |
		some list in data.lib.workloads.container_lists
	],
} if {
	spec := object.get(props, "spec", {})
	template := object.get(spec, "template", {})
	pod := object.get(template, "spec", {})
}

_budget_fingerprint(res, props, "") := {
	"top": object.remove(props, ["spec"]),
	"spec": object.remove(object.get(props, "spec", {}), _budget_capacity_names(res)),
}

# Other pod spec paths (CronJobs, bare Pods): any change is a change.
_budget_fingerprint(_, props, path) := props if not path in {"", "spec.template.spec"}

_budget_capacity_names(res) := [field[1] | some field in object.get(_budget_capacity_fields, res.type, [])]

_budget_capacity_not_down(res, old) if {
	fields := object.get(_budget_capacity_fields, res.type, [])
	lowered := [field | some field in fields; object.get(res.props, field, 0) < object.get(old, field, 0)]
	count(lowered) == 0
}

_budget_images(props, path) := {c.image |
	path != ""
	some listed in data.lib.workloads.containers(object.get(props, split(path, "."), {}))
	c := listed[2]
	is_string(object.get(c, "image", null))
}

# Only capacity added, and images (if any changed) set back to ones the model runs in the plan's
# old state: allowed.
_budget_allowed(res, path, known_images) if {
	old := object.get(res, "old_props", null)
	is_object(old)
	_budget_fingerprint(res, res.props, path) == _budget_fingerprint(res, old, path)
	_budget_capacity_not_down(res, old)
	images := _budget_images(res.props, path)
	count(images - known_images) == 0
}

# What a resource is now: the plan's old state of a change, its props when unchanged, nothing
# when the plan creates it.
_budget_current(res) := object.get(res, "old_props", _budget_unchanged(res))

_budget_unchanged(res) := res.props if res.op == "same"
else := {}

# Everything that serves a spent model, found in one body: rego-cpp 1.5 re-evaluates a referenced
# rule at every reference while a `with` is in effect, so the collections are local variables of
# one rule, each built from the previous one, and the rule is referenced once per deny body.
#   entries: [model, resource, pod spec path ("" unless a model server), images the model runs]
#   routes:  [model, route, names of the model's Services and AIServiceBackends]
# A model is [config name, served model name, remaining ratio].
_budget_serving := {"entries": entries, "routes": routes} if {
	spent := _budget_spent
	count(spent) > 0

	# The model servers of a spent model: by the served model name they run, or their label.
	servers := [[model, entry[0], entry[2]] |
		some entry in data.lib.workloads.model_servers
		some model in spent
		_budget_serves(entry[0], entry[1], model)
	]

	# Services selecting their pods.
	services := [[server[0], svc] |
		some svc in inv.resources(input, _budget_resource_types.service)
		selector := object.get(svc.props, ["spec", "selector"], {})
		count(selector) > 0
		some server in servers
		_budget_namespace(svc) == _budget_namespace(server[1])
		_budget_selects(selector, _budget_pod_labels(server[1], server[2]))
	]

	# Envoy Gateway Backends whose endpoint is such a Service's cluster DNS name.
	backends := [[pair[0], backend] |
		some backend in inv.resources(input, _budget_resource_types.backend)
		some endpoint in object.get(backend.props, ["spec", "endpoints"], [])
		host := object.get(endpoint, ["fqdn", "hostname"], "")
		some pair in services
		startswith(host, concat(".", [_budget_name(pair[1]), _budget_namespace(pair[1]), "svc", ""]))
	]

	# AIServiceBackends naming those Backends.
	ai_backends := [[pair[0], ai] |
		some ai in inv.resources(input, _budget_resource_types.ai_backend)
		some pair in backends
		object.get(ai.props, ["spec", "backendRef", "name"], "") == _budget_name(pair[1])
	]

	# Autoscalers and Argo Rollouts driving a model server.
	scalers := [[server[0], res] |
		some type_token in _budget_scaler_types
		some res in inv.resources(input, type_token)
		target := object.get(res.props, ["spec", "scaleTargetRef"], object.get(res.props, ["spec", "workloadRef"], {}))
		some server in servers
		object.get(target, "name", "") == _budget_name(server[1])
		_budget_namespace(res) == _budget_namespace(server[1])
	]

	server_entries := [[server[0], server[1], server[2], images] |
		some server in servers
		images := {image |
			some other in servers
			other[0] == server[0]
			some image in _budget_images(_budget_current(other[1]), other[2])
		}
	]
	others := array.concat(array.concat(services, backends), array.concat(ai_backends, scalers))
	entries := array.concat(server_entries, [[pair[0], pair[1], "", set()] | some pair in others])

	targets := array.concat(services, ai_backends)
	routes := [[model, route, names] |
		some model in {pair[0] | some pair in targets}
		names := {_budget_name(pair[1]) | some pair in targets; pair[0] == model}
		some type_token in _budget_route_types
		some route in inv.resources(input, type_token)
		count(_budget_route_rules(route.props, names)) > 0
	]
}

_budget_scaler_types := {
	"kubernetes:keda.sh/v1alpha1:ScaledObject",
	"kubernetes:argoproj.io/v1alpha1:Rollout",
	"kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
	"kubernetes:autoscaling/v1:HorizontalPodAutoscaler",
}

# METADATA
# title: A model that has spent its error budget gets only capacity and rollbacks
# description: When a model's availability error budget over the SLO window is spent (the
#   --error-budget document, input.error_budget), every change to what serves it - its model-server
#   workloads, the Services selecting their pods, the gateway backends and routes sending them
#   traffic, their autoscalers and rollouts - is blocked, except changes that only add capacity
#   (replicas, minimum or maximum replicas up) or roll an image back to one the model ran in the
#   plan's old state. Reliability work comes first until the budget recovers.
# custom:
#   id: SLA-024
#   area: sla
#   severity: high
#   enforcement: mandatory
#   scope: stack
#   resource_types: ["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet",
#     "kubernetes:core/v1:Service", "kubernetes:keda.sh/v1alpha1:ScaledObject",
#     "kubernetes:aigateway.envoyproxy.io/v1beta1:AIGatewayRoute"]
#   parameters: []
#   remediation: Hold the change until the model's budget recovers, ship only capacity or a rollback
#     to an image the model already ran, or record an approved waiver for this rule and resource.
deny contains v if {
	some entry in _budget_serving.entries
	res := entry[1]
	res.op in _budget_changing_ops
	not _budget_allowed(res, entry[2], entry[3])
	v := _budget_violation(entry[0], res)
}

deny contains v if {
	some entry in _budget_serving.routes
	route := entry[1]
	route.op in _budget_changing_ops
	not _budget_allowed_route(route, entry[2])
	v := _budget_violation(entry[0], route)
}

_budget_violation(model, res) := inv.violation_with_limit(
	"SLA-024", res,
	concat("", [
		"model ", model[0], " has spent its error budget (remaining ",
		inv.text(model[2]), " of its window, as of ",
		inv.text(object.get(object.get(input, "error_budget", {}), "as_of", "")),
		"): this ", res.op, " of ", res.name,
		" is blocked; only adding capacity or rolling an image back to one the model ran is allowed",
	]),
	"op", res.op,
	concat("", ["error_budget.models.", model[0], ".remaining_ratio"]), model[2],
)
