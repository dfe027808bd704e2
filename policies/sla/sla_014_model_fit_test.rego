package sla_test

import data.lib.test_kit as kit
import rego.v1

# SLA-014 on the builders of sla_test.rego: the l4 pool is one g6.xlarge (one 24 GiB L4).

_unknown := "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

_with_args(server, args) := kit.with_patches(server, [{
	"op": "replace",
	"path": "/props/spec/template/spec/containers/0/args",
	"value": args,
}])

_llama_8b(length) := [
	"--served-model-name=meta-llama/Llama-3.1-8B-Instruct",
	concat("", ["--max-model-len=", format_int(length, 10)]),
]

# A big pool: 8 GPUs per node of the given instance type, labelled with its GPU.
_big_group(instance_type, gpu) := kit.with_patches(_node_group, [
	{"op": "replace", "path": "/urn", "value": kit.urn("aws:eks/nodeGroup:NodeGroup", "big")},
	{"op": "replace", "path": "/name", "value": "big"},
	{"op": "replace", "path": "/props/instanceTypes", "value": [instance_type]},
	{
		"op": "replace",
		"path": "/props/labels",
		"value": {
			"servegate.io/pool": "big",
			"servegate.io/gpu": gpu,
			"servegate.io/gpus-per-node": "8",
			"servegate.io/role": "gpu",
		},
	},
])

_big_server(gpu, args) := kit.with_patches(_stable_server, [
	{
		"op": "replace",
		"path": "/props/spec/template/spec/nodeSelector",
		"value": {"servegate.io/pool": "big", "servegate.io/gpu": gpu},
	},
	{"op": "replace", "path": "/props/spec/template/spec/containers/0/resources/limits/nvidia.com~1gpu", "value": "8"},
	{"op": "replace", "path": "/props/spec/template/spec/containers/0/args", "value": args},
])

_fit_denials(resources) := [d | some d in _denials(resources, _declared); d.rule_id == "SLA-014"]

_fit_messages(resources) := {d.message | some d in _fit_denials(resources)}

_fits_all(resources) if count(_fit_denials(resources)) == 0

_fails_with(resources, urn, text) if {
	some d in _fit_denials(resources)
	d.urn == urn
	not d.undecided
	contains(d.message, text)
}

test_sla_014_llama_8b_at_8192_on_one_l4_fits if {
	_fits_all(_changed(_with_args(_stable_server, _llama_8b(8192))))
}

test_sla_014_llama_70b_bf16_on_one_l4_denied_with_the_numbers if {
	server := _with_args(_stable_server, ["--served-model-name=meta-llama/Llama-3.1-70B-Instruct", "--max-model-len=8192"])
	_fails_with(
		_changed(server),
		server.urn,
		concat("", [
			"meta-llama/Llama-3.1-70B-Instruct needs 149.1 GiB per replica ",
			"(weights 144.6 GiB + KV cache 2.5 GiB for one 8192-token sequence + ",
			"runtime 2.0 GiB) but 1 x 24.0 GiB L4 at 90 % gives 21.6 GiB (node ",
			"group l4, g6.xlarge)",
		]),
	)
}

test_sla_014_max_model_len_past_the_context_denied if {
	server := _with_args(_stable_server, _llama_8b(1000000))
	_fails_with(
		_changed(server),
		server.urn,
		"maxModelLen 1000000 exceeds the 131072 tokens meta-llama/Llama-3.1-8B-Instruct supports",
	)
}

# Without --max-model-len vLLM takes the model's context: 131072 tokens of KV cache do not fit.
test_sla_014_default_max_model_len_is_the_models_context if {
	server := _with_args(_stable_server, ["--served-model-name=meta-llama/Llama-3.1-8B-Instruct"])
	_fails_with(_changed(server), server.urn, "KV cache 16.0 GiB for one 131072-token sequence")
}

test_sla_014_llama_405b_bf16_on_p4d_denied if {
	server := _big_server("A100-40GB", [
		"--served-model-name=meta-llama/Llama-3.1-405B-Instruct",
		"--tensor-parallel-size=8",
		"--max-model-len=8192",
	])
	resources := array.concat(_changed(server), [_big_group("p4d.24xlarge", "A100-40GB")])
	_fails_with(resources, server.urn, "but 8 x 40.0 GiB A100-40GB at 90 % gives 288.0 GiB (node group big, p4d.24xlarge)")
}

