# SLA-007: GPU node groups span at least two availability zones.
package sla

import data.lib.inventory as inv
import rego.v1

_subnet_zone(subnet) := object.get(
	subnet.props,
	"availabilityZone",
	object.get(subnet.props, "availabilityZoneId", null),
)

# METADATA
# title: GPU node groups span at least two availability zones
# description: A node group confined to one zone loses every GPU node when that zone fails, so no
#   replica spread can save the models it runs.
# custom:
#   id: SLA-007
#   area: sla
#   severity: high
#   enforcement: mandatory
#   scope: stack
#   resource_types: ["aws:eks/nodeGroup:NodeGroup"]
#   parameters: []
#   remediation: Give the node group private subnets in at least two availability zones.
deny contains v if {
	some ng in data.lib.inventory.gpu_node_groups
	subnets := object.get(ng.deps, "subnetIds", [])
	known := _known_zones(subnets)
	count(known) < 2
	_every_subnet_known(subnets)
	v := inv.violation(
		"SLA-007", ng,
		concat("", [
			"GPU node group ",
			ng.name,
			" spans ",
			format_int(count(known), 10),
			" availability zone(s) (",
			concat(", ", sort(known)),
			"); it needs subnets in at least 2",
		]),
		"subnetIds", sort(known),
	)
}

deny contains v if {
	some ng in data.lib.inventory.gpu_node_groups
	subnets := object.get(ng.deps, "subnetIds", [])
	count(_known_zones(subnets)) < 2
	not _every_subnet_known(subnets)
	v := inv.undecided("SLA-007", ng, "subnetIds")
}

_subnet_zones := {s.urn: _subnet_zone(s) | some s in inv.resources(input, "aws:ec2/subnet:Subnet")}

_known_zones(subnets) := {zone |
	urn := subnets[_]
	zone := _subnet_zones[urn]
	is_string(zone)
	zone != data.lib.inventory.unknown_value
}

_every_subnet_known(subnets) if {
	count(subnets) > 0
	every urn in subnets {
		is_string(_subnet_zones[urn])
		_subnet_zones[urn] != data.lib.inventory.unknown_value
	}
}
