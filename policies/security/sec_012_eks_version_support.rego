package security

import data.lib.inventory as inv
import rego.v1

# Shared with SEC-013 (sec_013_eks_version_ending.rego): the cluster type, the support table
# and the evaluation date.
_eks_versions := data.params.eks_versions.versions

_day_ns := ((24 * 60) * 60) * 1000000000

_date_pattern := `^[0-9]{4}-[0-9]{2}-[0-9]{2}$`

# The evaluation date (input.evaluation.as_of), when present and shaped YYYY-MM-DD.
_as_of := date if {
	date := object.get(input, ["evaluation", "as_of"], "")
	is_string(date)
	regex.match(_date_pattern, date)
}

_date_ns(date) := time.parse_ns("2006-01-02", date)

# Whole days from the evaluation date to `date` (negative once it has passed).
_days_until(date) := (_date_ns(date) - _date_ns(_as_of)) / _day_ns

# A cluster's version as pinned, when it is known at preview time.
_pinned_version(cluster) := version if {
	not inv.is_unknown(cluster, "version")
	version := inv.prop(cluster, "version")
	is_string(version)
	version != ""
}

# METADATA
# title: The EKS cluster runs a Kubernetes version in standard support
# description: Past the end of standard support EKS bills the control plane at the
#   extended-support rate and ships fewer fixes; past the end of extended support it upgrades
#   the control plane on its own schedule, under the running workloads. Judged against
#   compliance's EKS support calendar on the evaluation date (--as-of, default today), which
#   the report records so the decision can be reproduced.
# custom:
#   id: SEC-012
#   area: security
#   severity: high
#   enforcement: mandatory
#   scope: resource
#   resource_types: ["aws:eks/cluster:Cluster"]
#   config_key: cluster.kubernetesVersion
#   parameters: ["eks_versions.versions"]
#   remediation: Pin a Kubernetes version in EKS standard support in llm-serving:cluster.kubernetesVersion
#     (e.g. "1.35") and upgrade the cluster; a version missing from policies/data/eks_versions.yaml
#     needs its support dates added by compliance first.
deny contains v if {
	some cluster in inv.resources(input, data.lib.security.cluster_type)
	version := _pinned_version(cluster)
	row := _eks_versions[version]
	_days_until(row.endOfStandardSupport) <= 0
	_days_until(row.endOfExtendedSupport) > 0
	v := inv.violation(
		"SEC-012", cluster,
		concat("", [
			"EKS cluster ",
			cluster.name,
			" runs Kubernetes ",
			version,
			", in extended support since ",
			row.endOfStandardSupport,
			" (until ",
			row.endOfExtendedSupport,
			", billed at the extended rate) as of ",
			_as_of,
			"; upgrade to a version in standard support",
		]),
		"version", version,
	)
}

deny contains v if {
	some cluster in inv.resources(input, data.lib.security.cluster_type)
	version := _pinned_version(cluster)
	row := _eks_versions[version]
	_days_until(row.endOfExtendedSupport) <= 0
	v := inv.violation(
		"SEC-012", cluster,
		concat("", [
			"EKS cluster ",
			cluster.name,
			" runs Kubernetes ",
			version,
			", past the end of extended support on ",
			row.endOfExtendedSupport,
			" as of ",
			_as_of,
			"; EKS upgrades such control planes on its own schedule",
		]),
		"version", version,
	)
}

deny contains v if {
	some cluster in inv.resources(input, data.lib.security.cluster_type)
	version := _pinned_version(cluster)
	not _eks_versions[version]
	v := inv.violation(
		"SEC-012", cluster,
		concat("", [
			"EKS cluster ",
			cluster.name,
			" runs Kubernetes ",
			version,
			", whose EKS support dates are not in policies/data/eks_versions.yaml (known: ",
			concat(", ", sort(object.keys(_eks_versions))),
			")",
		]),
		"version", version,
	)
}

deny contains v if {
	some cluster in inv.resources(input, data.lib.security.cluster_type)
	not inv.is_unknown(cluster, "version")
	not _pinned_version(cluster)
	v := inv.violation(
		"SEC-012", cluster,
		concat("", [
			"EKS cluster ",
			cluster.name,
			" pins no Kubernetes version: EKS would create it on its default, whatever that is on the day",
		]),
		"version", inv.prop(cluster, "version"),
	)
}

deny contains v if {
	some cluster in inv.resources(input, data.lib.security.cluster_type)
	inv.is_unknown(cluster, "version")
	v := inv.undecided("SEC-012", cluster, "version")
}

deny contains v if {
	some cluster in inv.resources(input, data.lib.security.cluster_type)
	not _as_of
	v := object.union(inv.undecided("SEC-012", cluster, "evaluation.as_of"), {
		"message": "SEC-012 cannot be judged: the evaluation date (input.evaluation.as_of, YYYY-MM-DD) is missing",
	})
}
