package residency_test

import data.lib.pod_security_testkit as pskit
import data.residency
import rego.v1

# RES-011's violating cases are end to end only (tests/policy_cases_pod_security.py: a tag-only
# image in sovereign prod-ca): under this package's whole-package evaluation regorus 0.13 answers
# them from a cached RES-011 result of the first test, though each passes queried on its own.

_pss_image := "registry.example/vllm/vllm-openai:v0.33.0@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

_pss_pod := pskit.model_pod(_pss_image)


test_res_011_digest_passes if {
	inv := pskit.with_spec(_pss_pod)
	denies := residency.deny with input.stack as inv.stack
		with input.declared as inv.declared
		with input.evaluation as inv.evaluation
		with input.resources as inv.resources
		with input.by_type as inv.by_type
	hits := [x | some x in denies; x.rule_id == "RES-011"]
	count(hits) == 0
}

test_res_011_not_sovereign_passes if {
	inv := json.patch(pskit.with_spec(pskit.patched(_pss_image, {"image": "vllm/vllm-openai:v0.33.0"})), [{"op": "replace", "path": "/declared/residency/sovereign", "value": false}])
	denies := residency.deny with input.stack as inv.stack
		with input.declared as inv.declared
		with input.evaluation as inv.evaluation
		with input.resources as inv.resources
		with input.by_type as inv.by_type
	hits := [x | some x in denies; x.rule_id == "RES-011"]
	count(hits) == 0
}
