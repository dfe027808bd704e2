package security

import data.lib.inventory as inv
import data.lib.pod_security as pss
import rego.v1

# METADATA
# title: Pods do not share the node's namespaces (PSS baseline)
# description: Pod Security Standards baseline, controls Host Namespaces and HostProcess. A pod
#   on the node's network, PID or IPC namespace, or a Windows HostProcess container, sees and can
#   reach every other workload on the node, GPUs and model weights included.
# custom:
#   id: SEC-030
#   area: security
#   severity: critical
#   enforcement: mandatory
#   scope: resource
#   resource_types: ["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet",
#     "kubernetes:apps/v1:DaemonSet", "kubernetes:batch/v1:Job", "kubernetes:batch/v1:CronJob",
#     "kubernetes:core/v1:Pod"]
#   parameters: ["pod_security_standards.baseline.host_namespaces"]
#   pss_controls: ["Baseline: Host Namespaces", "Baseline: HostProcess"]
#   remediation: Remove hostNetwork, hostPID, hostIPC and windowsOptions.hostProcess from the pod
#     spec; expose a port through a Service instead of the host network.
deny contains v if {
	some [res, spec, base] in data.lib.workloads.pods
	some field in data.params.pod_security_standards.baseline.host_namespaces
	inv.truthy(object.get(spec, field, false))
	v := inv.violation(
		"SEC-030", res,
		concat("", [
			pss.describe(res),
			" sets ",
			field,
			": true; the baseline Pod Security Standard (Host Namespaces) forbids sharing the node's namespaces",
		]),
		concat(".", [base, field]), true,
	)
}

deny contains v if {
	some [res, spec, base] in data.lib.workloads.pods
	inv.truthy(object.get(spec, ["securityContext", "windowsOptions", "hostProcess"], false))
	v := inv.violation(
		"SEC-030", res,
		concat("", [
			pss.describe(res),
			" runs as a Windows HostProcess pod; the baseline Pod Security Standard (HostProcess) forbids it",
		]),
		concat(".", [base, "securityContext.windowsOptions.hostProcess"]), true,
	)
}

deny contains v if {
	some [res, spec, base] in data.lib.workloads.pods
	some [list, i, container] in pss.containers(spec)
	inv.truthy(object.get(container, ["securityContext", "windowsOptions", "hostProcess"], false))
	v := inv.violation(
		"SEC-030", res,
		concat("", [
			"container ",
			pss.container_name(container, i),
			" of ",
			pss.describe(res),
			" runs as a Windows HostProcess container; the baseline Pod Security Standard (HostProcess) forbids it",
		]),
		concat(".", [pss.container_path(base, list, i), "securityContext.windowsOptions.hostProcess"]), true,
	)
}
