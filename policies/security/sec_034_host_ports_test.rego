package security_test

import data.lib.test_kit as pskit
import rego.v1

test_sec_034_host_port_denied if {
	[v] := _pss_hits(pskit.patched(_pss_image, {"ports": [{"containerPort": 8000, "hostPort": 8000}]}), "SEC-034")
	v.path == "spec.template.spec.containers.0.ports.0.hostPort"
	v.value == 8000
}

test_sec_034_host_port_zero_passes if {
	count(_pss_hits(pskit.patched(_pss_image, {"ports": [{"containerPort": 8000, "hostPort": 0}]}), "SEC-034")) == 0
}
