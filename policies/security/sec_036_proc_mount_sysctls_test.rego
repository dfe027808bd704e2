package security_test

import data.lib.test_kit as pskit
import rego.v1

test_sec_036_unmasked_proc_denied if {
	[v] := _pss_hits(
		pskit.patched(
			_pss_image,
			{"securityContext": object.union(_pss_container.securityContext, {"procMount": "Unmasked"})},
		),
		"SEC-036",
	)
	v.value == "Unmasked"
}

test_sec_036_unsafe_sysctl_denied if {
	spec := object.union(
		_pss_pod,
		{"securityContext": object.union(
			_pss_pod.securityContext,
			{"sysctls": [{"name": "kernel.msgmax", "value": "1"}, {"name": "net.ipv4.tcp_keepalive_time", "value": "60"}]},
		)},
	)
	[v] := _pss_hits(spec, "SEC-036")
	v.value == "kernel.msgmax"
	v.path == "spec.template.spec.securityContext.sysctls.0.name"
}
