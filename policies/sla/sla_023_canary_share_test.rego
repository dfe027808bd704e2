package sla_test

import rego.v1

# SLA-023 on the analysed canary of sla_021_canary_analysis_slo_test.rego (compliance allows
# 50 %: policies/data/sla.yaml canary_max_share_before_analysis).

_sla_023(resources) := _rule_denials("SLA-023", resources)

_gate := {"analysis": {"templates": [{"templateName": "vllm-llama-8b-slo"}]}}

_canary_at(steps, replicas, surge) := _rollout_with({"maxSurge": surge, "maxUnavailable": 0, "steps": steps}, replicas)

_share_denials(steps, replicas, surge) := _sla_023(_swap(_canary_set, _canary_at(steps, replicas, surge)))

test_sla_023_small_first_step_allowed if {
	# 5 % on 2 replicas with one surge pod: 1 canary pod of 3, 33 %.
	count(_sla_023(_canary_set)) == 0
}

test_sla_023_a_big_first_step_denied if {
	# 75 % on 2 replicas: 2 canary pods of 3 (67 %) is the nearest.
	denials := _share_denials([{"setWeight": 75}, _gate], 2, 1)
	count(denials) == 1
	some d in denials
	d.urn == _rollout.urn
	contains(d.message, "up to 67% of the traffic at 2 replicas before an analysis passes")
	d.limit.value == 50
}

test_sla_023_replicas_decide_the_share_without_a_traffic_router if {
	# 5 % on 2 replicas without surge: 1 pod of 2 is 50 %, at the limit.
	count(_share_denials([{"setWeight": 5}, _gate], 2, 0)) == 0
	# 5 % on 1 replica without surge: 0 canary pods are allowed, 0 %.
	count(_share_denials([{"setWeight": 5}, _gate], 1, 0)) == 0
	# 30 % on 1 replica with one surge pod: 1 canary pod of 2, 50 %... or 1 of 1: 100 % is
	# farther; 50 % is at the limit.
	count(_share_denials([{"setWeight": 30}, _gate], 1, 1)) == 0
	# 60 % on 1 replica without surge: 1 pod of 1 is 100 %.
	count(_share_denials([{"setWeight": 60}, _gate], 1, 0)) == 1
	# A percentage surge rounds up: 25 % of 2 replicas is 1 pod.
	count(_share_denials([{"setWeight": 5}, _gate], 2, "25%")) == 0
}

test_sla_023_with_a_traffic_router_the_weight_is_the_share if {
	routed := _rollout_with({
		"steps": [{"setWeight": 60}, _gate],
		"trafficRouting": {"plugins": {"argoproj-labs/gatewayAPI": {"httpRoute": "llama"}}},
	}, 2)
	denials := _sla_023(_swap(_canary_set, routed))
	count(denials) == 1
	some d in denials
	contains(d.message, "up to 60%")
	fine := json.patch(routed, [{"op": "replace", "path": "/props/spec/strategy/canary/steps/0/setWeight", "value": 40}])
	count(_sla_023(_swap(_canary_set, fine))) == 0
}

test_sla_023_every_step_before_the_first_analysis_counts if {
	denials := _share_denials([{"setWeight": 5}, {"pause": {"duration": "5m"}}, {"setWeight": 90}, _gate], 10, 1)
	count(denials) == 1
	some d in denials
	contains(d.message, "up to 90%")
	# After the first analysis passes, later steps may go higher.
	count(_share_denials([{"setWeight": 10}, _gate, {"setWeight": 90}, _gate], 10, 1)) == 0
}

test_sla_023_no_analysis_step_reaches_everyone_unchecked if {
	denials := _share_denials([{"setWeight": 5}, {"pause": {}}], 10, 1)
	count(denials) == 1
	some d in denials
	contains(d.message, "up to 100%")
}

test_sla_023_set_canary_scale_counts if {
	count(_share_denials([{"setCanaryScale": {"replicas": 8}}, _gate], 10, 1)) == 1
	count(_share_denials([{"setCanaryScale": {"weight": 70}}, {"setWeight": 5}, _gate], 10, 1)) == 1
	count(_share_denials([{"setCanaryScale": {"replicas": 1}}, _gate], 10, 1)) == 0
}

test_sla_023_not_judged_without_an_sla if {
	resources := _swap(_canary_set, _canary_at([{"setWeight": 90}, _gate], 10, 1))
	count([d | some d in _denials(resources, _no_sla); d.rule_id == "SLA-023"]) == 0
}

# Argo Rollouts without a traffic router (utils/replicaset/canary.go): the canary gets
# ceil(replicas x weight) pods, the stable keeps replicas - floor(replicas x weight), within maxSurge.
test_sla_023_one_replica_with_surge_splits_any_weight_in_half if {
	# One canary pod beside the one stable pod: 50 %, whether the weight is 10 % or 75 %.
	data.sla._cw_replica_share(1, 10, 1) == 50
	data.sla._cw_replica_share(1, 75, 1) == 50
}

test_sla_023_one_replica_without_surge_moves_the_pod if {
	data.sla._cw_replica_share(1, 0, 0) == 0
	data.sla._cw_replica_share(1, 100, 0) == 100
}

