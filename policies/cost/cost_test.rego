package cost_test

import data.cost
import rego.v1

# -- builders: prod-ca's two GPU pools against its 30,000 USD budget ----------------------------

_stack := {
	"project": "llm-serving", "name": "prod-ca", "source": "offline", "region": "ca-central-1",
	"urn": "urn:pulumi:prod-ca::llm-serving::pulumi:pulumi:Stack::llm-serving-prod-ca",
}

_declared := {
	"environment": "prod",
	"residency": {"zone": "ca", "sovereign": true, "airGapped": true},
	"sla": {"availability": 99.9},
	"budget": {"monthlyUsd": 30000},
	"tags": {},
	"gateway": {"internetFacing": false},
	"registry": {"images": null, "charts": null},
}

# concat, not sprintf: regopy 1.5.2 keeps the quotes of string literals passed to functions in %s.
_group_urn(name) := concat("::", ["urn:pulumi:prod-ca", "llm-serving", "aws:eks/nodeGroup:NodeGroup", name])

_gpu_group(name, instance_type, max_size) := {
	"urn": _group_urn(name), "type": "aws:eks/nodeGroup:NodeGroup", "name": name, "parent": null,
	"op": "create", "custom": true, "region": "ca-central-1", "provider": {},
	"props": {
		"nodeGroupName": name, "instanceTypes": [instance_type], "amiType": "AL2023_x86_64_NVIDIA",
		"capacityType": "ON_DEMAND", "scalingConfig": {"minSize": 1, "maxSize": max_size, "desiredSize": 1},
		"labels": {"servegate.io/pool": name, "servegate.io/role": "gpu"},
	},
	"unknowns": [], "deps": {}, "tags": {},
}

_system := json.patch(_gpu_group("system", "m6i.large", 4), [
	{"op": "replace", "path": "/props/amiType", "value": "AL2023_x86_64_STANDARD"},
	{"op": "replace", "path": "/props/labels", "value": {"servegate.io/role": "system"}},
])

# 6 x 0.89 x 730 + 3 x 11.64 x 730 = 29,389.80 USD a month at maximum scale.
_l4 := _gpu_group("l4", "g6.xlarge", 6)

_l40s := _gpu_group("l40s", "g6e.12xlarge", 3)

_compliant := [_system, _l4, _l40s]

_inventory_with(resources, declared) := {
	"stack": _stack,
	"declared": declared,
	"resources": resources,
	"by_type": {t: [i | some i; resources[i].type == t] | some r in resources; t := r.type},
}

# Input is replaced key by key: regopy 1.5.2 crashes on `with input as <object>` once a rule
# hands input to a function, and regorus wants a local rather than a rule reference there.
_denials(resources, declared) := denials if {
	inventory := _inventory_with(resources, declared)
	denials := cost.deny with input.stack as inventory.stack
		with input.declared as inventory.declared
		with input.resources as inventory.resources
		with input.by_type as inventory.by_type
}

_only(denials, rule_id, urn) if {
	{[d.rule_id, d.urn] | some d in denials} == {[rule_id, urn]}
}

test_compliant_stack_has_no_findings if {
	count(_denials(_compliant, _declared)) == 0
}

test_cost_001_within_budget_allowed if {
	declared := json.patch(_declared, [{"op": "replace", "path": "/budget/monthlyUsd", "value": 29390}])
	count(_denials(_compliant, declared)) == 0
}

test_cost_001_over_budget_denied if {
	declared := json.patch(_declared, [{"op": "replace", "path": "/budget/monthlyUsd", "value": 29389}])
	denials := _denials(_compliant, declared)
	_only(denials, "COST-001", _stack.urn)
	some d in denials
	d.type == "pulumi:pulumi:Stack"
	d.message == "estimated monthly GPU cost at maximum scale is 29389.80 USD, over the declared budget of 29389.00 USD"
}

test_cost_001_larger_pool_denied if {
	bigger := json.patch(_l4, [{"op": "replace", "path": "/props/scalingConfig/maxSize", "value": 8}])
	_only(_denials([_system, bigger, _l40s], _declared), "COST-001", _stack.urn)
}

test_cost_001_price_follows_node_group_region if {
	# The same pools priced in eu-central-1 cost more than in ca-central-1.
	moved := [json.patch(ng, [{"op": "replace", "path": "/region", "value": "eu-central-1"}]) | some ng in _compliant]
	_only(_denials(moved, _declared), "COST-001", _stack.urn)
}

test_cost_001_unknown_max_size_undecided if {
	unknown := json.patch(_l4, [{"op": "replace", "path": "/props/scalingConfig/maxSize", "value": "04da6b54-80e4-46f7-96ec-b56ff0331ba9"}])
	some d in _denials([_system, unknown, _l40s], _declared)
	d.rule_id == "COST-001"
	d.urn == unknown.urn
	d.undecided == true
}

test_cost_002_priced_types_allowed if {
	count({d | some d in _denials(_compliant, _declared); d.rule_id == "COST-002"}) == 0
}

test_cost_002_unpriced_type_reported if {
	unpriced := json.patch(_l40s, [{"op": "replace", "path": "/props/instanceTypes", "value": ["p5.48xlarge"]}])
	moved := json.patch(unpriced, [{"op": "replace", "path": "/region", "value": "ca-west-1"}])
	denials := _denials([_system, _l4, moved], _declared)
	_only(denials, "COST-002", moved.urn)
	some d in denials
	contains(d.message, "p5.48xlarge")
	contains(d.message, "ca-west-1")
}

test_cost_003_budget_declared_allowed if {
	count({d | some d in _denials(_compliant, _declared); d.rule_id == "COST-003"}) == 0
}

test_cost_003_no_budget_reported if {
	declared := json.patch(_declared, [{"op": "replace", "path": "/budget", "value": null}])
	_only(_denials(_compliant, declared), "COST-003", _stack.urn)
}