test_sla_014_llama_405b_fp8_on_p5_fits if {
	server := _big_server("H100-80GB", [
		"--served-model-name=meta-llama/Llama-3.1-405B-Instruct",
		"--tensor-parallel-size=8",
		"--max-model-len=8192",
		"--quantization=fp8",
	])
	_fits_all(array.concat(_changed(server), [_big_group("p5.48xlarge", "H100-80GB")]))
}

# The GPU comes from the instance type, whatever the labels say.
test_sla_014_gpu_from_the_instance_type_not_the_label if {
	server := _big_server("H100-80GB", [
		"--served-model-name=meta-llama/Llama-3.1-405B-Instruct",
		"--tensor-parallel-size=8",
		"--quantization=fp8",
	])
	_fails_with(array.concat(_changed(server), [_big_group("g6.48xlarge", "H100-80GB")]), server.urn, "8 x 24.0 GiB L4")
}

# An instance type the table does not list is judged by its nodes' GPU label.
test_sla_014_unlisted_instance_type_judged_by_the_gpu_label if {
	group := kit.with_patches(_node_group, [{"op": "replace", "path": "/props/instanceTypes", "value": ["g6.16xlarge"]}])
	_fits_all(_changed(group))
	server := _with_args(_stable_server, ["--served-model-name=meta-llama/Llama-3.1-70B-Instruct"])
	_fails_with(array.concat(_changed(server), [group]), server.urn, "1 x 24.0 GiB L4")
}

test_sla_014_unknown_gpu_denied if {
	group := kit.with_patches(_node_group, [
		{"op": "replace", "path": "/props/instanceTypes", "value": ["x9.large"]},
		{"op": "replace", "path": "/props/labels/servegate.io~1gpu", "value": "Z1"},
	])
	server := kit.with_patches(
		_stable_server,
		[{"op": "replace", "path": "/props/spec/template/spec/nodeSelector/servegate.io~1gpu", "value": "Z1"}],
	)
	_fails_with(
		array.concat([r | some r in _changed(server); r.urn != group.urn], [group]),
		server.urn,
		"x9.large is not in policies/data/gpu_instances.yaml",
	)
}

test_sla_014_tensor_parallel_must_divide_the_heads if {
	server := _big_server("H100-80GB", ["--served-model-name=Qwen/Qwen2.5-7B-Instruct", "--tensor-parallel-size=8"])
	_fails_with(
		array.concat(_changed(server), [_big_group("p5.48xlarge", "H100-80GB")]),
		server.urn,
		"tensor parallel size 8 does not divide the 28 attention heads of Qwen/Qwen2.5-7B-Instruct",
	)
}

test_sla_014_gpu_limit_below_tensor_parallel_denied if {
	server := _with_args(
		_stable_server,
		["--served-model-name=meta-llama/Llama-3.1-8B-Instruct", "--max-model-len=8192", "--tensor-parallel-size", "2"],
	)
	_fails_with(_changed(server), server.urn, "needs 2 GPUs (tensor x pipeline parallel size) but its container gets 1")
}

# Not our labels: a workload that runs `vllm serve` is a model server too.
test_sla_014_any_workload_running_vllm_is_judged if {
	server := kit.with_patches(_stable_server, [
		{"op": "replace", "path": "/props/metadata/labels", "value": {}},
		{"op": "replace", "path": "/props/spec/template/spec/containers/0/image", "value": "registry.example/inference:1.0"},
		{
			"op": "add",
			"path": "/props/spec/template/spec/containers/0/command",
			"value": ["vllm", "serve", "meta-llama/Llama-3.1-70B-Instruct"],
		},
		{"op": "replace", "path": "/props/spec/template/spec/containers/0/args", "value": ["--max-model-len", "8192"]},
	])
	_fails_with(_changed(server), server.urn, "meta-llama/Llama-3.1-70B-Instruct needs 149.1 GiB")
}

test_sla_014_unknown_model_denied if {
	server := _with_args(_stable_server, ["--served-model-name=acme/private-13b", "--max-model-len=8192"])
	_fails_with(
		_changed(server),
		server.urn,
		"serves [\"acme/private-13b\"], a model neither policies/data/models.yaml nor the stack's models[] describe",
	)
}

test_sla_014_model_without_a_name_denied if {
	_fails_with(
		_changed(_with_args(_stable_server, [])),
		_stable_server.urn,
		"runs vLLM without --model or --served-model-name",
	)
}

