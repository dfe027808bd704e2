package security

import data.lib.inventory as inv
import data.lib.pod_security as pss
import rego.v1

# METADATA
# title: No container binds a host port (PSS baseline)
# description: Pod Security Standards baseline, control Host Ports. A hostPort opens the
#   container on the node's own address, around Services, NetworkPolicies and the gateway.
# custom:
#   id: SEC-034
#   area: security
#   severity: high
#   enforcement: mandatory
#   scope: resource
#   resource_types: ["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet",
#     "kubernetes:apps/v1:DaemonSet", "kubernetes:batch/v1:Job", "kubernetes:batch/v1:CronJob",
#     "kubernetes:core/v1:Pod"]
#   parameters: []
#   pss_controls: ["Baseline: Host Ports"]
#   remediation: Remove ports[].hostPort; reach the container through its Service.
deny contains v if {
	some [res, spec, base] in data.lib.workloads.pods
	some [list, i, container] in pss.containers(spec)
	port_all := object.get(container, "ports", [])
	some j
	port := port_all[j]
	host_port := object.get(port, "hostPort", 0)
	not host_port in {0, null}
	v := inv.violation(
		"SEC-034", res,
		concat("", [
			"container ",
			pss.container_name(container, i),
			" of ",
			pss.describe(res),
			" binds host port ",
			inv.text(host_port),
			"; the baseline Pod Security Standard (Host Ports) forbids host ports",
		]),
		concat(".", [pss.container_path(base, list, i), "ports", format_int(j, 10), "hostPort"]), host_port,
	)
}
