# RES-002: the rule's cases, on the builders of residency_test.rego.
package residency_test

import data.lib.test_kit as kit
import rego.v1

test_res_002_known_region_allowed if {
	count(kit.findings(_denials(_compliant, _declared), "RES-002")) == 0
}

test_res_002_missing_region_denied_on_sovereign_stack if {
	lost := kit.with_patches(_bucket, [{"op": "replace", "path": "/region", "value": null}])
	kit.only(_denials(array.concat(_swap(lost), [lost]), _declared), "RES-002", lost.urn)
}

test_res_002_unknown_region_denied_on_sovereign_stack if {
	unknown := kit.with_patches(_bucket, [{
		"op": "replace",
		"path": "/region",
		"value": "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
	}])
	kit.only(_denials(array.concat(_swap(unknown), [unknown]), _declared), "RES-002", unknown.urn)
}

test_res_002_missing_region_not_judged_on_open_stack if {
	lost := kit.with_patches(_bucket, [{"op": "replace", "path": "/region", "value": null}])
	count(_denials(array.concat(_swap(lost), [lost]), _open_declared)) == 0
}
