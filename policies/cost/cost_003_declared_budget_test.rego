# COST-003: the rule's cases, on the builders of cost_test.rego.
package cost_test

import data.lib.test_kit as kit
import rego.v1

test_cost_003_budget_declared_allowed if {
	count({d | some d in _denials(_compliant, _declared); d.rule_id == "COST-003"}) == 0
}

test_cost_003_no_budget_reported if {
	declared := json.patch(_declared, [{"op": "replace", "path": "/budget", "value": null}])
	kit.only(_denials(_compliant, declared), "COST-003", data.lib.test_kit.stack.urn)
}
