# SEC-008: the rule's cases, on the builders of security_test.rego.
package security_test

import data.lib.test_kit as kit
import rego.v1

test_sec_008_unprivileged_workload_passes if {
	count(kit.fired(_deny(_inventory({})), "SEC-008")) == 0
}

test_sec_008_privileged_init_container_denied if {
	spec := kit.with_fields(
		_pod_spec,
		{"initContainers": [{"name": "fetch-weights", "securityContext": {"privileged": true}}]},
	)
	deployment := kit.with_props(_deployment, {"spec": {"template": {"spec": spec}}})
	denies := _deny(_inventory({"deployment": deployment}))
	kit.only_on(denies, "SEC-008", {deployment.urn})
	{v.path |
		some v in denies
	} == {kit.evidence_path(["spec", "template", "spec", "initContainers", 0, "securityContext", "privileged"])}
}

test_sec_008_privilege_escalation_denied if {
	spec := kit.with_fields(
		_pod_spec,
		{"containers": [{"name": "vllm", "securityContext": {"allowPrivilegeEscalation": true}}]},
	)
	deployment := kit.with_props(_deployment, {"spec": {"template": {"spec": spec}}})
	kit.only_on(_deny(_inventory({"deployment": deployment})), "SEC-008", {deployment.urn})
}

test_sec_008_host_network_daemonset_denied if {
	# In the namespace the compliant stack isolates (SEC-020, SEC-024): the DaemonSet runs vLLM.
	daemonset := kit.resource("kubernetes:apps/v1:DaemonSet", "exporter", {
		"metadata": {"namespace": "serving"},
		"spec": {"template": {"spec": object.union(_pod_spec, {"hostNetwork": true})}},
	})
	kit.only_on(_deny(_inventory({"daemonset": daemonset})), "SEC-008", {daemonset.urn})
}

test_sec_008_host_pid_pod_denied if {
	pod := kit.resource("kubernetes:core/v1:Pod", "debug", {
		"metadata": {"namespace": "serving"},
		"spec": object.union(_pod_spec, {"hostPID": true}),
	})
	denies := _deny(_inventory({"pod": pod}))
	kit.only_on(denies, "SEC-008", {pod.urn})
	{v.path | some v in denies} == {"spec.hostPID"}
}
