# SLA-011: the rule's cases, on the builders of sla_test.rego.
package sla_test

import data.lib.test_kit as kit
import rego.v1

test_sla_011_two_envoy_replicas_allowed if {
	count(kit.findings(_denials(_compliant, _declared), "SLA-011")) == 0
}

test_sla_011_single_envoy_replica_denied if {
	single := kit.with_patches(
		_envoy_proxy,
		[{"op": "replace", "path": "/props/spec/provider/kubernetes/envoyDeployment/replicas", "value": 1}],
	)
	kit.only(_denials(_changed(single), _declared), "SLA-011", single.urn)
}

test_sla_011_not_applied_without_sla if {
	single := kit.with_patches(
		_envoy_proxy,
		[{"op": "replace", "path": "/props/spec/provider/kubernetes/envoyDeployment/replicas", "value": 1}],
	)
	count(_denials(_changed(single), _no_sla)) == 0
}
