# SLA-013: the rule's cases, on the builders of sla_test.rego.
package sla_test

import data.lib.test_kit as kit
import rego.v1

test_sla_013_matching_node_group_allowed if {
	count(kit.findings(_denials(_compliant, _declared), "SLA-013")) == 0
}

test_sla_013_exists_toleration_allowed if {
	exists := kit.with_patches(_canary, [{
		"op": "replace",
		"path": "/props/spec/template/spec/tolerations/0",
		"value": {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"},
	}])
	count(_denials(_changed(exists), _declared)) == 0
}

test_sla_013_missing_toleration_denied if {
	intolerant := kit.with_patches(_canary, [{
		"op": "replace",
		"path": "/props/spec/template/spec/tolerations",
		"value": [],
	}])
	kit.only(_denials(_changed(intolerant), _declared), "SLA-013", intolerant.urn)
}

test_sla_013_unknown_pool_denied if {
	lost := kit.with_patches(_canary, [{
		"op": "replace",
		"path": "/props/spec/template/spec/nodeSelector/servegate.io~1pool",
		"value": "h100",
	}])
	kit.only(_denials(_changed(lost), _declared), "SLA-013", lost.urn)
}
