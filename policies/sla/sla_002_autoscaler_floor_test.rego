# SLA-002: the rule's cases, on the builders of sla_test.rego.
package sla_test

import data.lib.test_kit as kit
import rego.v1

test_sla_002_min_replica_count_at_floor_allowed if {
	count(kit.findings(_denials(_compliant, _declared), "SLA-002")) == 0
}

test_sla_002_scale_to_zero_denied if {
	zero := kit.with_patches(_scaled_object, [{"op": "remove", "path": "/props/spec/minReplicaCount"}])
	kit.only(_denials(_changed(zero), _declared), "SLA-002", zero.urn)
}

test_sla_002_unlabelled_hpa_targeting_server_denied if {
	hpa := kit.resource("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "llama-8b-hpa", {
		"metadata": {"name": "llama-8b-hpa", "namespace": "serving"},
		"spec": {"scaleTargetRef": {"kind": "Deployment", "name": "llama-8b"}, "minReplicas": 1, "maxReplicas": 4},
	})
	kit.only(_denials(_changed(hpa), _declared), "SLA-002", hpa.urn)
}


test_sla_002_labelled_autoscaler_judged_without_a_matching_target if {
	# Labelled a stable model-server autoscaler: judged even when its target is not in the plan.
	zero := kit.with_patches(_scaled_object, [
		{"op": "remove", "path": "/props/spec/minReplicaCount"},
		{"op": "replace", "path": "/props/spec/scaleTargetRef/name", "value": "llama-8b-next"},
	])
	kit.only(_denials(_changed(zero), _declared), "SLA-002", zero.urn)
}

test_sla_002_canary_autoscaler_may_scale_to_zero if {
	zero := kit.with_patches(_scaled_object, [
		{"op": "remove", "path": "/props/spec/minReplicaCount"},
		{"op": "replace", "path": "/props/spec/scaleTargetRef/name", "value": "llama-8b-canary"},
		{"op": "replace", "path": "/props/metadata/labels", "value": _labels("llama-8b", "canary")},
	])
	count(kit.findings(_denials(_changed(zero), _declared), "SLA-002")) == 0
}
