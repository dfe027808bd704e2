package security_test

import data.lib.test_kit as pskit
import rego.v1

test_sec_031_privileged_ephemeral_container_denied if {
	debug := object.union(
		_pss_container,
		{"name": "debug", "securityContext": object.union(_pss_container.securityContext, {"privileged": true})},
	)
	[v] := _pss_hits(object.union(_pss_pod, {"ephemeralContainers": [debug]}), "SEC-031")
	v.path == "spec.template.spec.ephemeralContainers.0.securityContext.privileged"
}

test_sec_031_privileged_init_container_denied if {
	init := object.union(
		_pss_container,
		{"name": "init", "securityContext": object.union(_pss_container.securityContext, {"privileged": true})},
	)
	count(_pss_hits(object.union(_pss_pod, {"initContainers": [init]}), "SEC-031")) == 1
}

test_sec_031_privileged_false_passes if {
	count(_pss_hits(
		pskit.patched(_pss_image, {"securityContext": object.union(_pss_container.securityContext, {"privileged": false})}),
		"SEC-031",
	)) == 0
}
