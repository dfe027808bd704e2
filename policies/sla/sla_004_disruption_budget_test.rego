# SLA-004: the rule's cases, on the builders of sla_test.rego.
package sla_test

import data.lib.test_kit as kit
import rego.v1

test_sla_004_pdb_per_deployment_allowed if {
	count(kit.findings(_denials(_compliant, _declared), "SLA-004")) == 0
}

test_sla_004_missing_pdb_denied if {
	resources := [r | some r in _compliant; r.urn != _canary_pdb.urn]
	kit.only(_denials(resources, _no_sla), "SLA-004", _canary.urn)
}

test_sla_004_pdb_in_other_namespace_denied if {
	elsewhere := kit.with_patches(_stable_pdb, [{
		"op": "replace",
		"path": "/props/metadata/namespace",
		"value": "default",
	}])
	kit.only(_denials(_changed(elsewhere), _declared), "SLA-004", _stable_server.urn)
}

test_sla_004_pdb_allowing_all_evictions_denied if {
	loose := kit.with_patches(_stable_pdb, [
		{"op": "remove", "path": "/props/spec/minAvailable"},
		{"op": "add", "path": "/props/spec/maxUnavailable", "value": "100%"},
	])
	kit.only(_denials(_changed(loose), _declared), "SLA-004", _stable_server.urn)
}

test_sla_004_max_unavailable_below_replicas_allowed if {
	bounded := kit.with_patches(_stable_pdb, [
		{"op": "remove", "path": "/props/spec/minAvailable"},
		{"op": "add", "path": "/props/spec/maxUnavailable", "value": 1},
	])
	count(_denials(_changed(bounded), _declared)) == 0
}


test_sla_004_max_unavailable_percentage_keeping_a_pod_allowed if {
	# 50 % of 2 replicas rounds up to 1: one pod stays.
	bounded := kit.with_patches(_stable_pdb, [
		{"op": "remove", "path": "/props/spec/minAvailable"},
		{"op": "add", "path": "/props/spec/maxUnavailable", "value": "50%"},
	])
	count(kit.findings(_denials(_changed(bounded), _declared), "SLA-004")) == 0
}

test_sla_004_messages_tell_a_missing_pdb_from_a_loose_one if {
	resources := [r | some r in _compliant; r.urn != _canary_pdb.urn]
	some missing in _denials(resources, _no_sla)
	missing.rule_id == "SLA-004"
	contains(missing.message, "has no PodDisruptionBudget selecting its pods")
	loose := kit.with_patches(_stable_pdb, [
		{"op": "remove", "path": "/props/spec/minAvailable"},
		{"op": "add", "path": "/props/spec/maxUnavailable", "value": "100%"},
	])
	some evictable in _denials(_changed(loose), _declared)
	evictable.rule_id == "SLA-004"
	contains(evictable.message, "lets all 2 replicas be evicted")
}
