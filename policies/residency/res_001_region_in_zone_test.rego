# RES-001: the rule's cases, on the builders of residency_test.rego.
package residency_test

import data.lib.test_kit as kit
import rego.v1

test_res_001_region_in_zone_allowed if {
	moved := kit.with_patches(_bucket, [{"op": "replace", "path": "/region", "value": "ca-west-1"}])
	count(kit.findings(_denials(array.concat(_swap(moved), [moved]), _declared), "RES-001")) == 0
}

test_res_001_region_outside_zone_denied if {
	moved := kit.with_patches(_bucket, [{"op": "replace", "path": "/region", "value": "us-east-1"}])
	kit.only(_denials(array.concat(_swap(moved), [moved]), _declared), "RES-001", moved.urn)
}

test_res_001_global_and_kubernetes_types_skipped if {
	# IAM has no region; Kubernetes objects live in the cluster.
	count(kit.findings(_denials(_compliant, _declared), "RES-001")) == 0
	_iam_role.region == null
}

test_res_001_unknown_region_undecided_on_open_stack if {
	unknown := kit.with_patches(_bucket, [{
		"op": "replace",
		"path": "/region",
		"value": "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
	}])
	kit.undecided_on(_denials(array.concat(_swap(unknown), [unknown]), _open_declared), "RES-001", unknown.urn)
}

test_res_001_unknown_zone_denied_once_on_stack if {
	declared := json.patch(_declared, [{"op": "replace", "path": "/residency/zone", "value": "mars"}])
	# Other residency rules still fail closed (no region is in an unknown zone).
	kit.findings(_denials(_compliant, declared), "RES-001") == {data.lib.test_kit.stack.urn}
}
