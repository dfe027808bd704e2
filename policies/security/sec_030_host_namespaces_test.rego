package security_test

import data.lib.test_kit as pskit
import rego.v1

# Pod Security Standards rules on one compliant model server (_pss_pod), broken one control
# at a time; every test also checks the compliant pod passes that rule.

_pss_ids(spec) := {v.rule_id | some v in _pss_deny(pskit.with_spec(spec))}

test_sec_030_sec_039_the_compliant_model_server_passes if {
	_pss_ids(_pss_pod) & {
		"SEC-030",
		"SEC-031",
		"SEC-032",
		"SEC-033",
		"SEC-034",
		"SEC-035",
		"SEC-036",
		"SEC-037",
		"SEC-038",
		"SEC-039",
	} == set()
}

test_sec_030_host_network_denied if {
	[v] := _pss_hits(object.union(_pss_pod, {"hostNetwork": true}), "SEC-030")
	v.path == "spec.template.spec.hostNetwork"
}

test_sec_030_host_ipc_denied if {
	count(_pss_hits(object.union(_pss_pod, {"hostIPC": true}), "SEC-030")) == 1
}

test_sec_030_host_process_container_denied if {
	[v] := _pss_hits(
		pskit.patched(
			_pss_image,
			{"securityContext": object.union(_pss_container.securityContext, {"windowsOptions": {"hostProcess": true}})},
		),
		"SEC-030",
	)
	v.path == "spec.template.spec.containers.0.securityContext.windowsOptions.hostProcess"
}

test_sec_030_host_process_pod_denied if {
	spec := object.union(
		_pss_pod,
		{"securityContext": object.union(_pss_pod.securityContext, {"windowsOptions": {"hostProcess": true}})},
	)
	count(_pss_hits(spec, "SEC-030")) == 1
}
