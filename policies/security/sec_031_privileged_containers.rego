package security

import data.lib.inventory as inv
import data.lib.pod_security as pss
import rego.v1

# METADATA
# title: No container runs privileged (PSS baseline)
# description: Pod Security Standards baseline, control Privileged Containers. A privileged
#   container has every device and capability of the node; init and ephemeral containers count.
# custom:
#   id: SEC-031
#   area: security
#   severity: critical
#   enforcement: mandatory
#   scope: resource
#   resource_types: ["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet",
#     "kubernetes:apps/v1:DaemonSet", "kubernetes:batch/v1:Job", "kubernetes:batch/v1:CronJob",
#     "kubernetes:core/v1:Pod"]
#   parameters: []
#   pss_controls: ["Baseline: Privileged Containers"]
#   remediation: Remove securityContext.privileged (or set it false) on every container, init and
#     ephemeral ones included; grant a single allowed capability if one is truly needed.
deny contains v if {
	some [res, spec, base] in data.lib.workloads.pods
	some [list, i, container] in pss.containers(spec)
	inv.truthy(object.get(container, ["securityContext", "privileged"], false))
	v := inv.violation(
		"SEC-031", res,
		concat("", [
			"container ",
			pss.container_name(container, i),
			" of ",
			pss.describe(res),
			" is privileged; the baseline Pod Security Standard (Privileged Containers) forbids it",
		]),
		concat(".", [pss.container_path(base, list, i), "securityContext.privileged"]), true,
	)
}
