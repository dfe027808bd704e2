package security_test

import rego.v1

_netpol_sec_022(overrides) := {urn | some [id, urn] in _netpol_hits(overrides); id == "SEC-022"}

_netpol_cni(props) := {"cni": _netpol_addon(props)}

test_sec_022_enabled_vpc_cni_passes if {
	_netpol_sec_022({}) == set()
}

test_sec_022_no_vpc_cni_addon_denied if {
	_netpol_sec_022({"cni": null}) == {_netpol_cluster.urn}
}

test_sec_022_addon_without_configuration_denied if {
	_netpol_sec_022(_netpol_cni({"addonVersion": "v1.23.0-eksbuild.1"})) == {_netpol_cluster.urn}
}

test_sec_022_configuration_without_the_key_denied if {
	_netpol_sec_022(_netpol_cni({"configurationValues": "{\"enableWindowsIpam\": \"true\"}"})) == {_netpol_cluster.urn}
}

test_sec_022_network_policy_turned_off_denied if {
	_netpol_sec_022(_netpol_cni({"configurationValues": "{\"enableNetworkPolicy\": \"false\"}"})) == {_netpol_cluster.urn}
}

test_sec_022_configuration_not_json_denied if {
	_netpol_sec_022(_netpol_cni({"configurationValues": "enableNetworkPolicy=true"})) == {_netpol_cluster.urn}
}

test_sec_022_version_before_1_14_denied if {
	props := {"addonVersion": "v1.13.4-eksbuild.1", "configurationValues": "{\"enableNetworkPolicy\": \"true\"}"}
	_netpol_sec_022(_netpol_cni(props)) == {_netpol_cluster.urn}
}

test_sec_022_unparseable_version_denied if {
	props := {"addonVersion": "latest", "configurationValues": "{\"enableNetworkPolicy\": \"true\"}"}
	_netpol_sec_022(_netpol_cni(props)) == {_netpol_cluster.urn}
}

test_sec_022_newer_major_passes if {
	props := {"addonVersion": "v2.0.1-eksbuild.1", "configurationValues": "{\"enableNetworkPolicy\": \"true\"}"}
	_netpol_sec_022(_netpol_cni(props)) == set()
}

test_sec_022_default_version_with_policies_on_passes if {
	_netpol_sec_022(_netpol_cni({"configurationValues": "{\"enableNetworkPolicy\": true}"})) == set()
}

test_sec_022_addon_of_another_cluster_denied if {
	other_cluster := _netpol_urn("aws:eks/cluster:Cluster", "other")
	other := _netpol_with(_netpol_cni_on, {"deps": {"clusterName": [other_cluster]}})
	_netpol_sec_022({"cni": other}) == {_netpol_cluster.urn}
}

test_sec_022_addon_naming_the_cluster_passes if {
	props := _netpol_with(_netpol_cni_on.props, {"clusterName": "prod-ca"})
	addon := _netpol_with(_netpol_cni_on, {"deps": {}, "props": props})
	_netpol_sec_022({"cni": addon}) == set()
}

test_sec_022_other_addon_does_not_count if {
	addon := _netpol_with(_netpol_cni_on, {"props": _netpol_with(_netpol_cni_on.props, {"addonName": "kube-proxy"})})
	_netpol_sec_022({"cni": addon}) == {_netpol_cluster.urn}
}

test_sec_022_unknown_configuration_is_undecided if {
	props := _netpol_with(_netpol_cni_on.props, {"configurationValues": data.lib.inventory.unknown_value})
	addon := _netpol_with(_netpol_cni_on, {"props": props, "unknowns": ["configurationValues"]})
	denies := _netpol_denies({"cni": addon})
	{[v.rule_id, v.urn] | some v in denies; v.undecided} == {["SEC-022", addon.urn]}
	_netpol_sec_022({"cni": addon}) == set()
}

test_sec_022_enforcing_cni_chart_passes if {
	chart := {"chart": "oci://example.com/charts/cilium", "version": "1.18.0"}
	cilium := _netpol_res("kubernetes:helm.sh/v3:Release", "cilium", chart)
	_netpol_sec_022({"cni": null, "cilium": cilium}) == set()
}

test_sec_022_enforcing_cni_chart_by_bare_name_passes if {
	calico := _netpol_res("kubernetes:helm.sh/v3:Release", "calico", {"chart": "tigera-operator"})
	_netpol_sec_022({"cni": null, "calico": calico}) == set()
}

test_sec_022_other_chart_does_not_count if {
	other := _netpol_res("kubernetes:helm.sh/v3:Release", "other", {"chart": "oci://example.com/charts/not-cilium"})
	_netpol_sec_022({"cni": null, "other": other}) == {_netpol_cluster.urn}
}
