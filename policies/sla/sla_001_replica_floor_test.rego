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
