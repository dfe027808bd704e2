package security

import data.lib.inventory as inv
import rego.v1

# METADATA
# title: The EKS cluster's Kubernetes version is not about to leave standard support
# description: Warns ahead of SEC-012 so the upgrade is planned before the version moves to
#   extended support (and its price), judged on the evaluation date (--as-of, default today).
# custom:
#   id: SEC-013
#   area: security
#   severity: medium
#   enforcement: advisory
#   scope: resource
#   resource_types: ["aws:eks/cluster:Cluster"]
#   config_key: cluster.kubernetesVersion
#   parameters: ["eks_versions.versions", "eks_versions.advisory_days"]
#   remediation: Plan the upgrade to a newer Kubernetes version (llm-serving:cluster.kubernetesVersion)
#     before its end of standard support.
deny contains v if {
	some cluster in inv.resources(input, data.lib.security.cluster_type)
	version := _pinned_version(cluster)
	row := _eks_versions[version]
	days := _days_until(row.endOfStandardSupport)
	days > 0
	days <= data.params.eks_versions.advisory_days
	v := inv.violation(
		"SEC-013", cluster,
		concat("", [
			"EKS cluster ",
			cluster.name,
			" runs Kubernetes ",
			version,
			", whose standard support ends on ",
			row.endOfStandardSupport,
			" (",
			inv.text(days),
			" days after ",
			_as_of,
			"); plan the upgrade",
		]),
		"version", version,
	)
}
