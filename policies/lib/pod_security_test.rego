package lib.pod_security_test

import data.lib.pod_security as pss
import data.lib.pod_security_testkit as kit
import rego.v1

_pss_image := "registry.example/vllm/vllm-openai:v0.33.0@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

_pss_pod := kit.model_pod(_pss_image)

_pss_container := kit.model_container(_pss_image)

test_a_gpu_request_makes_a_model_server if {
	spec := object.union(_pss_pod, {"containers": [object.union(_pss_container, {"image": "busybox", "command": ["sh"]})]})
	d := kit.deployment("x", "default", spec)
	pss.model_server(d, spec) with input as kit.inventory([d])
}

test_an_unlabelled_plain_pod_is_no_model_server if {
	plain := {"name": "app", "image": "nginx:1.29", "resources": {"requests": {"cpu": "1"}}}
	spec := {"containers": [plain]}
	d := kit.deployment("x", "default", spec)
	not pss.model_server(d, spec) with input as kit.inventory([d])
}

test_restricted_applies_in_a_restricted_namespace if {
	plain := {"name": "app", "image": "nginx:1.29"}
	spec := {"containers": [plain]}
	pss.restricted(kit.deployment("x", "llm-serving", spec), spec) with input as kit.with_spec(spec)
}

test_restricted_does_not_apply_to_a_foreign_workload_elsewhere if {
	plain := {"name": "app", "image": "nginx:1.29"}
	spec := {"containers": [plain]}
	not pss.restricted(kit.deployment("x", "default", spec), spec) with input as kit.with_spec(spec)
}

test_containers_cover_every_kind if {
	spec := {"initContainers": [{"name": "a"}], "containers": [{"name": "b"}], "ephemeralContainers": [{"name": "c"}]}
	{[l, c.name] | some [l, _, c] in pss.containers(spec)} == {["initContainers", "a"], ["containers", "b"], ["ephemeralContainers", "c"]}
}
