package residency_test

import data.lib.test_kit as pskit
import rego.v1

# data.residency.deny by its full path: regorus 0.13 loses `with` overrides inside a package
# reached through an import alias (lib/test_kit.rego, denials).

_pss_image := concat("", [
	"registry.example/vllm/vllm-openai:v0.33.0@sha256:0123456789abcdef01234",
	"56789abcdef0123456789abcdef0123456789abcdef",
])

_pss_pod := pskit.model_pod(_pss_image)


test_res_011_digest_passes if {
	inv := pskit.with_spec(_pss_pod)
	denies := data.residency.deny with input.stack as inv.stack
		with input.declared as inv.declared
		with input.evaluation as inv.evaluation
		with input.resources as inv.resources
		with input.by_type as inv.by_type
	hits := [x | some x in denies; x.rule_id == "RES-011"]
	count(hits) == 0
}

test_res_011_not_sovereign_passes if {
	inv := json.patch(
		pskit.with_spec(pskit.patched(_pss_image, {"image": "vllm/vllm-openai:v0.33.0"})),
		[{"op": "replace", "path": "/declared/residency/sovereign", "value": false}],
	)
	denies := data.residency.deny with input.stack as inv.stack
		with input.declared as inv.declared
		with input.evaluation as inv.evaluation
		with input.resources as inv.resources
		with input.by_type as inv.by_type
	hits := [x | some x in denies; x.rule_id == "RES-011"]
	count(hits) == 0
}

test_res_011_tag_only_image_denied if {
	inv := pskit.with_spec(pskit.patched(_pss_image, {"image": "registry.example/vllm/vllm-openai:v0.33.0"}))
	denies := data.residency.deny with input.stack as inv.stack
		with input.declared as inv.declared
		with input.evaluation as inv.evaluation
		with input.resources as inv.resources
		with input.by_type as inv.by_type
	hits := [x | some x in denies; x.rule_id == "RES-011"]
	[v] := hits
	v.path == "spec.template.spec.containers.0.image"
}

test_res_011_init_container_judged if {
	spec := object.union(_pss_pod, {"initContainers": [{"name": "fetch", "image": "amazon/aws-cli:2.36.7"}]})
	inv := pskit.with_spec(spec)
	denies := data.residency.deny with input.stack as inv.stack
		with input.declared as inv.declared
		with input.evaluation as inv.evaluation
		with input.resources as inv.resources
		with input.by_type as inv.by_type
	hits := [x | some x in denies; x.rule_id == "RES-011"]
	[v] := hits
	v.path == "spec.template.spec.initContainers.0.image"
}

test_res_011_malformed_digest_denied if {
	inv := pskit.with_spec(pskit.patched(_pss_image, {"image": "vllm/vllm-openai@sha256:abc"}))
	denies := data.residency.deny with input.stack as inv.stack
		with input.declared as inv.declared
		with input.evaluation as inv.evaluation
		with input.resources as inv.resources
		with input.by_type as inv.by_type
	hits := [x | some x in denies; x.rule_id == "RES-011"]
	count(hits) == 1
}
