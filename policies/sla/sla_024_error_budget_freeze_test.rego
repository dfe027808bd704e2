# SLA-024: the rule's cases, on the builders of sla_test.rego.
package sla_test

import data.lib.test_kit as kit
import rego.v1

_b_budget(remaining) := {
	"schema": "servegate/error-budget/v1",
	"stack": "prod-ca",
	"as_of": "2026-12-01T15:00:00Z",
	"window": "30d",
	"models": {"llama-8b": {
		"objective": 99.9, "remaining_ratio": remaining, "source": "test",
		"served_model_name": "meta-llama/Llama-3.1-8B-Instruct",
	}},
}

_b_service := kit.resource("kubernetes:core/v1:Service", "llama-8b", {
	"metadata": {"name": "llama-8b", "namespace": "serving"},
	"spec": {"selector": _selector("llama-8b", "stable"), "ports": [{"port": 8000}]},
})

_b_backend := kit.resource("kubernetes:gateway.envoyproxy.io/v1alpha1:Backend", "gw-llama-8b", {
	"metadata": {"name": "gw-llama-8b", "namespace": "gateway"},
	"spec": {"endpoints": [{"fqdn": {"hostname": "llama-8b.serving.svc.cluster.local", "port": 8000}}]},
})

_b_ai_backend := kit.resource("kubernetes:aigateway.envoyproxy.io/v1beta1:AIServiceBackend", "gw-llama-8b", {
	"metadata": {"name": "gw-llama-8b", "namespace": "gateway"},
	"spec": {"backendRef": {"group": "gateway.envoyproxy.io", "kind": "Backend", "name": "gw-llama-8b"}},
})

_b_route := kit.resource("kubernetes:aigateway.envoyproxy.io/v1beta1:AIGatewayRoute", "gw-route", {
	"metadata": {"name": "gw-route", "namespace": "gateway"},
	"spec": {"rules": [
		{
			"matches": [{"headers": [{"name": "x-ai-eg-model", "value": "llama"}]}],
			"backendRefs": [{"name": "gw-llama-8b", "weight": 100}],
		},
		{
			"matches": [{"headers": [{"name": "x-ai-eg-model", "value": "other"}]}],
			"backendRefs": [{"name": "gw-other", "weight": 100}],
		},
	]},
})

# Another model's server, found by nothing of llama-8b's: never judged for its budget.
_b_other := kit.with_patches(_server("other", "other", "stable", "l4", "1", 2), [
	{"op": "replace", "path": "/props/spec/template/spec/containers/0/args/0", "value": "--served-model-name=other"},
])

_b_resources := [_stable_server, _canary, _scaled_object, _b_service, _b_backend, _b_ai_backend, _b_route, _b_other]

# The sla findings of SLA-024 with the budget document as input.error_budget (key by key, as
# kit.denials replaces input).
_b_denials(resources, budget) := {d |
	some d in _b_all(kit.inventory(resources, _declared), budget)
	d.rule_id == "SLA-024"
}

_b_all(inventory, budget) := result if {
	result := data.sla.deny with input.stack as inventory.stack
		with input.declared as inventory.declared
		with input.evaluation as inventory.evaluation
		with input.resources as inventory.resources
		with input.by_type as inventory.by_type
		with input.error_budget as budget
}

# Deployed as planned: every resource unchanged.
_b_same(res) := kit.with_fields(res, {"op": "same", "old_props": res.props})

# An update of ``res`` by ``patches`` (on its props) from its current props.
_b_update(res, patches) := kit.with_fields(kit.with_patches(res, patches), {"op": "update", "old_props": res.props})

_b_steady := [_b_same(r) | some r in _b_resources]

_b_with(changed) := array.concat([r | some r in _b_steady; r.urn != changed.urn], [changed])

_b_image(image) := {"op": "replace", "path": "/props/spec/template/spec/containers/0/image", "value": image}

_b_max_len := {
	"op": "replace",
	"path": "/props/spec/template/spec/containers/0/args/1",
	"value": "--max-model-len=4096",
}

_v2_image := "111122223333.dkr.ecr.ca-central-1.amazonaws.com/mirror/vllm/vllm-openai:v0.34.0"

test_sla_024_new_serving_resources_of_a_spent_model_denied if {
	found := {d.urn | some d in _b_denials(_b_resources, _b_budget(-0.2))}
	found == {r.urn | some r in [_stable_server, _canary, _scaled_object, _b_service, _b_backend, _b_ai_backend, _b_route]}
}

test_sla_024_budget_left_or_no_budget_allowed if {
	count(_b_denials(_b_resources, _b_budget(0.01))) == 0
	count({d | some d in kit.denials("sla", kit.inventory(_b_resources, _declared)); d.rule_id == "SLA-024"}) == 0
}

test_sla_024_budget_exactly_spent_denied if {
	count(_b_denials(_b_resources, _b_budget(0))) > 0
}

test_sla_024_unchanged_plan_allowed if {
	count(_b_denials(_b_steady, _b_budget(-0.2))) == 0
}

