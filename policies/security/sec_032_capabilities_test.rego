package security_test

import data.lib.test_kit as pskit
import rego.v1

_pss_caps(caps) := pskit.patched(
	_pss_image,
	{"securityContext": object.union(_pss_container.securityContext, {"capabilities": caps})},
)

test_sec_032_sys_admin_denied_at_baseline if {
	[v] := _pss_hits(_pss_caps({"drop": ["ALL"], "add": ["SYS_ADMIN"]}), "SEC-032")
	v.value == "SYS_ADMIN"
	v.path == "spec.template.spec.containers.0.securityContext.capabilities.add.0"
}

test_sec_032_baseline_applies_to_a_foreign_workload if {
	plain := {"name": "app", "image": "nginx:1.29", "securityContext": {"capabilities": {"add": ["NET_RAW"]}}}
	inv := pskit.pss_inventory([pskit.deployment("web", "default", {"containers": [plain]})])
	[v] := [x | some x in _pss_deny(inv); x.rule_id == "SEC-032"]
	v.value == "NET_RAW"
}

test_sec_032_restricted_requires_drop_all if {
	[v] := _pss_hits(_pss_caps({"drop": ["NET_RAW"]}), "SEC-032")
	v.path == "spec.template.spec.containers.0.securityContext.capabilities.drop"
}

test_sec_032_restricted_allows_only_net_bind_service if {
	[v] := _pss_hits(_pss_caps({"drop": ["ALL"], "add": ["CHOWN"]}), "SEC-032")
	v.value == "CHOWN"
	count(_pss_hits(_pss_caps({"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}), "SEC-032")) == 0
}

test_sec_032_foreign_workload_need_not_drop_all if {
	plain := {"name": "app", "image": "nginx:1.29", "securityContext": {"capabilities": {"add": ["CHOWN"]}}}
	inv := pskit.pss_inventory([pskit.deployment("web", "default", {"containers": [plain]})])
	[x | some x in _pss_deny(inv); x.rule_id == "SEC-032"] == []
}
