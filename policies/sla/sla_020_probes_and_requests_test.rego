package sla_test

import data.lib.test_kit as pskit
import data.sla
import rego.v1

_pss_image := concat("", [
	"registry.example/vllm/vllm-openai:v0.33.0@sha256:0123456789abcdef01234",
	"56789abcdef0123456789abcdef0123456789abcdef",
])

_pss_pod := pskit.model_pod(_pss_image)

_pss_container := pskit.model_container(_pss_image)

# The package's findings on `inventory`, key by key: regopy 1.5.2 and regorus 0.13 mishandle
# `with input as <value>` across packages (see security_test.rego's _deny).
_pss_deny(inventory) := denies if {
	denies := sla.deny with input.stack as inventory.stack
		with input.declared as inventory.declared
		with input.evaluation as inventory.evaluation
		with input.resources as inventory.resources
		with input.by_type as inventory.by_type
}

_sla_020_hits(inv) := [x | some x in _pss_deny(inv); x.rule_id == "SLA-020"]

_sla_020_redis(container) := pskit.pss_inventory([
	pskit.restricted_namespace("llm-gateway"),
	pskit.deployment("redis", "llm-gateway", {"containers": [container]}),
])

_sla_020_good := {
	"name": "redis", "image": "library/redis:8",
	"resources": {"requests": {"cpu": "100m", "memory": "256Mi"}},
	"readinessProbe": {"tcpSocket": {"port": 6379}}, "livenessProbe": {"tcpSocket": {"port": 6379}},
}

test_sla_020_probed_and_requested_passes if {
	count(_sla_020_hits(_sla_020_redis(_sla_020_good))) == 0
}

test_sla_020_missing_readiness_probe_denied if {
	[v] := _sla_020_hits(_sla_020_redis(object.remove(_sla_020_good, ["readinessProbe"])))
	v.path == "spec.template.spec.containers.0.readinessProbe"
}

test_sla_020_missing_memory_request_denied if {
	[v] := _sla_020_hits(_sla_020_redis(json.patch(
		_sla_020_good,
		[{"op": "remove", "path": "/resources/requests/memory"}],
	)))
	v.path == "spec.template.spec.containers.0.resources.requests.memory"
}

test_sla_020_model_server_requests_judged if {
	spec := json.patch(_pss_pod, [{"op": "remove", "path": "/containers/0/resources/requests/cpu"}])
	[v] := _sla_020_hits(pskit.with_spec(spec))
	v.path == "spec.template.spec.containers.0.resources.requests.cpu"
}

test_sla_020_foreign_workload_outside_servegate_passes if {
	inv := pskit.pss_inventory([pskit.deployment(
		"web",
		"default",
		{"containers": [{"name": "web", "image": "nginx:1.29"}]},
	)])
	count(_sla_020_hits(inv)) == 0
}
