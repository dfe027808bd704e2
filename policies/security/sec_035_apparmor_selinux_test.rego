package security_test

import data.lib.test_kit as pskit
import rego.v1

_pss_context(extra) := pskit.patched(
	_pss_image,
	{"securityContext": object.union(_pss_container.securityContext, extra)},
)

test_sec_035_apparmor_unconfined_denied if {
	[v] := _pss_hits(_pss_context({"appArmorProfile": {"type": "Unconfined"}}), "SEC-035")
	v.value == "Unconfined"
}

test_sec_035_apparmor_localhost_passes if {
	count(_pss_hits(_pss_context({"appArmorProfile": {"type": "Localhost", "localhostProfile": "p"}}), "SEC-035")) == 0
}

test_sec_035_apparmor_annotation_denied if {
	d := pskit.deployment("vllm-a", "llm-serving", _pss_pod)
	annotated := json.patch(d, [{
		"op": "add",
		"path": "/props/spec/template/metadata/annotations",
		"value": {"container.apparmor.security.beta.kubernetes.io/vllm": "unconfined"},
	}])
	inv := pskit.pss_inventory([pskit.restricted_namespace("llm-serving"), annotated])
	[v] := [x | some x in _pss_deny(inv); x.rule_id == "SEC-035"]
	v.path == "spec.template.metadata.annotations.container.apparmor.security.beta.kubernetes.io/vllm"
}

test_sec_035_selinux_type_denied if {
	[v] := _pss_hits(_pss_context({"seLinuxOptions": {"type": "spc_t"}}), "SEC-035")
	v.value == "spc_t"
}

test_sec_035_selinux_user_denied if {
	count(_pss_hits(_pss_context({"seLinuxOptions": {"user": "system_u"}}), "SEC-035")) == 1
}

test_sec_035_selinux_container_t_passes if {
	count(_pss_hits(_pss_context({"seLinuxOptions": {"type": "container_t", "level": "s0:c1"}}), "SEC-035")) == 0
}
