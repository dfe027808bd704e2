# SLA-014, model-to-GPU fit: the estimate of components/model_fit.py over any plan's vLLM servers.
package sla

import data.lib.inventory as inv
import data.lib.sla as sla_lib
import rego.v1

# Lib collections are referenced by their full path, not imported: under the policy tests'
# `with input.* as`, regorus left imported lib rules empty inside this package.
#
# What a model server is: a container that runs vLLM (its image or its command says so), judged
# by its own flags, whatever the labels. Its model is the first of --served-model-name, --model
# and the `vllm serve MODEL` argument that the catalog (policies/data/models.yaml) or the stack's
# declared models know. Its GPUs are those of every GPU node group its pods fit (nodeSelector and
# tolerations, as SLA-013 matches them): the instance type's memory from
# policies/data/gpu_instances.yaml, else the GPU its nodes are labelled with.
#
# When something cannot be identified the rule fails closed: a model no table knows, a flag
# whose value is not a number, a quantization or dtype without bytes per weight, or a node group
# whose GPU is unknown is a violation; a flag, GPU limit or instance type unknown until apply
# is undecided. A server whose pods fit no GPU node group is left to SLA-013.

_fit_gib := 1073741824

_fit_estimate := data.params.models.estimate

_fit_required := ["parameters", "layers", "kvHeads", "headDim", "maxContext"]

# -- what the container runs -----------------------------------------------------------------

_fit_tokens(container) := array.concat(object.get(container, "command", []), object.get(container, "args", []))

_fit_runs_vllm(container) if contains(lower(object.get(container, "image", "")), "vllm")

_fit_runs_vllm(container) if {
	some token in _fit_tokens(container)
	is_string(token)
	contains(lower(token), "vllm")
}

# Values of --name, written --name=value or --name value; the last one wins, as in argparse.
_fit_flag_values(tokens, name) := array.concat(_fit_joined_values(tokens, name), _fit_split_values(tokens, name))

_fit_joined_values(tokens, name) := [substring(t, count(name) + 1, -1) |
	some t in tokens
	is_string(t)
	startswith(t, concat("", [name, "="]))
]

# rego-cpp reads `some i, t in` inside a comprehension as two terms: index the array instead.
_fit_split_values(tokens, name) := [tokens[i + 1] |
	some i
	tokens[i] == name
	i + 1 < count(tokens)
]

_fit_flag(tokens, name, fallback) := values[count(values) - 1] if {
	values := _fit_flag_values(tokens, name)
	count(values) > 0
} else := fallback

# The model argument of `vllm serve MODEL`.
_fit_serve_arg(tokens) := [value |
	some value in _fit_split_values(tokens, "serve")
	is_string(value)
	not startswith(value, "-")
]

_fit_model_names(tokens) := array.concat(
	array.concat(_fit_flag_values(tokens, "--served-model-name"), _fit_flag_values(tokens, "--model")),
	_fit_serve_arg(tokens),
)

_fit_declared_models := models if {
	models := input.declared.models
	is_object(models)
} else := {}

# The facts of a model id: the catalog's, with what the stack declares over them.
_fit_facts(model_id) := object.union(
	object.get(data.params.models.models, model_id, {}),
	object.get(_fit_declared_models, model_id, {}),
)

_fit_known(model_id) if {
	facts := _fit_facts(model_id)
	every key in _fit_required {
		is_number(object.get(facts, key, null))
	}
}

_fit_model(tokens) := ids[0] if {
	ids := [model_id | some model_id in _fit_model_names(tokens); is_string(model_id); _fit_known(model_id)]
	count(ids) > 0
}

_fit_has_unknown(tokens) if {
	some token in tokens
	token == data.lib.inventory.unknown_value
}

_fit_number(value) := to_number(value) if {
	is_string(value)
	regex.match(`^[0-9]+(\.[0-9]+)?$`, value)
} else := value if is_number(value)

_fit_gpu_limit(container) := object.get(
	container,
	["resources", "limits", "nvidia.com/gpu"],
	object.get(container, ["resources", "requests", "nvidia.com/gpu"], 0),
)

# -- the GPU of a node group -----------------------------------------------------------------

_fit_group_candidates(spec) := object.get(_fit_groups_by_pool, spec.nodeSelector["servegate.io/pool"], []) if {
	# mutation-equivalent: an index only; _fits re-checks the nodeSelector on every group.
	spec.nodeSelector["servegate.io/pool"]
} else := data.lib.inventory.gpu_node_groups

_fit_groups_by_pool := {pool: groups |
	some pool in {inv.node_group_label(ng, "servegate.io/pool") | some ng in data.lib.inventory.gpu_node_groups}
	groups := [ng | some ng in data.lib.inventory.gpu_node_groups; inv.node_group_label(ng, "servegate.io/pool") == pool]
}

