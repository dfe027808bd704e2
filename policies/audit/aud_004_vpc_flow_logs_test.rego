# AUD-004: the rule's cases, on the builders of audit_test.rego.
package audit_test

import data.lib.test_kit as kit
import rego.v1

test_aud_004_vpc_with_flow_log_passes if {
	count(kit.fired(_deny(_inventory({})), "AUD-004")) == 0
}

test_aud_004_vpc_without_flow_log_denied if {
	kit.only_on(_deny(_inventory({"flow_log": null})), "AUD-004", {_vpc.urn})
}

test_aud_004_flow_log_of_another_vpc_denied if {
	other := _resource("aws:ec2/vpc:Vpc", "other", {"cidrBlock": "10.41.0.0/16"})
	kit.only_on(_deny(_inventory({"other": other})), "AUD-004", {other.urn})
}
