# SLA-004: Every serving Deployment has a disruption budget that keeps a pod.
package sla

import data.lib.inventory as inv
import data.lib.sla as sla_lib
import rego.v1

_pdb_type := "kubernetes:policy/v1:PodDisruptionBudget"

_pod_labels(res) := object.get(res.props, array.concat(split(sla_lib.pod_metadata_path(res), "."), ["labels"]), {})

# A PDB's selector as an exact [namespace, labels] key; selectors with expressions never match
# a key, so a Deployment covered only by one is reported (compare label maps, no guessing).
_pdb_key(pdb) := [sla_lib.namespace(pdb), object.get(pdb.props, ["spec", "selector", "matchLabels"], {})] if {
	count(object.get(pdb.props, ["spec", "selector", "matchExpressions"], [])) == 0
}

_pdb_guard(pdb) := {"minAvailable": pdb.props.spec.minAvailable} if pdb.props.spec.minAvailable != null

_pdb_guard(pdb) := {"maxUnavailable": pdb.props.spec.maxUnavailable} if {
	not pdb.props.spec.minAvailable
	pdb.props.spec.maxUnavailable != null
}

_percent(value) := to_number(trim_suffix(value, "%")) if {
	is_string(value)
	endswith(value, "%")
}

# Kubernetes rounds PDB percentages up.
_scaled(value, _) := value if is_number(value)

_scaled(value, _) := to_number(value) if {
	is_string(value)
	not endswith(value, "%")
}

_scaled(value, replicas) := ceil((_percent(value) * replicas) / 100)

_keeps_a_pod(guard, replicas) if _scaled(guard.minAvailable, replicas) >= 1

_keeps_a_pod(guard, replicas) if _scaled(guard.maxUnavailable, replicas) < replicas

_deployment_keys(res) := {
	[sla_lib.namespace(res), object.get(res.props, ["spec", "selector", "matchLabels"], {})],
	[sla_lib.namespace(res), _pod_labels(res)],
}

# METADATA
# title: Every replicated model server has a disruption budget that keeps a pod
# description: Node drains and upgrades evict pods; without a PodDisruptionBudget keeping at least
#   one pod, a routine drain can take every replica of a model down at once.
# custom:
#   id: SLA-004
#   area: sla
#   severity: high
#   enforcement: mandatory
#   scope: stack
#   resource_types: ["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet"]
#   parameters: []
#   remediation: Add a PodDisruptionBudget in the Deployment's namespace whose selector matchLabels
#     equal the Deployment's selector, with minAvailable of at least 1.
deny contains v if {
	some res in data.lib.sla.model_servers
	res.type in data.lib.sla.replicated_types
	not _protected(res)
	v := inv.violation(
		"SLA-004", res,
		_pdb_message(res),
		"spec.selector.matchLabels", object.get(res.props, ["spec", "selector", "matchLabels"], {}),
	)
}

# [selector key, guard] of every PDB; the distinct guards are few, which keeps the join linear.
_pdb_guards := {[key, guard] |
	some pdb in inv.resources(input, _pdb_type)
	key := _pdb_key(pdb)
	guard := _pdb_guard(pdb)
}

_guards := {pair[1] | some pair in _pdb_guards}

_pdb_keys := {pair[0] | some pair in _pdb_guards}

_protected(res) if {
	some key in _deployment_keys(res)
	some guard in _guards
	[key, guard] in _pdb_guards
	_keeps_a_pod(guard, sla_lib.replicas(res))
}

_pdb_message(res) := msg if {
	some key in _deployment_keys(res)
	key in _pdb_keys
	msg := concat("", [
		"the PodDisruptionBudget of ",
		res.name,
		" lets all ",
		inv.text(sla_lib.replicas(res)),
		" replicas be evicted; it must keep at least 1 pod (minAvailable >= 1)",
	])
} else := concat("", [
	"model server ",
	res.name,
	" has no PodDisruptionBudget selecting its pods in namespace ",
	inv.text(sla_lib.namespace(res)),
	"; add one with minAvailable >= 1",
])
