package security

import data.lib.inventory as inv
import data.lib.pod_security as pss
import rego.v1

# METADATA
# title: No container runs seccomp Unconfined; restricted ones run RuntimeDefault (PSS)
# description: Pod Security Standards, control Seccomp at both levels. Baseline, every
#   workload - no Unconfined profile on the pod or a container. Restricted, servegate's workloads
#   and pods of restricted namespaces - every container's effective profile (its own, else the
#   pod's) is RuntimeDefault or Localhost.
# custom:
#   id: SEC-037
#   area: security
#   severity: high
#   enforcement: mandatory
#   scope: stack
#   resource_types: ["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet",
#     "kubernetes:apps/v1:DaemonSet", "kubernetes:batch/v1:Job", "kubernetes:batch/v1:CronJob",
#     "kubernetes:core/v1:Pod"]
#   parameters: ["pod_security_standards.baseline.seccomp_forbidden_types",
#     "pod_security_standards.restricted.seccomp_types"]
#   pss_controls: ["Baseline: Seccomp", "Restricted: Seccomp"]
#   remediation: Set securityContext.seccompProfile.type RuntimeDefault on the pod and remove
#     Unconfined profiles from its containers.
deny contains v if {
	some [res, spec, base] in data.lib.workloads.pods
	profile := object.get(spec, ["securityContext", "seccompProfile", "type"], "")
	profile in data.params.pod_security_standards.baseline.seccomp_forbidden_types
	v := inv.violation(
		"SEC-037", res,
		concat("", [
			pss.describe(res),
			" runs with seccomp profile ",
			profile,
			"; the baseline Pod Security Standard (Seccomp) forbids Unconfined",
		]),
		concat(".", [base, "securityContext.seccompProfile.type"]), profile,
	)
}

deny contains v if {
	some [res, spec, base] in data.lib.workloads.pods
	some [list, i, container] in pss.containers(spec)
	profile := object.get(container, ["securityContext", "seccompProfile", "type"], "")
	profile in data.params.pod_security_standards.baseline.seccomp_forbidden_types
	v := inv.violation(
		"SEC-037", res,
		concat("", [
			"container ",
			pss.container_name(container, i),
			" of ",
			pss.describe(res),
			" runs with seccomp profile ",
			profile,
			"; the baseline Pod Security Standard (Seccomp) forbids Unconfined",
		]),
		concat(".", [pss.container_path(base, list, i), "securityContext.seccompProfile.type"]), profile,
	)
}

deny contains v if {
	some [res, spec, base] in data.lib.pod_security.restricted_pods
	pod_profile := object.get(spec, ["securityContext", "seccompProfile", "type"], "")
	some [list, i, container] in pss.containers(spec)
	profile := object.get(container, ["securityContext", "seccompProfile", "type"], pod_profile)
	not profile in data.params.pod_security_standards.restricted.seccomp_types
	not profile in data.params.pod_security_standards.baseline.seccomp_forbidden_types
	v := inv.violation(
		"SEC-037", res,
		concat("", [
			"container ",
			pss.container_name(container, i),
			" of ",
			pss.describe(res),
			" has no RuntimeDefault or Localhost seccomp profile (on itself or the ",
			"pod); the restricted Pod Security Standard (Seccomp) requires one",
		]),
		concat(".", [base, "securityContext.seccompProfile.type"]), profile,
	)
}