_fit_groups(spec) := [ng | some ng in _fit_group_candidates(spec); sla_lib.fits(spec, sla_lib.node_shape(ng))]

# The GPU row of an instance type, else of the GPU the group's nodes are labelled with.
_fit_gpu_row(_, instance_type) := data.params.gpu_instances[instance_type]

_fit_gpu_row(ng, instance_type) := row if {
	not data.params.gpu_instances[instance_type]
	rows := [r |
		some r in data.params.gpu_instances
		_fit_labelled(ng, r)
	]
	count(rows) > 0
	row := rows[0]
}

_fit_labelled(ng, row) if inv.node_group_label(ng, "servegate.io/gpu") == row.gpu

_fit_labelled(ng, row) if inv.node_group_label(ng, "nvidia.com/gpu.product") == row.gpuProduct

# The node group's instance types: a list, the unknown value, or none when instanceTypes holds
# anything else (a node group naming no instance type is reported, never skipped).
_fit_instance_types(ng) := types if {
	types := object.get(ng.props, "instanceTypes", [])
	is_array(types)
} else := data.lib.inventory.unknown_value if {
	object.get(ng.props, "instanceTypes", []) == data.lib.inventory.unknown_value
} else := []

# -- the estimate (components/model_fit.py) --------------------------------------------------

_fit_weight_bytes(_, quantization, _) := _fit_estimate.weightBytes[quantization] if quantization != ""

_fit_weight_bytes(facts, quantization, _) := _fit_estimate.weightBytes[facts.quantization] if {
	quantization == ""
	object.get(facts, "quantization", "") != ""
}

_fit_weight_bytes(facts, quantization, dtype) := _fit_estimate.dtypeBytes[dtype] if {
	quantization == ""
	object.get(facts, "quantization", "") == ""
}

# GiB with one decimal, rounded half up, as model_fit.gib_text.
_fit_gib_text(value) := concat("", [
	format_int(floor(tenths / 10), 10),
	".",
	format_int(tenths - 10 * floor(tenths / 10), 10),
]) if {
	tenths := floor((value * 10) + 0.5)
}

_fit_percent_text(fraction) := concat("", [format_int(floor((fraction * 100) + 0.5), 10), " %"])

# The problems of one server container on one GPU row, as model_fit.estimate words them. No
# comprehension refers to a function argument here: rego-cpp gave such a comprehension the
# argument of an earlier call.
_fit_problems(model_id, facts, flags, row) := array.concat(
	array.concat(_fit_context_problem(model_id, facts, flags), _fit_heads_problem(model_id, facts, flags)),
	_fit_memory_problem(model_id, facts, flags, row),
)

_fit_context_problem(model_id, facts, flags) := [concat("", [
	"maxModelLen ", format_int(flags.max_model_len, 10), " exceeds the ", format_int(facts.maxContext, 10),
	" tokens ", model_id, " supports (max_position_embeddings)",
])] if {
	flags.max_model_len > facts.maxContext
} else := []

_fit_heads_problem(model_id, facts, flags) := [concat("", [
	"tensor parallel size ", format_int(flags.tp, 10), " does not divide the ", format_int(facts.attentionHeads, 10),
	" attention heads of ", model_id,
])] if {
	is_number(object.get(facts, "attentionHeads", null))
	facts.attentionHeads % flags.tp != 0
} else := []

_fit_memory(facts, flags, row) := {
	"weights": weights,
	"kv": kv,
	"runtime": runtime,
	"budget": budget,
	"gpus": gpus,
} if {
	tp := flags.tp
	gpus := tp * flags.pp
	weights := ((facts.parameters * flags.weight_bytes) * (1 + _fit_estimate.weightOverhead)) / _fit_gib
	kv_heads := inv.largest([1, floor(facts.kvHeads / tp)]) * tp
	per_token := (((2 * facts.layers) * kv_heads) * facts.headDim) * flags.kv_bytes
	kv := (per_token * flags.max_model_len) / _fit_gib
	runtime := _fit_estimate.runtimeMarginGiB * gpus
	budget := (row.gpuMemoryGiB * gpus) * flags.util
}

