# SLA-003: Model server pods spread across availability zones.
package sla

import data.lib.inventory as inv
import data.lib.sla as sla_lib
import rego.v1

_zone_key := "topology.kubernetes.io/zone"

# A DaemonSet runs one pod per matching node and a bare Pod is one pod: neither spreads replicas.
_spread_kinds := {
	"kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet",
	"kubernetes:batch/v1:Job", "kubernetes:batch/v1:CronJob",
}

_stable_pod_specs := {sla_lib.pod_spec(res) |
	some res in data.lib.sla.stable_model_servers
	res.type in _spread_kinds
}

_zone_spread(spec) if {
	constraint_list := object.get(spec, "topologySpreadConstraints", [])
	constraint := constraint_list[_]
	constraint.topologyKey == _zone_key
	object.get(constraint, "whenUnsatisfiable", "DoNotSchedule") == "DoNotSchedule"
}

_zone_spread(spec) if {
	term_list := object.get(spec, ["affinity", "podAntiAffinity", "requiredDuringSchedulingIgnoredDuringExecution"], [])
	term := term_list[_]
	term.topologyKey == _zone_key
}

_unspread_specs := {spec | some spec in _stable_pod_specs; not _zone_spread(spec)}

# METADATA
# title: Model server pods spread across availability zones
# description: Replicas that share a zone fail together; a hard spread constraint (or required
#   anti-affinity) on the zone key keeps an availability-zone outage from taking a model down.
# custom:
#   id: SLA-003
#   area: sla
#   severity: high
#   enforcement: mandatory
#   scope: resource
#   resource_types: ["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet",
#     "kubernetes:batch/v1:Job", "kubernetes:batch/v1:CronJob"]
#   applies_when: declared.sla
#   not_applicable: no SLA declared
#   parameters: [sla.min_zones]
#   remediation: Add a topologySpreadConstraint on topology.kubernetes.io/zone with
#     whenUnsatisfiable DoNotSchedule (or required pod anti-affinity by zone).
deny contains v if {
	sla_lib.sla_declared(input.declared)
	count(_unspread_specs) > 0
	some res in data.lib.sla.stable_model_servers
	res.type in _spread_kinds
	spec := sla_lib.pod_spec(res)
	not _zone_spread(spec)
	v := inv.violation(
		"SLA-003", res,
		concat("", [
			"model server ",
			res.name,
			" does not require spreading over ",
			_zone_key,
			"; availability ",
			inv.text(input.declared.sla.availability),
			"% needs pods in at least ",
			inv.text(data.params.sla.min_zones),
			" zones",
		]),
		concat(".", [
			sla_lib.pod_spec_path(res),
			"topologySpreadConstraints",
		]), object.get(spec, "topologySpreadConstraints", null),
	)
}
