# METADATA
# title: Traffic on an unproven canary (SLA-023)
# description: How much of a model's traffic a production canary gets before its analysis passes.
package sla

import data.lib.inventory as inv
import data.lib.sla as sla_lib
import rego.v1

# Argo Rollouts walks a canary's steps in order; an analysis step holds the rollout until its
# run passes. Every setWeight (or setCanaryScale) before the first analysis step sends its
# share of the traffic to a version nothing has checked yet; without an analysis step the
# rollout reaches 100 % unchecked.
#
# The share a weight gives is the weight itself with a traffic router (trafficRouting). Without
# one the controller approximates it with replicas (utils/replicaset/canary.go at
# argoproj/argo-rollouts v1.9.1, approximateWeightedCanaryStableReplicaCounts): of the options
# ceil or floor canary pods out of spec.replicas, or out of spec.replicas + 1 when maxSurge
# allows, it takes the nearest to the weight (the first on a tie), never zero pods for a
# weight of 1 to 99 % on 2 or more pods; the canary's share of the traffic is its share of
# the model's pods behind their Service. Judged at spec.replicas, the fewest pods the
# rollout starts from (an autoscaler may add more, which only brings the share nearer).

_cw_rollout_type := "kubernetes:argoproj.io/v1alpha1:Rollout"

_cw_production(declared) if startswith(object.get(declared, "environment", ""), "prod")

# Index of the first analysis step; the number of steps when there is none.
_cw_gate(steps) := inv.smallest(gates) if {
	gates := {i |
		some i
		step := steps[i]
		is_object(object.get(step, "analysis", null))
	}
	count(gates) > 0
} else := count(steps)

# The weights (%) the steps before index `gate` set; 100 for a rollout with no gate at all.
_cw_weights(steps, gate, replicas) := array.concat(
	[w |
		some i
		step := steps[i]
		i < gate
		w := _cw_step_weight(step, replicas)
	],
	_cw_unchecked_end(steps, gate),
)

_cw_unchecked_end(steps, gate) := [100] if gate >= count(steps) else := []

_cw_step_weight(step, _) := step.setWeight if is_number(object.get(step, "setWeight", null))

_cw_step_weight(step, _) := step.setCanaryScale.weight if {
	is_number(object.get(step, ["setCanaryScale", "weight"], null))
}

_cw_step_weight(step, replicas) := (100 * step.setCanaryScale.replicas) / replicas if {
	is_number(object.get(step, ["setCanaryScale", "replicas"], null))
	replicas > 0
}

# maxSurge as a number of pods: an integer, or a percentage of replicas rounded up (default 25%).
_cw_surge(canary, replicas) := surge if {
	surge := object.get(canary, "maxSurge", "25%")
	is_number(surge)
} else := ceil((to_number(trim_suffix(surge, "%")) * replicas) / 100) if {
	surge := object.get(canary, "maxSurge", "25%")
	is_string(surge)
	endswith(surge, "%")
} else := 0

# The traffic share (%) a weight gives the canary.
_cw_share(canary, _, weight) := weight if is_object(object.get(canary, "trafficRouting", null))

_cw_share(canary, replicas, weight) := _cw_replica_share(replicas, weight, _cw_surge(canary, replicas)) if {
	not is_object(object.get(canary, "trafficRouting", null))
}

_cw_replica_share(replicas, _, _) := 100 if replicas <= 0

_cw_replica_share(replicas, weight, surge) := (100 * best[0]) / best[1] if {
	replicas > 0
	options := _cw_options(replicas, weight, surge)
	count(options) > 0
	deltas := [abs(((100 * o[0]) / o[1]) - weight) | some o in options]
	nearest := inv.smallest(deltas)
	firsts := {i |
		some i
		d := deltas[i]
		d == nearest
	}
	best := options[inv.smallest(firsts)]
}

_cw_options(n, w, surge) := array.concat(
	array.concat(_cw_ceil_option(n, w, surge), _cw_floor_option(n, w, n, surge)),
	_cw_surge_options(n, w, surge),
)

_cw_ceil_option(n, w, surge) := [[ceil((n * w) / 100), n]] if {
	ceil((n * w) / 100) < n
} else := [[ceil((n * w) / 100), n]] if {
	_cw_zero_allowed(n, w, surge)
} else := []

_cw_floor_option(n, w, total, surge) := [[floor((n * w) / 100), total]] if {
	not _cw_tied(total, w)
	_cw_nonzero_or_allowed(n, w, surge)
} else := []

# (Argo's other surge candidate, floor(n * w / 100) canary pods of n + 1, is never the nearest:
# dropped, it changed no share for 1-23 replicas, weights 1-99 % and maxSurge 0-5.)
_cw_surge_options(n, w, surge) := [[ceil((n * w) / 100), n + 1]] if surge > 0 else := []

_cw_nonzero_or_allowed(n, w, _) if floor((n * w) / 100) != 0

_cw_nonzero_or_allowed(n, w, surge) if _cw_zero_allowed(n, w, surge)

_cw_zero_allowed(_, w, _) if w in {0, 100}

_cw_zero_allowed(n, _, surge) if {
	n == 1
	surge == 0
}

_cw_tied(total, w) if ((total * w) / 100) - floor((total * w) / 100) == 0.5

# METADATA
# title: A production canary takes at most a set share of traffic before its analysis passes
# description: Until an analysis passes, every request a canary answers is a bet on an
#   unchecked version; compliance sets the largest share of a model's traffic it may take.
# custom:
#   id: SLA-023
#   area: sla
#   severity: medium
#   enforcement: mandatory
#   scope: resource
#   resource_types: ["kubernetes:argoproj.io/v1alpha1:Rollout"]
#   applies_when: declared.sla
#   not_applicable: no SLA declared, or not a production environment
#   parameters: [sla.canary_max_share_before_analysis]
#   remediation: Put an analysis step after the first setWeight and keep that weight low
#     (canary.steps, e.g. [5, 25, 50, 100]); without a traffic router the share is the
#     canary's share of the model's pods, so run enough replicas (replicas.min) for the
#     first step to stay within the share.
deny contains v if {
	sla_lib.sla_declared(input.declared)
	_cw_production(input.declared)
	limit := data.params.sla.canary_max_share_before_analysis
	some rollout in inv.resources(input, _cw_rollout_type)
	canary := object.get(rollout.props, ["spec", "strategy", "canary"], null)
	is_object(canary)
	steps := object.get(canary, "steps", [])
	is_array(steps)
	replicas := object.get(rollout.props, ["spec", "replicas"], 1)
	is_number(replicas)
	shares := [_cw_share(canary, replicas, w) | some w in _cw_weights(steps, _cw_gate(steps), replicas)]
	count(shares) > 0
	share := inv.largest(shares)
	share > limit
	v := inv.violation_with_limit(
		"SLA-023", rollout,
		concat("", [
			"Rollout ",
			sla_lib.object_name(rollout),
			" gives its canary up to ",
			inv.text(round(share)),
			"% of the traffic at ",
			inv.text(replicas),
			" replicas before an analysis passes; at most ",
			inv.text(limit),
			"% is allowed",
		]),
		"spec.strategy.canary.steps", round(share),
		"sla.canary_max_share_before_analysis", limit,
	)
}
