package security_test

import data.lib.test_kit as pskit
import rego.v1

test_sec_037_unconfined_container_denied if {
	[v] := _pss_hits(
		pskit.patched(
			_pss_image,
			{"securityContext": object.union(_pss_container.securityContext, {"seccompProfile": {"type": "Unconfined"}})},
		),
		"SEC-037",
	)
	v.path == "spec.template.spec.containers.0.securityContext.seccompProfile.type"
}

test_sec_037_unconfined_pod_denied_once if {
	spec := object.union(
		_pss_pod,
		{"securityContext": object.union(_pss_pod.securityContext, {"seccompProfile": {"type": "Unconfined"}})},
	)
	[v] := _pss_hits(spec, "SEC-037")
	v.path == "spec.template.spec.securityContext.seccompProfile.type"
}

test_sec_037_restricted_needs_a_profile if {
	spec := json.patch(_pss_pod, [{"op": "remove", "path": "/securityContext/seccompProfile"}])
	[v] := _pss_hits(spec, "SEC-037")
	v.value == ""
}

test_sec_037_container_profile_suffices if {
	spec := object.union(json.patch(_pss_pod, [{"op": "remove", "path": "/securityContext/seccompProfile"}]), {
		"containers": [object.union(
			_pss_container,
			{"securityContext": object.union(_pss_container.securityContext, {"seccompProfile": {"type": "RuntimeDefault"}})},
		)],
	})
	count(_pss_hits(spec, "SEC-037")) == 0
}
