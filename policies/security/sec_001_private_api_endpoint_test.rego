# SEC-001: the rule's cases, on the builders of security_test.rego.
package security_test

import data.lib.test_kit as kit
import rego.v1

_cluster_with_vpc(vpc_config) := kit.with_props(_compliant.cluster, {"vpcConfig": vpc_config})

test_sec_001_private_endpoint_passes if {
	count(kit.fired(_deny(_inventory({})), "SEC-001")) == 0
}

test_sec_001_public_endpoint_with_known_cidrs_passes if {
	cluster := _cluster_with_vpc({"endpointPublicAccess": true, "publicAccessCidrs": ["203.0.113.0/24"]})
	count(kit.fired(_deny(_inventory({"cluster": cluster})), "SEC-001")) == 0
}

test_sec_001_public_endpoint_without_cidrs_denied if {
	cluster := _cluster_with_vpc({"endpointPublicAccess": true})
	kit.only_on(_deny(_inventory({"cluster": cluster})), "SEC-001", {cluster.urn})
}

test_sec_001_endpoint_public_by_default_denied if {
	# AWS opens the public endpoint when endpointPublicAccess is not set
	cluster := _cluster_with_vpc({"endpointPrivateAccess": true})
	kit.only_on(_deny(_inventory({"cluster": cluster})), "SEC-001", {cluster.urn})
}

test_sec_001_world_open_cidr_denied if {
	cluster := _cluster_with_vpc({"endpointPublicAccess": true, "publicAccessCidrs": ["203.0.113.0/24", "0.0.0.0/0"]})
	kit.only_on(_deny(_inventory({"cluster": cluster})), "SEC-001", {cluster.urn})
}

test_sec_001_unknown_public_access_undecided if {
	cluster := _cluster_with_vpc({"endpointPublicAccess": data.lib.inventory.unknown_value})
	denies := _deny(_inventory({"cluster": cluster}))
	kit.undecided(denies, "SEC-001") == {cluster.urn}
	count(kit.fired(denies, "SEC-001")) == 0
}


# SEC-001 undecided: only the unknown field is named, and a known cluster is not undecided.
test_sec_001_undecided_names_the_unknown_field_only if {
	cluster := _cluster_with_vpc({"endpointPublicAccess": data.lib.inventory.unknown_value})
	denies := _deny(_inventory({"cluster": cluster}))
	{v.path | some v in denies; v.rule_id == "SEC-001"} == {"vpcConfig.endpointPublicAccess"}
	count(kit.undecided(_deny(_inventory({})), "SEC-001")) == 0
}
