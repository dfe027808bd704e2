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

# What a workload runs makes it a model server, not our labels: a hand-written vLLM Deployment
# without them, and the same server as a bare Pod, are judged too.
_unlabelled(server) := kit.with_patches(server, [
	{"op": "remove", "path": "/props/metadata/labels"},
	{"op": "remove", "path": "/props/spec/template/metadata/labels"},
])

test_res_006_unlabelled_vllm_deployment_denied if {
	online := kit.with_patches(
		_unlabelled(_model_server),
		[{"op": "replace", "path": "/props/spec/template/spec/containers/0/env", "value": []}],
	)
	kit.only(_denials(array.concat(_swap(online), [online]), _declared), "RES-006", online.urn)
}

test_res_006_bare_pod_denied_at_its_own_spec if {
	pod := kit.resource("kubernetes:core/v1:Pod", "vllm-adhoc", {
		"metadata": {"name": "vllm-adhoc", "namespace": "serving"},
		"spec": {"containers": [{
			"name": "server",
			"image": "111122223333.dkr.ecr.ca-central-1.amazonaws.com/mirror/vllm/vllm-openai:v0.33.0",
			"args": ["--model=/models"],
		}]},
	})
	denials := _denials(array.concat(_compliant, [pod]), _declared)
	kit.only(denials, "RES-006", pod.urn)
	some d in denials
	d.path == kit.evidence_path(["spec", "containers", 0, "env"])
}
