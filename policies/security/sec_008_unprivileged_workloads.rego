# SEC-008: Workloads run unprivileged and outside the host namespaces.
package security

import data.lib.inventory as inv
import rego.v1

_host_namespaces := ["hostNetwork", "hostPID", "hostIPC"]

_container_lists := ["initContainers", "containers", "ephemeralContainers"]

_escalations := ["privileged", "allowPrivilegeEscalation"]

# [resource, pod spec, pod spec path] of every workload and bare Pod.
_pod_specs := array.concat(data.lib.inventory.workload_pod_specs, [[pod, object.get(pod.props, "spec", {}), "spec"] |
	some pod in inv.resources(input, "kubernetes:core/v1:Pod")
])

# Workloads share pod specs (replicas of a model, copies of a stack) and the engine compares
# whole specs natively: SEC-008 judges each distinct spec once and visits the workloads only
# when one fails.
_distinct_pod_specs := {spec | some [_, spec, _] in _pod_specs}

_host_namespace_specs := {spec |
	some spec in _distinct_pod_specs
	some field in _host_namespaces
	inv.truthy(object.get(spec, field, false))
}

_escalating_specs := {spec |
	some spec in _distinct_pod_specs
	some list in _container_lists
	container_list := object.get(spec, list, [])
	container := container_list[_]
	some field in _escalations
	inv.truthy(object.get(container, ["securityContext", field], false))
}

# METADATA
# title: Workloads run unprivileged and outside the host namespaces
# description: A privileged container, one allowed to escalate privileges, or a pod sharing the
#   node's network, PID or IPC namespace can take over the node, its GPU and every model on it.
# custom:
#   id: SEC-008
#   area: security
#   severity: critical
#   enforcement: mandatory
#   scope: resource
#   resource_types: ["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet",
#     "kubernetes:apps/v1:DaemonSet", "kubernetes:batch/v1:Job", "kubernetes:batch/v1:CronJob",
#     "kubernetes:core/v1:Pod"]
#   parameters: []
#   remediation: Remove privileged, allowPrivilegeEscalation true, hostNetwork, hostPID and
#     hostIPC from the pod spec; grant single capabilities if a container truly needs one.
deny contains v if {
	count(_host_namespace_specs) > 0
	some workload in _pod_specs
	[res, spec, spec_path] := workload
	spec in _host_namespace_specs
	some field in _host_namespaces
	inv.truthy(object.get(spec, field, false))
	v := inv.violation(
		"SEC-008", res,
		concat("", [
			res.type,
			" ",
			res.name,
			" shares the node's ",
			lower(trim_prefix(field, "host")),
			" namespace; ",
			field,
			" must not be true",
		]),
		concat(".", [spec_path, field]), true,
	)
}

deny contains v if {
	count(_escalating_specs) > 0
	some workload in _pod_specs
	[res, spec, spec_path] := workload
	spec in _escalating_specs
	some list in _container_lists
	container_list := object.get(spec, list, [])
	some i
	container := container_list[i]
	some field in _escalations
	inv.truthy(object.get(container, ["securityContext", field], false))
	v := inv.violation(
		"SEC-008", res,
		concat("", [
			"container ",
			inv.text(object.get(container, "name", i)),
			" of ",
			res.name,
			" sets securityContext.",
			field,
			"; it must not be true",
		]),
		concat(".", [spec_path, list, format_int(i, 10), "securityContext", field]), true,
	)
}