test_sla_014_declared_model_facts_are_judged if {
	server := _with_args(_stable_server, ["--served-model-name=acme/private-13b", "--max-model-len=8192"])
	facts := {"parameters": 13000000000, "layers": 40, "kvHeads": 40, "headDim": 128, "maxContext": 8192}
	declared := json.patch(_declared, [{"op": "add", "path": "/models", "value": {"acme/private-13b": facts}}])
	denials := [d | some d in _denials(_changed(server), declared); d.rule_id == "SLA-014"]
	some d in denials
	contains(d.message, "acme/private-13b needs 34.9 GiB per replica (weights 26.6 GiB + KV cache 6.3 GiB")
}

test_sla_014_unknown_flags_undecided if {
	server := _with_args(_stable_server, ["--served-model-name=meta-llama/Llama-3.1-8B-Instruct", _unknown])
	kit.undecided_on(_denials(_changed(server), _declared), "SLA-014", server.urn)
}

test_sla_014_unknown_instance_type_undecided if {
	group := kit.with_patches(_node_group, [{"op": "replace", "path": "/props/instanceTypes", "value": _unknown}])
	kit.undecided_on(_denials(_changed(group), _declared), "SLA-014", _stable_server.urn)
}

# instanceTypes that is not a list (another tool's plan) names no instance type: reported on
# every engine (regorus stopped with an error on it, the official OPA engine skipped the group).
test_sla_014_instance_types_not_a_list_denied if {
	group := kit.with_patches(_node_group, [{"op": "replace", "path": "/props/instanceTypes", "value": " "}])
	some message in _fit_messages(_changed(group))
	contains(message, "which names no instance type: its GPU memory is unknown")
}

test_sla_014_unreadable_flag_denied_without_flag_values if {
	server := _with_args(
		_stable_server,
		["--served-model-name=meta-llama/Llama-3.1-8B-Instruct", "--quantization=marlin-9bit", "--api-key=s3cr3t"],
	)
	messages := _fit_messages(_changed(server))
	some message in messages
	startswith(message, "model server llama-8b has vLLM flags the estimate cannot read")
	contains(message, "(given: --served-model-name --quantization --api-key)")
	count([m | some m in messages; contains(m, "s3cr3t")]) == 0
}

# A server whose pods fit no GPU node group is SLA-013's finding alone.
test_sla_014_leaves_an_unplaceable_server_to_sla_013 if {
	server := kit.with_patches(
		_stable_server,
		[{"op": "replace", "path": "/props/spec/template/spec/tolerations", "value": []}],
	)
	denials := _denials(_changed(server), _declared)
	count(kit.findings(denials, "SLA-014")) == 0
	server.urn in kit.findings(denials, "SLA-013")
}



test_sla_014_sidecars_that_do_not_run_vllm_are_not_judged if {
	server := kit.with_patches(_with_args(_stable_server, _llama_8b(8192)), [{
		"op": "add",
		"path": "/props/spec/template/spec/containers/-",
		"value": {"name": "metrics", "image": "prom/statsd-exporter:v0.28.0", "args": ["--statsd.listen-udp=:9125"]},
	}])
	_fits_all(_changed(server))
}


test_sla_014_a_server_is_judged_on_its_own_pool_only if {
	# The big H100 pool would hold the 70B model, but the server is pinned to the l4 pool.
	server := _with_args(_stable_server, ["--served-model-name=meta-llama/Llama-3.1-70B-Instruct", "--max-model-len=8192"])
	resources := array.concat(_changed(server), [_big_group("p5.48xlarge", "H100-80GB")])
	_fails_with(resources, server.urn, "meta-llama/Llama-3.1-70B-Instruct needs")
}


test_sla_014_a_pre_quantized_model_is_sized_by_its_own_quantization if {
	# Qwen2.5-72B-AWQ's config.json says awq (0.5 bytes per weight) without a --quantization flag.
	server := _with_args(_stable_server, ["--served-model-name=Qwen/Qwen2.5-72B-Instruct-AWQ", "--max-model-len=8192"])
	_fails_with(_changed(server), server.urn, "needs 41.9 GiB per replica (weights 37.4 GiB + KV cache 2.5 GiB")
}


test_sla_014_fp8_kv_cache_is_read if {
	# --kv-cache-dtype=fp8 is one byte per value, as policies/data/models.yaml lists it.
	server := _with_args(_stable_server, array.concat(_llama_8b(8192), ["--kv-cache-dtype=fp8"]))
	_fits_all(_changed(server))
}
