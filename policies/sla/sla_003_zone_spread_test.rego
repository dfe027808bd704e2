# SLA-003: the rule's cases, on the builders of sla_test.rego.
package sla_test

import data.lib.test_kit as kit
import rego.v1

test_sla_003_zone_spread_allowed if {
	count(kit.findings(_denials(_compliant, _declared), "SLA-003")) == 0
}

test_sla_003_required_anti_affinity_allowed if {
	affinity := kit.with_patches(_stable_server, [
		{"op": "remove", "path": "/props/spec/template/spec/topologySpreadConstraints"},
		{
			"op": "add",
			"path": "/props/spec/template/spec/affinity",
			"value": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [{
				"topologyKey": "topology.kubernetes.io/zone",
				"labelSelector": {"matchLabels": _selector("llama-8b", "stable")},
			}]}},
		},
	])
	count(_denials(_changed(affinity), _declared)) == 0
}

test_sla_003_missing_spread_denied if {
	packed := kit.with_patches(
		_stable_server,
		[{"op": "remove", "path": "/props/spec/template/spec/topologySpreadConstraints"}],
	)
	kit.only(_denials(_changed(packed), _declared), "SLA-003", packed.urn)
}

test_sla_003_soft_spread_denied if {
	soft := kit.with_patches(
		_stable_server,
		[{
			"op": "replace",
			"path": "/props/spec/template/spec/topologySpreadConstraints/0/whenUnsatisfiable",
			"value": "ScheduleAnyway",
		}],
	)
	kit.only(_denials(_changed(soft), _declared), "SLA-003", soft.urn)
}
