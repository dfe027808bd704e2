package lib.pod_security_test

import data.lib.pod_security as pss
import data.lib.test_kit as pskit
import rego.v1

# Judged key by key: regopy 1.5.2 crashes under `with input as <value>` (see security_test.rego).
_model_server(res, _, inventory) if {
	urns := {entry[0].urn | some entry in pss.model_server_pods} with input.resources as inventory.resources
		with input.by_type as inventory.by_type
	res.urn in urns
}

_restricted(res, _, inventory) if {
	urns := {entry[0].urn | some entry in pss.restricted_pods} with input.resources as inventory.resources
		with input.by_type as inventory.by_type
	res.urn in urns
}

_pss_image := concat("", [
	"registry.example/vllm/vllm-openai:v0.33.0@sha256:0123456789abcdef01234",
	"56789abcdef0123456789abcdef0123456789abcdef",
])

_pss_pod := pskit.model_pod(_pss_image)

_pss_container := pskit.model_container(_pss_image)

test_a_gpu_request_makes_a_model_server if {
	spec := object.union(_pss_pod, {"containers": [object.union(_pss_container, {"image": "busybox", "command": ["sh"]})]})
	d := pskit.deployment("x", "default", spec)
	_model_server(d, spec, pskit.pss_inventory([d]))
}

test_an_unlabelled_plain_pod_is_no_model_server if {
	plain := {"name": "app", "image": "nginx:1.29", "resources": {"requests": {"cpu": "1"}}}
	spec := {"containers": [plain]}
	d := pskit.deployment("x", "default", spec)
	not _model_server(d, spec, pskit.pss_inventory([d]))
}

_beside_restricted_namespace(workload) := pskit.pss_inventory([pskit.restricted_namespace("llm-serving"), workload])

test_restricted_applies_in_a_restricted_namespace if {
	plain := {"name": "app", "image": "nginx:1.29"}
	spec := {"containers": [plain]}
	d := pskit.deployment("x", "llm-serving", spec)
	_restricted(d, spec, _beside_restricted_namespace(d))
}

test_restricted_does_not_apply_to_a_foreign_workload_elsewhere if {
	plain := {"name": "app", "image": "nginx:1.29"}
	spec := {"containers": [plain]}
	d := pskit.deployment("x", "default", spec)
	not _restricted(d, spec, _beside_restricted_namespace(d))
}

test_containers_cover_every_kind if {
	spec := {"initContainers": [{"name": "a"}], "containers": [{"name": "b"}], "ephemeralContainers": [{"name": "c"}]}
	{[l, c.name] |
		some [l, _, c] in pss.containers(spec)
	} == {["initContainers", "a"], ["containers", "b"], ["ephemeralContainers", "c"]}
}
