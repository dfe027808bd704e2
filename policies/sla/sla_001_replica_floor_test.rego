# SLA-001: the rule's cases, on the builders of sla_test.rego.
package sla_test

import data.lib.test_kit as kit
import rego.v1

test_sla_001_replicas_at_floor_allowed if {
	count(kit.findings(_denials(_compliant, _declared), "SLA-001")) == 0
}

test_sla_001_replicas_below_floor_denied if {
	single := kit.with_patches(_stable_server, [{"op": "replace", "path": "/props/spec/replicas", "value": 1}])
	kit.only(_denials(_changed(single), _declared), "SLA-001", single.urn)
}

# Every engine words the availability as declared (rego-cpp's sprintf printed 99.90000000000001).
test_sla_001_message_names_replicas_availability_and_floor if {
	single := kit.with_patches(_stable_server, [{"op": "replace", "path": "/props/spec/replicas", "value": 1}])
	some d in _denials(_changed(single), _declared)
	d.rule_id == "SLA-001"
	d.message == concat("", ["model server ", single.name, " runs 1 replicas; availability 99.9% requires at least 2"])
}

test_sla_001_highest_met_tier_sets_floor if {
	# 99.95 needs 3 replicas (policies/data/sla.yaml); the stack cannot lower that.
	declared := json.patch(_declared, [{"op": "replace", "path": "/sla/availability", "value": 99.99}])
	_stable_server.urn in kit.findings(_denials(_compliant, declared), "SLA-001")
}

test_sla_001_not_applied_without_sla if {
	single := kit.with_patches(_stable_server, [{"op": "replace", "path": "/props/spec/replicas", "value": 1}])
	count(kit.findings(_denials(_changed(single), _no_sla), "SLA-001")) == 0
}

test_sla_001_unknown_replicas_undecided if {
	unknown := kit.with_patches(
		_stable_server,
		[{"op": "replace", "path": "/props/spec/replicas", "value": "04da6b54-80e4-46f7-96ec-b56ff0331ba9"}],
	)
	kit.undecided_on(_denials(_changed(unknown), _declared), "SLA-001", unknown.urn)
}

# What a workload runs makes it a model server, not our labels.
test_sla_001_unlabelled_single_replica_server_denied if {
	single := kit.with_patches(_stable_server, [
		{"op": "remove", "path": "/props/metadata/labels"},
		{"op": "remove", "path": "/props/spec/template/metadata/labels"},
		{"op": "replace", "path": "/props/spec/replicas", "value": 1},
	])
	kit.findings(_denials(_changed(single), _declared), "SLA-001") == {single.urn}
}

# A bare Pod or a Job running the server can never hold a floor: nothing keeps its replicas.
test_sla_001_bare_pod_and_job_servers_denied if {
	spec := _stable_server.props.spec.template.spec
	pod := kit.resource(
		"kubernetes:core/v1:Pod",
		"llama-8b-adhoc",
		{"metadata": {"name": "llama-8b-adhoc", "namespace": "serving"}, "spec": spec},
	)
	job := kit.resource(
		"kubernetes:batch/v1:Job",
		"llama-8b-batch",
		{"metadata": {"name": "llama-8b-batch", "namespace": "serving"}, "spec": {"template": {"spec": spec}}},
	)
	denials := _denials(array.concat(_compliant, [pod, job]), _declared)
	kit.findings(denials, "SLA-001") == {pod.urn, job.urn}
	floors := [d | some d in denials; d.rule_id == "SLA-001"]
	every d in floors {
		d.path == "type"
		contains(d.message, "needs a Deployment or StatefulSet")
	}
}
