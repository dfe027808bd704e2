# AUD-003: EKS audit and authenticator logs are enabled.
package audit

import data.lib.inventory as inv
import rego.v1

_cluster_type := "aws:eks/cluster:Cluster"

_required_cluster_log_types := {"audit", "authenticator"}

_missing_cluster_log_types(cluster) := _required_cluster_log_types - {log_type |
	log_type_list := object.get(cluster.props, "enabledClusterLogTypes", [])
	log_type := log_type_list[_]
}

# METADATA
# title: EKS audit and authenticator logs are enabled
# description: The Kubernetes audit log records every API request to the cluster and the
#   authenticator log maps them to IAM identities; without both nobody can tell who did what.
# custom:
#   id: AUD-003
#   area: audit
#   severity: high
#   enforcement: mandatory
#   scope: resource
#   resource_types: ["aws:eks/cluster:Cluster"]
#   parameters: []
#   remediation: Add "audit" and "authenticator" to the cluster's enabled_cluster_log_types.
deny contains v if {
	some cluster in inv.resources(input, _cluster_type)
	not inv.is_unknown(cluster, "enabledClusterLogTypes")
	missing := _missing_cluster_log_types(cluster)
	count(missing) > 0
	v := inv.violation(
		"AUD-003", cluster,
		concat("", [
			"EKS cluster ",
			cluster.name,
			" does not ship the ",
			concat(", ", sort(missing)),
			" control-plane log(s); enabledClusterLogTypes must include audit and authenticator",
		]),
		"enabledClusterLogTypes", object.get(cluster.props, "enabledClusterLogTypes", []),
	)
}

deny contains v if {
	some cluster in inv.resources(input, _cluster_type)
	inv.is_unknown(cluster, "enabledClusterLogTypes")
	v := inv.undecided("AUD-003", cluster, "enabledClusterLogTypes")
}
