package security

import data.lib.inventory as inv
import data.lib.pod_security as pss
import rego.v1

# [path, security context, who] of the pod and each of its containers.
_pss_contexts(spec, base) := array.concat(
	[[concat(".", [base, "securityContext"]), object.get(spec, "securityContext", {}), "the pod"]],
	[[
		concat(".", [pss.container_path(base, list, i), "securityContext"]),
		object.get(container, "securityContext", {}),
		concat("", ["container ", pss.container_name(container, i)]),
	] |
		some [list, i, container] in pss.containers(spec)
	],
)

# METADATA
# title: Pods keep the runtime's AppArmor and SELinux confinement (PSS baseline)
# description: Pod Security Standards baseline, controls AppArmor and SELinux. An Unconfined
#   AppArmor profile (field or annotation), a custom SELinux type, user or role lifts the
#   mandatory access control that contains a compromised container.
# custom:
#   id: SEC-035
#   area: security
#   severity: high
#   enforcement: mandatory
#   scope: resource
#   resource_types: ["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet",
#     "kubernetes:apps/v1:DaemonSet", "kubernetes:batch/v1:Job", "kubernetes:batch/v1:CronJob",
#     "kubernetes:core/v1:Pod"]
#   parameters: ["pod_security_standards.baseline.apparmor_types", "pod_security_standards.baseline.selinux_types"]
#   pss_controls: ["Baseline: AppArmor", "Baseline: SELinux"]
#   remediation: Remove appArmorProfile (or set RuntimeDefault or Localhost), the
#     container.apparmor.security.beta.kubernetes.io annotations other than runtime/default or
#     localhost/*, and seLinuxOptions other than the container_t types.
deny contains v if {
	some [res, spec, base] in data.lib.workloads.pods
	some [path, context, who] in _pss_contexts(spec, base)
	profile_type := object.get(context, ["appArmorProfile", "type"], "RuntimeDefault")
	not profile_type in data.params.pod_security_standards.baseline.apparmor_types
	v := inv.violation(
		"SEC-035", res,
		concat("", [
			who,
			" of ",
			pss.describe(res),
			" sets AppArmor profile ",
			inv.text(profile_type),
			"; the baseline Pod Security Standard (AppArmor) allows only RuntimeDefault or Localhost",
		]),
		concat(".", [path, "appArmorProfile.type"]), profile_type,
	)
}

deny contains v if {
	some [res, spec, base] in data.lib.workloads.pods
	value_all := pss.annotations(res, base)
	some key
	value := value_all[key]
	startswith(key, data.params.pod_security_standards.baseline.apparmor_annotation_prefix)
	not value in data.params.pod_security_standards.baseline.apparmor_annotation_values
	not startswith(inv.text(value), data.params.pod_security_standards.baseline.apparmor_annotation_value_prefix)
	v := inv.violation(
		"SEC-035", res,
		concat("", [
			pss.describe(res),
			" sets annotation ",
			key,
			"=",
			inv.text(value),
			"; the baseline Pod Security Standard (AppArmor) allows only runtime/default or localhost/*",
		]),
		concat(".", [pss.metadata_path(base), "annotations", key]), value,
	)
}

deny contains v if {
	some [res, spec, base] in data.lib.workloads.pods
	some [path, context, who] in _pss_contexts(spec, base)
	selinux := object.get(context, "seLinuxOptions", {})
	selinux_type := object.get(selinux, "type", "")
	not selinux_type in data.params.pod_security_standards.baseline.selinux_types
	v := inv.violation(
		"SEC-035", res,
		concat("", [
			who,
			" of ",
			pss.describe(res),
			" sets SELinux type ",
			inv.text(selinux_type),
			"; the baseline Pod Security Standard (SELinux) allows only container_t, container_init_t and container_kvm_t",
		]),
		concat(".", [path, "seLinuxOptions.type"]), selinux_type,
	)
}

deny contains v if {
	some [res, spec, base] in data.lib.workloads.pods
	some [path, context, who] in _pss_contexts(spec, base)
	some field in ["user", "role"]
	value := object.get(context, ["seLinuxOptions", field], "")
	value != ""
	v := inv.violation(
		"SEC-035", res,
		concat("", [
			who,
			" of ",
			pss.describe(res),
			" sets a custom SELinux ",
			field,
			" ",
			inv.text(value),
			"; the baseline Pod Security Standard (SELinux) forbids it",
		]),
		concat(".", [path, "seLinuxOptions", field]), value,
	)
}
