package security

import data.lib.inventory as inv
import rego.v1

# METADATA
# title: The cluster enforces NetworkPolicies
# description: A NetworkPolicy is only data until a network plugin enforces it. The VPC CNI
#   enforces them only when its EKS add-on's configuration sets enableNetworkPolicy to "true"
#   (VPC CNI 1.14 or later); otherwise every default-deny and allow of the stack is ignored and
#   any pod reaches the model servers and Redis. Another enforcing CNI (Cilium, Calico) passes
#   when the stack installs it.
# custom:
#   id: SEC-022
#   area: security
#   severity: high
#   enforcement: mandatory
#   scope: stack
#   resource_types: ["aws:eks/cluster:Cluster", "aws:eks/addon:Addon"]
#   parameters: ["network_policy.vpc_cni", "network_policy.enforcing_cni_charts"]
#   remediation: Set enableNetworkPolicy to "true" in the configuration values of the cluster's
#     vpc-cni add-on, at version 1.14 or later (components/cluster.py pins both from
#     components/data/versions.yaml), or install an enforcing CNI.
deny contains v if {
	some cluster in inv.resources(input, data.lib.security.cluster_type)
	not _sec_022_enforced(cluster)
	not _sec_022_unknown(cluster)
	not _sec_022_other_cni
	v := inv.violation(
		"SEC-022", cluster,
		concat("", [
			"EKS cluster ", cluster.name, " does not enforce NetworkPolicies: no ",
			_sec_022_cni.addon_name, " add-on of the cluster sets ", _sec_022_cni.configuration_key,
			" to \"true\" at version ", _sec_022_minimum_text, " or later, and no enforcing CNI chart (",
			concat(", ", data.params.network_policy.enforcing_cni_charts), ") is installed",
		]),
		"addons", sort([a.name | some a in _sec_022_addons(cluster)]),
	)
}

deny contains v if {
	some cluster in inv.resources(input, data.lib.security.cluster_type)
	not _sec_022_enforced(cluster)
	some addon in _sec_022_addons(cluster)
	inv.is_unknown(addon, "configurationValues")
	not _sec_022_other_cni
	v := inv.undecided("SEC-022", addon, "configurationValues")
}


_sec_022_cni := data.params.network_policy.vpc_cni

_sec_022_minimum_text := concat(".", [format_int(n, 10) | some n in _sec_022_cni.minimum_version])

# The cluster's VPC CNI add-ons: tied to it by the clusterName input's dependency or value.
_sec_022_addons(cluster) := object.get(_sec_022_cluster_addons, cluster.urn, [])

# Each cluster's VPC CNI add-ons, joined once per query: the rule asks for them several times per
# cluster, and scanning every add-on each time cost half a second at 10k resources.
# The keys are built once per cluster, not once per (cluster, add-on) pair.
_sec_022_cluster_addons := {cluster.urn: addons |
	some cluster in inv.resources(input, data.lib.security.cluster_type)
	keys := {cluster.urn, _sec_022_name_key(inv.prop(cluster, "name"))}
	addons := [addon | some [key, addon] in _sec_022_keyed_addons; key in keys]
}

# [cluster key, add-on]: the cluster URNs an add-on depends on for clusterName, and its cluster name.
_sec_022_keyed_addons := array.concat(
	[[urn, addon] | some addon in _sec_022_cni_addons; some urn in inv.dep_urns(addon, "clusterName")],
	[[_sec_022_name_key(name), addon] |
		some addon in _sec_022_cni_addons
		name := inv.prop(addon, "clusterName")
		is_string(name)
	],
)

_sec_022_name_key(name) := ["name", name]

_sec_022_cni_addons := [addon |
	some addon in inv.resources(input, "aws:eks/addon:Addon")
	inv.prop(addon, "addonName") == _sec_022_cni.addon_name
]

_sec_022_enforced(cluster) if {
	some addon in _sec_022_addons(cluster)
	addon.urn in _sec_022_enforcing_addons
}

# Judged once per add-on: an add-on can serve several clusters (matched by name).
_sec_022_enforcing_addons contains addon.urn if {
	some addon in _sec_022_cni_addons
	_sec_022_turned_on(addon)
	_sec_022_recent_enough(addon)
}

_sec_022_unknown(cluster) if {
	some addon in _sec_022_addons(cluster)
	inv.is_unknown(addon, "configurationValues")
}

# configurationValues is a JSON document; the add-on schema takes the string "true".
_sec_022_turned_on(addon) if {
	text := inv.prop(addon, "configurationValues")
	is_string(text)
	not inv.is_unknown(addon, "configurationValues")
	json.is_valid(text)
	values := json.unmarshal(text)
	is_object(values)
	lower(inv.text(object.get(values, _sec_022_cni.configuration_key, "false"))) == "true"
}

# Without a pinned version EKS installs its default build, which for every Kubernetes version
# EKS still supports is past 1.14; a pinned one must be at least the minimum.
_sec_022_recent_enough(addon) if not is_string(inv.prop(addon, "addonVersion"))

_sec_022_recent_enough(addon) if {
	version := inv.prop(addon, "addonVersion")
	is_string(version)
	parts := regex.find_all_string_submatch_n(`^v?([0-9]+)\.([0-9]+)`, version, 1)
	count(parts) == 1
	[major, minor] := _sec_022_cni.minimum_version
	found := (to_number(parts[0][1]) * 1000) + to_number(parts[0][2])
	found >= (major * 1000) + minor
}

_sec_022_other_cni if {
	some release in inv.resources(input, "kubernetes:helm.sh/v3:Release")
	chart := inv.prop(release, "chart")
	is_string(chart)
	some name in data.params.network_policy.enforcing_cni_charts
	_sec_022_chart_is(chart, name)
}

_sec_022_chart_is(chart, name) if chart == name

_sec_022_chart_is(chart, name) if endswith(chart, concat("", ["/", name]))
