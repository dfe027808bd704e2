# SLA-005: The vLLM container has startup, readiness and liveness probes.
package sla

import data.lib.inventory as inv
import data.lib.sla as sla_lib
import rego.v1

_probes := ["startupProbe", "readinessProbe", "livenessProbe"]

# The vLLM container of a containers list: named vllm, else the first one.
_vllm_index(containers) := i if {
	some i
	container := containers[i]
	container.name == "vllm"
} else := 0

# The distinct pod specs whose vllm container lacks a probe.
_unprobed_specs := {spec |
	some spec in data.lib.sla.server_pod_specs
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
#   resource_types: ["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet",
#     "kubernetes:apps/v1:DaemonSet", "kubernetes:batch/v1:Job", "kubernetes:batch/v1:CronJob",
#     "kubernetes:core/v1:Pod"]
#   parameters: []
#   remediation: Give the vllm container a startupProbe (budgeted for weight loading), a
#     readinessProbe and a livenessProbe on /health.
deny contains v if {
	count(_unprobed_specs) > 0
	some res in data.lib.sla.model_servers
	i := _vllm_index(sla_lib.containers(res))
	container := sla_lib.containers(res)[i]
	some probe in _probes
	not is_object(object.get(container, probe, null))
	v := inv.violation(
		"SLA-005", res,
		concat("", [
			"the vllm container of ",
			res.name,
			" has no ",
			probe,
			"; model servers need startup, readiness and liveness probes",
		]),
		concat(".", [sla_lib.pod_spec_path(res), "containers", format_int(i, 10), probe]), null,
	)
}
