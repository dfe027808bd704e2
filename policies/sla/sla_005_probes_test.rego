# SLA-005: the rule's cases, on the builders of sla_test.rego.
package sla_test

import data.lib.test_kit as kit
import rego.v1

test_sla_005_all_probes_allowed if {
	count(kit.findings(_denials(_compliant, _declared), "SLA-005")) == 0
}

test_sla_005_missing_startup_probe_denied if {
	unprobed := kit.with_patches(
		_stable_server,
		[{"op": "remove", "path": "/props/spec/template/spec/containers/0/startupProbe"}],
	)
	denials := _denials(_changed(unprobed), _no_sla)
	kit.only(denials, "SLA-005", unprobed.urn)
	some d in denials
	d.path == kit.evidence_path(["spec", "template", "spec", "containers", 0, "startupProbe"])
}


test_sla_005_the_vllm_container_is_judged_not_the_first_one if {
	# A probed sidecar listed first does not stand in for the unprobed vllm container.
	vllm := object.remove(_stable_server.props.spec.template.spec.containers[0], ["startupProbe"])
	sidecar := object.union(_stable_server.props.spec.template.spec.containers[0], {"name": "metrics"})
	unprobed := kit.with_patches(_stable_server, [
		{"op": "replace", "path": "/props/spec/template/spec/containers", "value": [sidecar, vllm]},
	])
	kit.only(_denials(_changed(unprobed), _no_sla), "SLA-005", unprobed.urn)
}
