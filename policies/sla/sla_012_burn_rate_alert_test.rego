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

# The alert names the model the server's servegate.io/model label says, not the workload's name.
test_sla_012_labelled_model_alerted_under_another_name_allowed if {
	blue := _server("llama-8b-blue", "llama-8b", "stable", "l4", "1", 2)
	resources := array.concat([r | some r in _compliant; r.urn != _stable_server.urn], [blue])
	count(kit.findings(_denials(resources, _declared), "SLA-012")) == 0
}

# A workload our components did not label is alerted under its name.
test_sla_012_unlabelled_server_alerted_under_its_name_allowed if {
	unlabelled := kit.with_patches(
		_stable_server,
		[{"op": "remove", "path": "/props/metadata/labels/servegate.io~1model"}],
	)
	count(kit.findings(_denials(_changed(unlabelled), _declared), "SLA-012")) == 0
}

# An unlabelled workload whose name no alert names is reported.
test_sla_012_unlabelled_server_not_alerted_denied if {
	unlabelled := kit.with_patches(_stable_server, [
		{"op": "remove", "path": "/props/metadata/labels/servegate.io~1model"},
		{"op": "replace", "path": "/props/metadata/name", "value": "other"},
	])
	kit.only(_denials(_changed(unlabelled), _declared), "SLA-012", unlabelled.urn)
}
