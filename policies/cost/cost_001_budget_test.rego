# COST-001: the rule's cases, on the builders of cost_test.rego.
package cost_test

import data.lib.test_kit as kit
import rego.v1

_budget(amount) := json.patch(_declared, [{"op": "replace", "path": "/budget/monthlyUsd", "value": amount}])

test_cost_001_within_budget_allowed if {
	count(_denials(_compliant, _budget(30115.10))) == 0
}

test_cost_001_over_budget_denied if {
	denials := _denials(_compliant, _budget(30115))
	kit.only(denials, "COST-001", data.lib.test_kit.stack.urn)
	some d in denials
	d.type == "pulumi:pulumi:Stack"
	d.message == concat("", [
		"estimated monthly cost at maximum scale is 30115.10 USD (GPU nodes 29389.80, system nodes 156.22, ",
		"EKS control plane 438.00, interface endpoints 48.18, load balancers 27.70, log storage 55.20), ",
		"over the declared budget of 30115.00 USD",
	])
}

test_cost_001_evidence_carries_estimate_and_budget_apart if {
	some d in _denials(_compliant, _budget(30000))
	d.path == "estimate.monthlyUsd.max"
	d.value == 30115.1
	d.limit == {"path": "declared.budget.monthlyUsd", "value": 30000}
}

test_cost_001_larger_pool_denied if {
	bigger := json.patch(_l4, [{"op": "replace", "path": "/props/scalingConfig/maxSize", "value": 8}])
	kit.only(_denials(_replace(_compliant, _l4, bigger), _declared), "COST-001", data.lib.test_kit.stack.urn)
}

test_cost_001_more_than_gpus_counted if {
	# GPU nodes alone (29,389.80) fit 30,000; the rest of the stack does not.
	kit.only(_denials(_compliant, _budget(30000)), "COST-001", data.lib.test_kit.stack.urn)
}

test_cost_001_unknown_max_size_undecided if {
	unknown := json.patch(_l4, [{
		"op": "replace",
		"path": "/props/scalingConfig/maxSize",
		"value": "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
	}])
	some d in _denials(_replace(_compliant, _l4, unknown), _declared)
	d.rule_id == "COST-001"
	d.urn == unknown.urn
	d.path == "scalingConfig.maxSize"
	d.undecided == true
}

test_cost_001_unknown_endpoint_subnets_undecided if {
	endpoint := _endpoint("sts", "Interface")
	unknown := json.patch(endpoint, [
		{"op": "replace", "path": "/props/subnetIds", "value": "04da6b54-80e4-46f7-96ec-b56ff0331ba9"},
		{"op": "replace", "path": "/deps", "value": {}},
	])
	some d in _denials(_replace(_compliant, endpoint, unknown), _declared)
	d.rule_id == "COST-001"
	d.urn == unknown.urn
	d.path == "subnetIds"
	d.undecided == true
}
