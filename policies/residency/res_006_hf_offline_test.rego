# RES-006: the rule's cases, on the builders of residency_test.rego.
package residency_test

import data.lib.test_kit as kit
import rego.v1

test_res_006_offline_env_allowed if {
	count(kit.findings(_denials(_compliant, _declared), "RES-006")) == 0
}

test_res_006_missing_offline_env_denied if {
	online := kit.with_patches(
		_model_server,
		[{"op": "replace", "path": "/props/spec/template/spec/containers/0/env", "value": []}],
	)
	kit.only(_denials(array.concat(_swap(online), [online]), _declared), "RES-006", online.urn)
}

test_res_006_offline_zero_denied if {
	online := kit.with_patches(
		_model_server,
		[{"op": "replace", "path": "/props/spec/template/spec/containers/0/env/0/value", "value": "0"}],
	)
	kit.only(_denials(array.concat(_swap(online), [online]), _declared), "RES-006", online.urn)
}


test_res_006_an_offline_init_container_does_not_hide_an_online_server if {
	online := kit.with_patches(_model_server, [
		{"op": "replace", "path": "/props/spec/template/spec/containers/0/env", "value": []},
		{
			"op": "add",
			"path": "/props/spec/template/spec/initContainers/0/env",
			"value": [{"name": "HF_HUB_OFFLINE", "value": "1"}],
		},
	])
	kit.only(_denials(array.concat(_swap(online), [online]), _declared), "RES-006", online.urn)
}
