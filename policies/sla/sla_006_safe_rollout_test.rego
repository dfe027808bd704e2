# SLA-006: the rule's cases, on the builders of sla_test.rego.
package sla_test

import data.lib.test_kit as kit
import rego.v1

test_sla_006_rolling_update_without_unavailability_allowed if {
	count(kit.findings(_denials(_compliant, _declared), "SLA-006")) == 0
}

test_sla_006_default_strategy_denied if {
	# Kubernetes' default allows 25% unavailable during a rollout.
	defaulted := kit.with_patches(_canary, [{"op": "remove", "path": "/props/spec/strategy"}])
	kit.only(_denials(_changed(defaulted), _no_sla), "SLA-006", defaulted.urn)
}

test_sla_006_recreate_denied if {
	recreate := kit.with_patches(
		_stable_server,
		[{"op": "replace", "path": "/props/spec/strategy", "value": {"type": "Recreate"}}],
	)
	kit.only(_denials(_changed(recreate), _declared), "SLA-006", recreate.urn)
}
