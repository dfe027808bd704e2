# SLA-012: the rule's cases, on the builders of sla_test.rego.
package sla_test

import data.lib.test_kit as kit
import rego.v1

test_sla_012_burn_rate_alert_allowed if {
	count(kit.findings(_denials(_compliant, _declared), "SLA-012")) == 0
}

test_sla_012_missing_alert_denied if {
	latency_only := kit.with_patches(
		_prometheus_rule,
		[{"op": "replace", "path": "/props/spec/groups/0/rules/1/labels/slo", "value": "latency"}],
	)
	kit.only(_denials(_changed(latency_only), _declared), "SLA-012", _stable_server.urn)
}
