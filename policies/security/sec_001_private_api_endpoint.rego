# SEC-001: The EKS API endpoint is private or restricted to known networks.
package security

import data.lib.inventory as inv
import data.lib.security as security_lib
import rego.v1

# AWS opens the public endpoint when endpointPublicAccess is not set.
_public_endpoint(cluster) if inv.truthy(object.get(cluster.props, ["vpcConfig", "endpointPublicAccess"], true))

_public_cidrs(cluster) := object.get(cluster.props, ["vpcConfig", "publicAccessCidrs"], [])

# METADATA
# title: The EKS API endpoint is private or restricted to known networks
# description: A Kubernetes API endpoint reachable from the whole internet exposes the cluster to
#   credential stuffing and to every future API server vulnerability.
# custom:
#   id: SEC-001
#   area: security
#   severity: critical
#   enforcement: mandatory
#   scope: resource
#   resource_types: ["aws:eks/cluster:Cluster"]
#   parameters: []
#   remediation: Set vpcConfig.endpointPublicAccess to false (reach the API through the VPC), or
#     list the networks allowed in llm-serving:cluster.endpointPublicAccessCidrs (never 0.0.0.0/0).
deny contains v if {
	some cluster in inv.resources(input, data.lib.security.cluster_type)
	not inv.is_unknown(cluster, "vpcConfig.endpointPublicAccess")
	_public_endpoint(cluster)
	not inv.is_unknown(cluster, "vpcConfig.publicAccessCidrs")
	count(_public_cidrs(cluster)) == 0
	v := inv.violation(
		"SEC-001", cluster,
		concat("", [
			"EKS cluster ",
			cluster.name,
			" has a public API endpoint open to any address (no ",
			"publicAccessCidrs); make it private or list the allowed networks",
		]),
		"vpcConfig.publicAccessCidrs", [],
	)
}

deny contains v if {
	some cluster in inv.resources(input, data.lib.security.cluster_type)
	not inv.is_unknown(cluster, "vpcConfig.endpointPublicAccess")
	_public_endpoint(cluster)
	some cidr in _public_cidrs(cluster)
	security_lib.world_open(cidr)
	v := inv.violation(
		"SEC-001", cluster,
		concat("", [
			"EKS cluster ",
			cluster.name,
			" opens its public API endpoint to ",
			inv.text(cidr),
			"; make it private or list only known networks",
		]),
		"vpcConfig.publicAccessCidrs", _public_cidrs(cluster),
	)
}

deny contains v if {
	some cluster in inv.resources(input, data.lib.security.cluster_type)
	some path in ["vpcConfig.endpointPublicAccess", "vpcConfig.publicAccessCidrs"]
	inv.is_unknown(cluster, path)
	v := inv.undecided("SEC-001", cluster, path)
}