# Judged only within the model's context: past it the estimate describes no real server.
_fit_memory_problem(model_id, facts, flags, row) := [concat("", [
	model_id, " needs ", _fit_gib_text(need), " GiB per replica (weights ", _fit_gib_text(m.weights),
	" GiB + KV cache ", _fit_gib_text(m.kv), " GiB for one ", format_int(flags.max_model_len, 10),
	"-token sequence + runtime ", _fit_gib_text(m.runtime), " GiB) but ", format_int(m.gpus, 10),
	" x ", _fit_gib_text(row.gpuMemoryGiB), " GiB ", row.gpu, " at ", _fit_percent_text(flags.util),
	" gives ", _fit_gib_text(m.budget), " GiB",
])] if {
	flags.max_model_len <= facts.maxContext
	m := _fit_memory(facts, flags, row)
	need := (m.weights + m.kv) + m.runtime
	need > m.budget
} else := []

# -- findings per distinct pod spec ----------------------------------------------------------

# [index, container] of the vLLM containers of a pod spec.
_fit_servers(spec) := [[i, container] |
	containers := object.get(spec, "containers", [])
	some i
	container := containers[i]
	_fit_runs_vllm(container)
]

_fit_integer(value) if {
	is_number(value)
	value == floor(value)
	value > 0
}

# The flags a container's estimate reads; undefined when one cannot be read.
_fit_flags(tokens, facts) := {
	"tp": tp, "pp": pp, "max_model_len": length, "util": util,
	"weight_bytes": _fit_weight_bytes(facts, quantization, dtype),
	"kv_bytes": _fit_estimate.dtypeBytes[_fit_kv_dtype(kv_flag, dtype)],
} if {
	tp := _fit_number(_fit_flag(tokens, "--tensor-parallel-size", 1))
	pp := _fit_number(_fit_flag(tokens, "--pipeline-parallel-size", 1))
	length := _fit_number(_fit_flag(tokens, "--max-model-len", facts.maxContext))
	util := _fit_number(_fit_flag(tokens, "--gpu-memory-utilization", 0.9))
	quantization := _fit_flag(tokens, "--quantization", "")
	dtype := _fit_flag(tokens, "--dtype", "auto")
	kv_flag := _fit_flag(tokens, "--kv-cache-dtype", "auto")
	_fit_integer(tp)
	_fit_integer(pp)
	_fit_integer(length)
}

_fit_kv_dtype(kv_flag, dtype) := dtype if kv_flag == "auto"

_fit_kv_dtype(kv_flag, _) := kv_flag if kv_flag != "auto"

_fit_finding(undecided, path, message) := {"undecided": undecided, "path": path, "message": message}

_fit_args_path(i) := concat(".", ["containers", format_int(i, 10), "args"])

_fit_gpu_path(i) := concat(".", ["containers", format_int(i, 10), "resources.limits.nvidia.com/gpu"])

# The workloads and their distinct pod specs, built here from the input: the policy tests replace
# the input with `with`, and regorus kept the lib package's collections of an earlier input.
_fit_workloads := [[res, spec, base] |
	some type_token in object.keys(data.lib.inventory.workload_pod_spec_paths)
	some i in object.get(input.by_type, type_token, [])
	res := input.resources[i]
	inv.judged(res)
	base := data.lib.inventory.workload_pod_spec_paths[type_token]
	spec := object.get(res.props, split(base, "."), {})
]

_fit_specs := {spec | some [_, spec, _] in _fit_workloads}

_fit_spec_findings := {spec: findings |
	some spec in _fit_specs
	findings := {f |
		some [i, container] in _fit_servers(spec)
		some f in _fit_container_findings(spec, i, _fit_tokens(container), container)
	}
	count(findings) > 0
}

_fit_container_findings(spec, i, tokens, container) := {_fit_finding(
	true,
	_fit_args_path(i),
	"cannot be judged: its vLLM flags are unknown until apply",
)} if {
	_fit_has_unknown(tokens)
} else := {_fit_finding(false, _fit_args_path(i), _fit_unknown_model(tokens))} if {
	not _fit_model(tokens)
} else := {_fit_finding(false, _fit_args_path(i), concat("", [
	concat("", [
		"has vLLM flags the estimate cannot read: --tensor-parallel-size, ",
		"--pipeline-parallel-size and --max-model-len must be whole numbers, ",
		"--gpu-memory-utilization a number, ",
	]),
	"and --quantization, --dtype and --kv-cache-dtype need bytes per weight in policies/data/models.yaml (given: ",
	concat(" ", _fit_flag_names(tokens)), ")",
]))} if {
	not _fit_flags(tokens, _fit_facts(_fit_model(tokens)))
} else := findings if {
	model_id := _fit_model(tokens)
	facts := _fit_facts(model_id)
	flags := _fit_flags(tokens, facts)
	gpu_findings := _fit_gpu_count_findings(i, _fit_gpu_limit(container), flags.tp * flags.pp)
	group_findings := {f |
		some ng in _fit_groups(spec)
		some f in _fit_group_findings(_fit_args_path(i), model_id, facts, flags, ng)
	}
	findings := gpu_findings | group_findings
}

