package security_test

import data.lib.test_kit as pskit
import data.security
import rego.v1

_pss_image := concat("", [
	"registry.example/vllm/vllm-openai:v0.33.0@sha256:0123456789abcdef01234",
	"56789abcdef0123456789abcdef0123456789abcdef",
])

_pss_pod := pskit.model_pod(_pss_image)

_pss_container := pskit.model_container(_pss_image)

# The package's findings on `inventory`, key by key: regopy 1.5.2 and regorus 0.13 mishandle
# `with input as <value>` across packages (see security_test.rego's _deny).
_pss_deny(inventory) := denies if {
	denies := security.deny with input.stack as inventory.stack
		with input.declared as inventory.declared
		with input.evaluation as inventory.evaluation
		with input.resources as inventory.resources
		with input.by_type as inventory.by_type
}

# Pod Security Standards rules on one compliant model server (_pss_pod), broken one control
# at a time; every test also checks the compliant pod passes that rule.

_pss_ids(spec) := {v.rule_id | some v in _pss_deny(pskit.with_spec(spec))}

_pss_hits(spec, rule_id) := [x | some x in _pss_deny(pskit.with_spec(spec)); x.rule_id == rule_id]

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
