package sla

import data.lib.inventory as inv
import data.lib.pod_security as pss
import rego.v1

# Long-running workloads, whose containers need probes (Jobs run to completion).
_serving_types := {"kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet", "kubernetes:apps/v1:DaemonSet"}

_liveness_probes := ["readinessProbe", "livenessProbe"]

# METADATA
# title: servegate's workloads have probes and CPU and memory requests
# description: Without a readiness probe a pod takes traffic before it serves, without a liveness
#   probe a hung one stays; without CPU and memory requests the scheduler packs it blind and it
#   is first to be evicted. Applies to servegate's workloads (labelled part of servegate, in a
#   namespace the stack creates, or running a model server); the vllm container's own probes are
#   SLA-005's.
# custom:
#   id: SLA-020
#   area: sla
#   severity: medium
#   enforcement: mandatory
#   scope: stack
#   resource_types: ["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet",
#     "kubernetes:apps/v1:DaemonSet", "kubernetes:batch/v1:Job", "kubernetes:batch/v1:CronJob",
#     "kubernetes:core/v1:Pod"]
#   parameters: []
#   remediation: Give each container a readinessProbe and a livenessProbe, and resources.requests
#     for cpu and memory (init containers need the requests too).
deny contains v if {
	model_urns := data.lib.workloads.model_server_urns
	some [res, spec, base] in data.lib.pod_security.owned_pods
	res.type in _serving_types
	not res.urn in model_urns
	container_all := object.get(spec, "containers", [])
	some i
	container := container_all[i]
	some probe in _liveness_probes
	not is_object(object.get(container, probe, null))
	v := inv.violation(
		"SLA-020", res,
		concat("", ["container ", pss.container_name(container, i), " of ", pss.describe(res), " has no ", probe]),
		concat(".", [base, "containers", format_int(i, 10), probe]), null,
	)
}

deny contains v if {
	some [res, spec, base] in data.lib.pod_security.owned_pods
	some list in ["initContainers", "containers"]
	container_all := object.get(spec, list, [])
	some i
	container := container_all[i]
	some resource in ["cpu", "memory"]
	object.get(container, ["resources", "requests", resource], null) == null
	v := inv.violation(
		"SLA-020", res,
		concat("", [
			"container ",
			pss.container_name(container, i),
			" of ",
			pss.describe(res),
			" requests no ",
			resource,
			"; the scheduler cannot place it by what it needs",
		]),
		concat(".", [base, list, format_int(i, 10), "resources.requests", resource]), null,
	)
}
