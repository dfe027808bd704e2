package security_test

import rego.v1

_pss_volume(volume) := object.union(_pss_pod, {"volumes": [volume]})

test_sec_033_host_path_denied if {
	[v] := _pss_hits(_pss_volume({"name": "host", "hostPath": {"path": "/"}}), "SEC-033")
	v.path == "spec.template.spec.volumes.0.hostPath"
}

test_sec_033_restricted_nfs_denied if {
	[v] := _pss_hits(_pss_volume({"name": "share", "nfs": {"server": "x", "path": "/"}}), "SEC-033")
	v.value == "nfs"
}

test_sec_033_core_volume_types_pass if {
	spec := object.union(_pss_pod, {"volumes": [
		{"name": "a", "emptyDir": {}}, {"name": "b", "persistentVolumeClaim": {"claimName": "w"}},
		{"name": "c", "projected": {"sources": []}}, {"name": "d", "configMap": {"name": "x"}},
		{"name": "e", "secret": {"secretName": "x"}}, {"name": "f", "csi": {"driver": "x"}},
	]})
	count(_pss_hits(spec, "SEC-033")) == 0
}