# Flag names only: a value may be a secret (--api-key).
_fit_flag_names(tokens) := [split(t, "=")[0] | some t in tokens; is_string(t); startswith(t, "--")]

_fit_unknown_model(tokens) := concat("", [
	"runs vLLM without --model or --served-model-name (vLLM would serve ",
	"its default model): its fit on the GPUs cannot be judged",
]) if {
	count(_fit_model_names(tokens)) == 0
} else := concat("", [
	"serves ", inv.text(_fit_model_names(tokens)),
	concat("", [
		", a model neither policies/data/models.yaml nor the stack's models[] ",
		"describe (parameters, layers, kvHeads, headDim, maxContext): its fit ",
		"on the GPUs cannot be judged",
	]),
])

_fit_gpu_count_findings(i, limit, gpus) := {_fit_finding(
	true,
	_fit_gpu_path(i),
	"cannot be judged: its GPU limit is unknown until apply",
)} if {
	limit == data.lib.inventory.unknown_value
} else := {_fit_finding(
	false,
	_fit_gpu_path(i),
	concat("", ["has GPU limit ", inv.text(limit), ", which is not a number"]),
)} if {
	not _fit_number(limit)
} else := {_fit_finding(false, _fit_gpu_path(i), concat("", [
	"needs ", format_int(gpus, 10), " GPUs (tensor x pipeline parallel size) but its container gets ", inv.text(limit),
]))} if {
	_fit_number(limit) < gpus
} else := set()

_fit_group_findings(path, model_id, facts, flags, ng) := {_fit_finding(
	true,
	path,
	concat("", ["cannot be judged: the instance type of node group ", ng.name, " is unknown until apply"]),
)} if {
	_fit_instance_types(ng) == data.lib.inventory.unknown_value
} else := {_fit_finding(
	false,
	path,
	concat("", ["may run on node group ", ng.name, ", which names no instance type: its GPU memory is unknown"]),
)} if {
	count(_fit_instance_types(ng)) == 0
} else := {f |
	some instance_type in _fit_instance_types(ng)
	some f in _fit_instance_findings(path, model_id, facts, flags, ng, instance_type)
}

_fit_instance_findings(path, model_id, facts, flags, ng, instance_type) := {_fit_finding(
	true,
	path,
	concat("", ["cannot be judged: the instance type of node group ", ng.name, " is unknown until apply"]),
)} if {
	instance_type == data.lib.inventory.unknown_value
} else := {_fit_finding(false, path, concat("", [
	"may run on node group ", ng.name, ", whose GPU is unknown: ", inv.text(instance_type),
	" is not in policies/data/gpu_instances.yaml and its nodes carry no GPU label the table knows",
]))} if {
	not _fit_gpu_row(ng, instance_type)
} else := {_fit_finding(
	false,
	path,
	concat("", ["does not fit: ", problem, " (node group ", ng.name, ", ", instance_type, ")"]),
) |
	some problem in _fit_problems(model_id, facts, flags, _fit_gpu_row(ng, instance_type))
}

# METADATA
# title: Every model fits the GPUs it is scheduled on
# description: vLLM refuses to start when a model's weights plus the KV cache of one sequence
#   at --max-model-len exceed the GPU memory it may use, when --max-model-len exceeds the model's
#   context, or when the tensor parallel size does not divide its attention heads. The plan shows
#   the model, its flags, its GPU limit and the node group its pods land on, so the failure is
#   visible before any GPU node starts.
# custom:
#   id: SLA-014
#   area: sla
#   severity: high
#   enforcement: mandatory
#   scope: resource
#   resource_types: ["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet",
#     "kubernetes:apps/v1:DaemonSet", "kubernetes:batch/v1:Job", "kubernetes:batch/v1:CronJob"]
#   config_key: models
#   parameters: [models.models, models.estimate, gpu_instances]
#   remediation: Serve the model on more or larger GPUs (gpusPerReplica, the pool's instance
#     type), quantize it (fp8, awq), or lower maxModelLen; add a model the catalog does not know
#     to policies/data/models.yaml or declare its facts in the stack's models[].
deny contains v if {
	count(_fit_spec_findings) > 0
	some [res, spec, base] in _fit_workloads
	some f in object.get(_fit_spec_findings, [spec], set())
	v := _fit_violation(res, base, f)
}

_fit_violation(res, base, f) := object.union(
	inv.violation(
		"SLA-014",
		res,
		concat("", ["model server ", res.name, " ", f.message]),
		concat(".", [base, f.path]),
		null,
	),
	{"undecided": f.undecided},
)

