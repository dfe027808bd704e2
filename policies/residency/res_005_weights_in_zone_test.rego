# RES-005: the rule's cases, on the builders of residency_test.rego.
package residency_test

import data.lib.test_kit as kit
import rego.v1

test_res_005_stack_bucket_and_pvc_allowed if {
	pvc := kit.with_patches(_model_server, [
		{"op": "replace", "path": "/props/metadata/annotations/servegate.io~1model-source", "value": "pvc://weights/llama"},
		{"op": "remove", "path": "/props/spec/template/spec/initContainers"},
	])
	count(kit.findings(_denials(array.concat(_swap(pvc), [pvc]), _declared), "RES-005")) == 0
	count(kit.findings(_denials(_compliant, _declared), "RES-005")) == 0
}

test_res_005_hugging_face_source_denied if {
	hf := kit.with_patches(_model_server, [
		{
			"op": "replace",
			"path": "/props/metadata/annotations/servegate.io~1model-source",
			"value": "hf://meta-llama/Llama-3.1-8B-Instruct",
		},
	])
	kit.only(_denials(array.concat(_swap(hf), [hf]), _declared), "RES-005", hf.urn)
}

test_res_005_https_in_init_container_args_denied if {
	web := kit.with_patches(_model_server, [
		{
			"op": "replace",
			"path": "/props/spec/template/spec/initContainers/0/args/0",
			"value": "https://example.com/llama.tar",
		},
	])
	kit.only(_denials(array.concat(_swap(web), [web]), _declared), "RES-005", web.urn)
}

test_res_005_bucket_in_foreign_region_denied if {
	foreign := kit.with_patches(_model_server, [
		{
			"op": "replace",
			"path": "/props/spec/template/spec/initContainers/0/args/0",
			"value": "s3://weights-mirror-us-east-1/llama",
		},
	])
	kit.only(_denials(array.concat(_swap(foreign), [foreign]), _declared), "RES-005", foreign.urn)
}

test_res_005_sync_from_foreign_region_denied if {
	foreign := kit.with_patches(_model_server, [
		{"op": "replace", "path": "/props/spec/template/spec/initContainers/0/args/3", "value": "us-east-1"},
	])
	kit.only(_denials(array.concat(_swap(foreign), [foreign]), _declared), "RES-005", foreign.urn)
}

test_res_005_not_judged_when_not_air_gapped if {
	hf := kit.with_patches(_model_server, [
		{
			"op": "replace",
			"path": "/props/metadata/annotations/servegate.io~1model-source",
			"value": "hf://meta-llama/Llama-3.1-8B-Instruct",
		},
	])
	count(kit.findings(_denials(array.concat(_swap(hf), [hf]), _open_declared), "RES-005")) == 0
}

test_res_005_http_source_needs_the_internet if {
	web := kit.with_patches(_model_server, [{
		"op": "replace",
		"path": "/props/spec/template/spec/initContainers/0/args/0",
		"value": "http://weights.example.com/llama.tar",
	}])
	some d in _denials(array.concat(_swap(web), [web]), _declared)
	d.rule_id == "RES-005"
	contains(d.message, "needs the internet")
}

test_res_005_unlabelled_job_loading_from_the_hub_denied if {
	job := kit.resource("kubernetes:batch/v1:Job", "warmup", {
		"metadata": {"name": "warmup", "namespace": "serving"},
		"spec": {"template": {"spec": {"containers": [{
			"name": "server", "image": "111122223333.dkr.ecr.ca-central-1.amazonaws.com/mirror/vllm/vllm-openai:v0.33.0",
			"args": ["--model=hf://meta-llama/Llama-3.1-8B-Instruct"], "env": [{"name": "HF_HUB_OFFLINE", "value": "1"}],
		}]}}},
	})
	denials := _denials(array.concat(_compliant, [job]), _declared)
	kit.only(denials, "RES-005", job.urn)
	some d in denials
	d.path == kit.evidence_path(["spec", "template", "spec", "containers", 0, "args", 0])
}
