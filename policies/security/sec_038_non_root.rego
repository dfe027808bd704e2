package security

import data.lib.inventory as inv
import data.lib.pod_security as pss
import rego.v1

# METADATA
# title: Restricted containers run as non-root without privilege escalation (PSS restricted)
# description: Pod Security Standards restricted, controls Privilege Escalation, Running as
#   Non-root and Running as Non-root user, for servegate's workloads (model servers among them)
#   and pods of restricted namespaces. Each container sets allowPrivilegeEscalation false, runs
#   with runAsNonRoot true (its own, else the pod's), and no user id is 0.
# custom:
#   id: SEC-038
#   area: security
#   severity: high
#   enforcement: mandatory
#   scope: stack
#   resource_types: ["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet",
#     "kubernetes:apps/v1:DaemonSet", "kubernetes:batch/v1:Job", "kubernetes:batch/v1:CronJob",
#     "kubernetes:core/v1:Pod"]
#   parameters: []
#   pss_controls: ["Restricted: Privilege Escalation", "Restricted: Running as Non-root", "Restricted: Running as
#     Non-root
#     user"]
#   remediation: Set allowPrivilegeEscalation false on every container, runAsNonRoot true and a
#     non-zero runAsUser on the pod (or every container).
deny contains v if {
	some [res, spec, base] in data.lib.pod_security.restricted_pods
	some [list, i, container] in pss.containers(spec)
	escalation := object.get(container, ["securityContext", "allowPrivilegeEscalation"], null)
	escalation != false
	v := inv.violation(
		"SEC-038", res,
		concat("", [
			"container ",
			pss.container_name(container, i),
			" of ",
			pss.describe(res),
			" does not set allowPrivilegeEscalation: false; the restricted Pod ",
			"Security Standard (Privilege Escalation) requires it",
		]),
		concat(".", [pss.container_path(base, list, i), "securityContext.allowPrivilegeEscalation"]), escalation,
	)
}

deny contains v if {
	some [res, spec, base] in data.lib.pod_security.restricted_pods
	pod_non_root := object.get(spec, ["securityContext", "runAsNonRoot"], null)
	some [list, i, container] in pss.containers(spec)
	non_root := object.get(container, ["securityContext", "runAsNonRoot"], pod_non_root)
	non_root != true
	v := inv.violation(
		"SEC-038", res,
		concat("", [
			"container ",
			pss.container_name(container, i),
			" of ",
			pss.describe(res),
			" may run as root: runAsNonRoot is not true on it or the pod; the ",
			"restricted Pod Security Standard (Running as Non-root) requires it",
		]),
		concat(".", [pss.container_path(base, list, i), "securityContext.runAsNonRoot"]), non_root,
	)
}

deny contains v if {
	some [res, spec, base] in data.lib.pod_security.restricted_pods
	object.get(spec, ["securityContext", "runAsUser"], null) == 0
	v := inv.violation(
		"SEC-038", res,
		concat("", [
			pss.describe(res),
			" sets runAsUser 0; the restricted Pod Security Standard (Running as Non-root user) forbids user id 0",
		]),
		concat(".", [base, "securityContext.runAsUser"]), 0,
	)
}

deny contains v if {
	some [res, spec, base] in data.lib.pod_security.restricted_pods
	some [list, i, container] in pss.containers(spec)
	object.get(container, ["securityContext", "runAsUser"], null) == 0
	v := inv.violation(
		"SEC-038", res,
		concat("", [
			"container ",
			pss.container_name(container, i),
			" of ",
			pss.describe(res),
			" sets runAsUser 0; the restricted Pod Security Standard (Running as Non-root user) forbids user id 0",
		]),
		concat(".", [pss.container_path(base, list, i), "securityContext.runAsUser"]), 0,
	)
}
