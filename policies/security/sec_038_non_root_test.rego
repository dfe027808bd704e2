package security_test

import data.lib.test_kit as pskit
import rego.v1

test_sec_038_privilege_escalation_unset_denied if {
	context := object.remove(_pss_container.securityContext, ["allowPrivilegeEscalation"])
	spec := object.union(
		_pss_pod,
		{"containers": [object.union(object.remove(_pss_container, ["securityContext"]), {"securityContext": context})]},
	)
	[v] := _pss_hits(spec, "SEC-038")
	v.path == "spec.template.spec.containers.0.securityContext.allowPrivilegeEscalation"
}

test_sec_038_container_run_as_non_root_false_denied if {
	[v] := _pss_hits(
		pskit.patched(_pss_image, {"securityContext": object.union(_pss_container.securityContext, {"runAsNonRoot": false})}),
		"SEC-038",
	)
	v.value == false
}

test_sec_038_pod_level_non_root_suffices if {
	context := object.remove(_pss_container.securityContext, ["runAsNonRoot"])
	spec := object.union(
		_pss_pod,
		{"containers": [object.union(object.remove(_pss_container, ["securityContext"]), {"securityContext": context})]},
	)
	count(_pss_hits(spec, "SEC-038")) == 0
}

test_sec_038_root_uid_denied if {
	spec := object.union(_pss_pod, {"securityContext": object.union(_pss_pod.securityContext, {"runAsUser": 0})})
	[v] := _pss_hits(spec, "SEC-038")
	v.path == "spec.template.spec.securityContext.runAsUser"
}

test_sec_038_root_uid_on_container_denied if {
	count(_pss_hits(
		pskit.patched(_pss_image, {"securityContext": object.union(_pss_container.securityContext, {"runAsUser": 0})}),
		"SEC-038",
	)) == 1
}