test_sla_024_new_image_denied_with_evidence if {
	upgrade := _b_update(_stable_server, [_b_image(_v2_image)])
	denials := _b_denials(_b_with(upgrade), _b_budget(-0.2))
	{d.urn | some d in denials} == {upgrade.urn}
	some d in denials
	d.limit == {"path": "error_budget.models.llama-8b.remaining_ratio", "value": -0.2}
	contains(d.message, "model llama-8b has spent its error budget (remaining -0.2 of its window")
}

test_sla_024_found_by_what_it_serves_not_its_label if {
	unlabelled := kit.with_patches(_stable_server, [
		{"op": "remove", "path": "/props/metadata/labels/servegate.io~1model"},
		{"op": "remove", "path": "/props/spec/template/metadata/labels/servegate.io~1model"},
	])
	upgrade := _b_update(unlabelled, [_b_max_len])
	{d.urn | some d in _b_denials(_b_with(upgrade), _b_budget(-0.2))} == {upgrade.urn}
}

test_sla_024_other_models_changes_allowed if {
	upgrade := _b_update(_b_other, [_b_image(_v2_image)])
	count(_b_denials(_b_with(upgrade), _b_budget(-0.2))) == 0
}

test_sla_024_more_replicas_allowed_fewer_denied if {
	more := _b_update(_stable_server, [{"op": "replace", "path": "/props/spec/replicas", "value": 4}])
	count(_b_denials(_b_with(more), _b_budget(-0.2))) == 0
	fewer := _b_update(_stable_server, [{"op": "replace", "path": "/props/spec/replicas", "value": 1}])
	{d.urn | some d in _b_denials(_b_with(fewer), _b_budget(-0.2))} == {fewer.urn}
	sneaky := _b_update(_stable_server, [
		{"op": "replace", "path": "/props/spec/replicas", "value": 4},
		_b_max_len,
	])
	{d.urn | some d in _b_denials(_b_with(sneaky), _b_budget(-0.2))} == {sneaky.urn}
}

test_sla_024_autoscaler_maximum_up_allowed_down_denied if {
	up := _b_update(_scaled_object, [{"op": "replace", "path": "/props/spec/maxReplicaCount", "value": 8}])
	count(_b_denials(_b_with(up), _b_budget(-0.2))) == 0
	down := _b_update(_scaled_object, [{"op": "replace", "path": "/props/spec/maxReplicaCount", "value": 3}])
	{d.urn | some d in _b_denials(_b_with(down), _b_budget(-0.2))} == {down.urn}
}

test_sla_024_rollback_to_an_image_the_model_ran_allowed if {
	# The canary ran v2 and goes back to the image the stable track runs.
	canary_v2 := kit.with_patches(_canary, [_b_image(_v2_image)])
	rollback := _b_update(canary_v2, [_b_image(_image)])
	resources := array.concat([r | some r in _b_steady; r.urn != _canary.urn], [rollback])
	count(_b_denials(resources, _b_budget(-0.2))) == 0
}

test_sla_024_route_change_for_the_model_denied_other_rules_allowed if {
	shifted := _b_update(_b_route, [{"op": "replace", "path": "/props/spec/rules/0/backendRefs/0/weight", "value": 50}])
	{d.urn | some d in _b_denials(_b_with(shifted), _b_budget(-0.2))} == {shifted.urn}
	other := _b_update(_b_route, [{"op": "replace", "path": "/props/spec/rules/1/backendRefs/0/weight", "value": 50}])
	count(_b_denials(_b_with(other), _b_budget(-0.2))) == 0
}

test_sla_024_service_and_backend_changes_denied if {
	service := _b_update(_b_service, [{"op": "add", "path": "/props/spec/sessionAffinity", "value": "ClientIP"}])
	{d.urn | some d in _b_denials(_b_with(service), _b_budget(-0.2))} == {service.urn}
	backend := _b_update(_b_backend, [{"op": "replace", "path": "/props/spec/endpoints/0/fqdn/port", "value": 8001}])
	{d.urn | some d in _b_denials(_b_with(backend), _b_budget(-0.2))} == {backend.urn}
}

test_sla_024_served_model_name_as_two_arguments if {
	unlabelled := kit.with_patches(_stable_server, [
		{"op": "remove", "path": "/props/metadata/labels/servegate.io~1model"},
		{"op": "remove", "path": "/props/spec/template/metadata/labels/servegate.io~1model"},
		{"op": "replace", "path": "/props/spec/template/spec/containers/0/args", "value": [
			"--served-model-name", "meta-llama/Llama-3.1-8B-Instruct", "--max-model-len=8192",
		]},
	])
	upgrade := _b_update(unlabelled, [_b_image(_v2_image)])
	{d.urn | some d in _b_denials(_b_with(upgrade), _b_budget(-0.2))} == {upgrade.urn}
	# Another model's server naming its own model the same way is not llama-8b's.
	other := kit.with_patches(_b_other, [
		{"op": "replace", "path": "/props/spec/template/spec/containers/0/args", "value": ["--served-model-name", "other"]},
	])
	changed := _b_update(other, [_b_image(_v2_image)])
	count(_b_denials(_b_with(changed), _b_budget(-0.2))) == 0
}
