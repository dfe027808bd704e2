package security

import data.lib.inventory as inv
import data.lib.pod_security as pss
import rego.v1

# METADATA
# title: Containers keep the masked /proc and set only safe sysctls (PSS baseline)
# description: Pod Security Standards baseline, controls /proc Mount Type and Sysctls. An
#   Unmasked /proc exposes the node's kernel interfaces; a sysctl outside the safe, namespaced
#   set changes the kernel for every pod on the node.
# custom:
#   id: SEC-036
#   area: security
#   severity: high
#   enforcement: mandatory
#   scope: resource
#   resource_types: ["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet",
#     "kubernetes:apps/v1:DaemonSet", "kubernetes:batch/v1:Job", "kubernetes:batch/v1:CronJob",
#     "kubernetes:core/v1:Pod"]
#   parameters: ["pod_security_standards.baseline.proc_mount_types", "pod_security_standards.baseline.safe_sysctls"]
#   pss_controls: ["Baseline: /proc Mount Type", "Baseline: Sysctls"]
#   remediation: Remove securityContext.procMount (or set Default) and every sysctl outside the
#     safe list of policies/data/pod_security_standards.yaml.
deny contains v if {
	some [res, spec, base] in data.lib.workloads.pods
	some [list, i, container] in pss.containers(spec)
	proc_mount := object.get(container, ["securityContext", "procMount"], "Default")
	not proc_mount in data.params.pod_security_standards.baseline.proc_mount_types
	v := inv.violation(
		"SEC-036", res,
		concat("", [
			"container ",
			pss.container_name(container, i),
			" of ",
			pss.describe(res),
			" sets procMount ",
			inv.text(proc_mount),
			"; the baseline Pod Security Standard (/proc Mount Type) allows only Default",
		]),
		concat(".", [pss.container_path(base, list, i), "securityContext.procMount"]), proc_mount,
	)
}

deny contains v if {
	some [res, spec, base] in data.lib.workloads.pods
	sysctl_all := object.get(spec, ["securityContext", "sysctls"], [])
	some i
	sysctl := sysctl_all[i]
	name := object.get(sysctl, "name", "")
	not name in data.params.pod_security_standards.baseline.safe_sysctls
	v := inv.violation(
		"SEC-036", res,
		concat("", [
			pss.describe(res),
			" sets sysctl ",
			inv.text(name),
			"; the baseline Pod Security Standard (Sysctls) allows only the safe, namespaced ones",
		]),
		concat(".", [base, "securityContext.sysctls", format_int(i, 10), "name"]), name,
	)
}
