package security

import data.lib.inventory as inv
import data.lib.pod_security as pss
import rego.v1

# METADATA
# title: Containers add no capability beyond the baseline set, and restricted ones drop ALL
# description: Pod Security Standards, control Capabilities at both levels. Baseline, for every
#   workload - no capability beyond the container runtime's default set (SYS_ADMIN, NET_RAW and
#   the like are forbidden). Restricted, for servegate's workloads and pods of restricted
#   namespaces - drop ALL and add at most NET_BIND_SERVICE.
# custom:
#   id: SEC-032
#   area: security
#   severity: high
#   enforcement: mandatory
#   scope: stack
#   resource_types: ["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet",
#     "kubernetes:apps/v1:DaemonSet", "kubernetes:batch/v1:Job", "kubernetes:batch/v1:CronJob",
#     "kubernetes:core/v1:Pod"]
#   parameters: ["pod_security_standards.baseline.capabilities", "pod_security_standards.restricted.capabilities_add"]
#   pss_controls: ["Baseline: Capabilities", "Restricted: Capabilities"]
#   remediation: Remove the capability from securityContext.capabilities.add and set
#     capabilities.drop to ["ALL"] on every container.
deny contains v if {
	some [res, spec, base] in data.lib.workloads.pods
	some [list, i, container] in pss.containers(spec)
	capability_all := object.get(container, ["securityContext", "capabilities", "add"], [])
	some j
	capability := capability_all[j]
	not capability in data.params.pod_security_standards.baseline.capabilities
	v := inv.violation(
		"SEC-032", res,
		concat("", [
			"container ",
			pss.container_name(container, i),
			" of ",
			pss.describe(res),
			" adds capability ",
			inv.text(capability),
			"; the baseline Pod Security Standard (Capabilities) allows only the runtime's default set",
		]),
		concat(".", [pss.container_path(base, list, i), "securityContext.capabilities.add", format_int(j, 10)]), capability,
	)
}

deny contains v if {
	some [res, spec, base] in data.lib.pod_security.restricted_pods
	some [list, i, container] in pss.containers(spec)
	drop := object.get(container, ["securityContext", "capabilities", "drop"], [])
	not "ALL" in drop
	v := inv.violation(
		"SEC-032", res,
		concat("", [
			"container ",
			pss.container_name(container, i),
			" of ",
			pss.describe(res),
			" does not drop ALL capabilities; the restricted Pod Security Standard ",
			"(Capabilities) requires capabilities.drop: [ALL]",
		]),
		concat(".", [pss.container_path(base, list, i), "securityContext.capabilities.drop"]), drop,
	)
}

deny contains v if {
	some [res, spec, base] in data.lib.pod_security.restricted_pods
	some [list, i, container] in pss.containers(spec)
	capability_all := object.get(container, ["securityContext", "capabilities", "add"], [])
	some j
	capability := capability_all[j]
	capability in data.params.pod_security_standards.baseline.capabilities
	not capability in data.params.pod_security_standards.restricted.capabilities_add
	v := inv.violation(
		"SEC-032", res,
		concat("", [
			"container ",
			pss.container_name(container, i),
			" of ",
			pss.describe(res),
			" adds capability ",
			inv.text(capability),
			"; the restricted Pod Security Standard (Capabilities) allows adding only NET_BIND_SERVICE",
		]),
		concat(".", [pss.container_path(base, list, i), "securityContext.capabilities.add", format_int(j, 10)]), capability,
	)
}
