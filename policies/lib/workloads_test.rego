package lib.workloads_test

import data.lib.workloads
import rego.v1

_deployment(name, container) := {
	"urn": concat("", ["urn:pulumi:dev::servegate::kubernetes:apps/v1:Deployment::", name]),
	"type": "kubernetes:apps/v1:Deployment",
	"name": name,
	"op": "create",
	"props": {"metadata": {"name": name}, "spec": {"template": {"spec": {"containers": [container]}}}},
}

_inventory(resources) := {
	"resources": resources,
	"by_type": {t: [i | some i; resources[i].type == t] | some r in resources; t := r.type},
}

# Input is replaced key by key, as in the area tests: regopy crashes on `with input as <object>`
# once a rule hands input to a function.
_server_urns(resources) := urns if {
	inventory := _inventory(resources)
	urns := workloads.model_server_urns with input.resources as inventory.resources
		with input.by_type as inventory.by_type
}

_found(container) if {
	res := _deployment("hand-written", container)
	res.urn in _server_urns([res])
}

test_vllm_image_without_labels_is_a_model_server if {
	_found({"name": "server", "image": "123456789012.dkr.ecr.ca-central-1.amazonaws.com/mirror/vllm/vllm-openai:v0.33.0"})
}

test_image_by_digest_is_recognised if {
	_found({
		"name": "server",
		"image": "lmsysorg/sglang@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	})
}

test_each_known_server_image if {
	every image in [
		"ghcr.io/huggingface/text-generation-inference:3.3.6",
		"nvcr.io/nvidia/tritonserver:25.10-py3",
		"ollama/ollama:0.12.0",
		"ghcr.io/ggml-org/llama.cpp:server-cuda",
	] {
		_found({"name": "server", "image": image})
	}
}

test_command_in_a_generic_image if {
	_found({"name": "server", "image": "python:3.12", "command": ["python", "-m", "vllm.entrypoints.openai.api_server"]})
}

test_command_inside_a_shell_script if {
	_found({
		"name": "server",
		"image": "busybox",
		"command": ["sh", "-c", "exec /usr/local/bin/llama-server -m /models/m.gguf"],
	})
}

test_serving_flag_alone if {
	_found({
		"name": "server",
		"image": "registry.example/custom:1",
		"args": ["--model-id=meta-llama/Llama-3.1-8B-Instruct"],
	})
}

test_serving_flag_as_the_whole_word if {
	_found({"name": "server", "image": "registry.example/custom:1", "args": ["--max-model-len", "8192"]})
}

test_words_that_only_resemble_a_server_are_not_one if {
	res := _deployment("tool", {
		"name": "tool",
		"image": "registry.example/custom:1",
		"command": ["/opt/myvllm", "vllm-tools", "llama-server.sh"],
		"args": ["--model-idx=1", "--model-id-file", "x=--model-id", "dir/--tp-size"],
	})
	count(_server_urns([res])) == 0
}

test_command_names_are_the_word_and_its_tails if {
	workloads._command_names("/usr/local/bin/llama-server") == {
		"/usr/local/bin/llama-server", "usr/local/bin/llama-server", "local/bin/llama-server",
		"bin/llama-server", "llama-server",
	}
	workloads._command_names("vllm") == {"vllm"}
}

test_flag_names_are_the_word_and_its_heads if {
	workloads._flag_names("--model-id=a=b") == {"--model-id", "--model-id=a", "--model-id=a=b"}
	workloads._flag_names("--tp-size") == {"--tp-size"}
}

test_gpu_request_alone if {
	_found({"name": "server", "image": "registry.example/custom:1", "resources": {"limits": {"nvidia.com/gpu": "1"}}})
}

test_gpu_request_as_a_number if {
	_found({"name": "server", "image": "registry.example/custom:1", "resources": {"requests": {"nvidia.com/gpu": 2}}})
}

test_gpu_count_unknown_until_apply_counts if {
	_found({
		"name": "server",
		"image": "registry.example/custom:1",
		"resources": {"limits": {"nvidia.com/gpu": "04da6b54-80e4-46f7-96ec-b56ff0331ba9"}},
	})
}

test_zero_gpus_and_plain_image_is_not_a_model_server if {
	res := _deployment("web", {"name": "web", "image": "nginx:1.29", "resources": {"limits": {"nvidia.com/gpu": 0}}})
	count(_server_urns([res])) == 0
}

test_image_tag_naming_a_server_is_not_enough if {
	res := _deployment("proxy", {"name": "proxy", "image": "envoyproxy/envoy:vllm-compatible"})
	count(_server_urns([res])) == 0
}

test_label_adds_a_workload if {
	res := json.patch(
		_deployment("labelled", {"name": "app", "image": "registry.example/custom:1"}),
		[{"op": "add", "path": "/props/metadata/labels", "value": {"servegate.io/role": "model-server"}}],
	)
	res.urn in _server_urns([res])
}

test_every_workload_kind_and_bare_pods if {
	container := {"name": "server", "image": "vllm/vllm-openai:v0.33.0"}
	job := {
		"urn": "urn:j",
		"type": "kubernetes:batch/v1:Job",
		"name": "j",
		"op": "create",
		"props": {"spec": {"template": {"spec": {"containers": [container]}}}},
	}
	cron := {
		"urn": "urn:c",
		"type": "kubernetes:batch/v1:CronJob",
		"name": "c",
		"op": "create",
		"props": {"spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [container]}}}}}},
	}
	pod := {
		"urn": "urn:p",
		"type": "kubernetes:core/v1:Pod",
		"name": "p",
		"op": "create",
		"props": {"spec": {"containers": [container]}},
	}
	sts := {
		"urn": "urn:s",
		"type": "kubernetes:apps/v1:StatefulSet",
		"name": "s",
		"op": "create",
		"props": {"spec": {"template": {"spec": {"containers": [container]}}}},
	}
	ds := {
		"urn": "urn:d",
		"type": "kubernetes:apps/v1:DaemonSet",
		"name": "d",
		"op": "create",
		"props": {"spec": {"template": {"spec": {"initContainers": [container]}}}},
	}
	_server_urns([job, cron, pod, sts, ds]) == {"urn:j", "urn:c", "urn:p", "urn:s", "urn:d"}
}

test_deleted_workloads_are_not_judged if {
	res := json.patch(
		_deployment("gone", {"name": "server", "image": "vllm/vllm-openai:v0.33.0"}),
		[{"op": "replace", "path": "/op", "value": "delete"}],
	)
	count(_server_urns([res])) == 0
}

test_containers_cover_init_regular_and_ephemeral if {
	spec := {
		"initContainers": [{"name": "a"}],
		"containers": [{"name": "b"}, {"name": "c"}],
		"ephemeralContainers": [{"name": "d"}],
	}
	[[list, i, c.name] |
		some [list, i, c] in workloads.containers(spec)
	] == [["initContainers", 0, "a"], ["containers", 0, "b"], ["containers", 1, "c"], ["ephemeralContainers", 0, "d"]]
}

test_containers_ignore_malformed_lists if {
	workloads.containers({"containers": null, "initContainers": {"name": "x"}, "ephemeralContainers": ["x"]}) == []
}

test_serving_containers_pick_the_server if {
	spec := {
		"initContainers": [{"name": "fetch", "image": "amazon/aws-cli:2"}],
		"containers": [{"name": "server", "image": "vllm/vllm-openai:v0.33.0"}, {"name": "sidecar", "image": "busybox"}],
	}
	[entry[2].name | some entry in workloads.serving_containers(spec)] == ["server"]
}

test_serving_containers_of_a_labelled_spec_are_its_regular_containers if {
	spec := {
		"initContainers": [{"name": "init", "image": "busybox"}],
		"containers": [{"name": "app", "image": "registry.example/custom:1"}],
	}
	[entry[2].name | some entry in workloads.serving_containers(spec)] == ["app"]
}
