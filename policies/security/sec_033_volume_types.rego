package security

import data.lib.inventory as inv
import data.lib.pod_security as pss
import rego.v1

# METADATA
# title: Pods mount no hostPath, and restricted pods only the core volume types (PSS)
# description: Pod Security Standards, controls HostPath Volumes (baseline, every workload) and
#   Volume Types (restricted, servegate's workloads and pods of restricted namespaces). A hostPath
#   reaches the node's filesystem; restricted pods use only configMap, csi, downwardAPI,
#   emptyDir, ephemeral, persistentVolumeClaim, projected and secret volumes.
# custom:
#   id: SEC-033
#   area: security
#   severity: high
#   enforcement: mandatory
#   scope: stack
#   resource_types: ["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet",
#     "kubernetes:apps/v1:DaemonSet", "kubernetes:batch/v1:Job", "kubernetes:batch/v1:CronJob",
#     "kubernetes:core/v1:Pod"]
#   parameters: ["pod_security_standards.restricted.volume_types", "pod_security_standards.volume_meta_keys"]
#   pss_controls: ["Baseline: HostPath Volumes", "Restricted: Volume Types"]
#   remediation: Replace the hostPath (or other inline volume source) with an emptyDir, a
#     PersistentVolumeClaim, or a projected/configMap/secret volume.
deny contains v if {
	some [res, spec, base] in data.lib.workloads.pods
	volume_all := object.get(spec, "volumes", [])
	some i
	volume := volume_all[i]
	object.get(volume, "hostPath", null) != null
	v := inv.violation(
		"SEC-033", res,
		concat("", [
			"volume ",
			inv.text(object.get(volume, "name", format_int(i, 10))),
			" of ",
			pss.describe(res),
			" is a hostPath; the baseline Pod Security Standard (HostPath Volumes) forbids it",
		]),
		concat(".", [base, "volumes", format_int(i, 10), "hostPath"]), volume.hostPath,
	)
}

deny contains v if {
	some [res, spec, base] in data.lib.pod_security.restricted_pods
	volume_all := object.get(spec, "volumes", [])
	some i
	volume := volume_all[i]
	some kind in object.keys(volume)
	not kind in data.params.pod_security_standards.volume_meta_keys
	kind != "hostPath"
	not kind in data.params.pod_security_standards.restricted.volume_types
	v := inv.violation(
		"SEC-033", res,
		concat("", [
			"volume ",
			inv.text(object.get(volume, "name", format_int(i, 10))),
			" of ",
			pss.describe(res),
			" is of type ",
			kind,
			"; the restricted Pod Security Standard (Volume Types) allows only ",
			concat(", ", data.params.pod_security_standards.restricted.volume_types),
		]),
		concat(".", [base, "volumes", format_int(i, 10), kind]), kind,
	)
}
