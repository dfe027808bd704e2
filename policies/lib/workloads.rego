# METADATA
# title: Workload helpers
# description: Every pod a plan runs, whatever kind declares it, and which of them are model
#   servers, judged by what they run (policies/data/model_servers.yaml), never only by labels.
package lib.workloads

import rego.v1

# Container lists of a pod spec, in the order Kubernetes starts them.
container_lists := ["initContainers", "containers", "ephemeralContainers"]

# [resource, pod spec, pod spec path] for every Deployment, StatefulSet, DaemonSet, Job, CronJob
# and bare Pod of the input. A rule, not a function: it is built once per query.
pods := array.concat(data.lib.inventory.workload_pod_specs, [[pod, object.get(pod.props, "spec", {}), "spec"] |
	some pod in data.lib.inventory.resources(input, "kubernetes:core/v1:Pod")
])

# [list name, index, container] of every container of a pod spec: init, regular and ephemeral.
containers(spec) := [[list, i, container] |
	some list in container_lists
	entries := object.get(spec, list, [])
	is_array(entries)
	some i
	container := entries[i]
	is_object(container)
]

# The model servers: the entries of `pods` that run one (see serves), or that our components
# label as one. A label adds a workload; its absence never removes one.
# The serving specs are bound once, before the loop: under the tests' `with`, rego-cpp
# re-evaluates a rule at every reference, so a lookup per workload re-ran the detection of
# every pod spec for each workload.
model_servers := [entry |
	serving := _serving_specs
	some entry in pods
	_model_server_entry(entry, serving)
]

# URNs of the model servers, for rules that start from another resource (a Service, a PDB).
model_server_urns := {entry[0].urn | some entry in model_servers}

_model_server_entry(entry, serving) if entry[1] in serving

_model_server_entry(entry, _) if _labelled(entry[0], entry[1])

# Workloads share pod specs (replicas, tracks, copies): each distinct spec is judged once. (A
# lookup one level deep only: rego-cpp re-evaluates a referenced rule at every reference while a
# `with` is in effect, so deeper chains of them multiply a test's cost.)
_serving_specs := {spec |
	some spec in {entry[1] | some entry in pods}
	some [_, _, container] in containers(spec)
	serves(container)
}

_labelled(res, _) if object.get(res.props, ["metadata", "labels", "servegate.io/role"], "") == "model-server"

_labelled(_, spec) if object.get(spec, ["metadata", "labels", "servegate.io/role"], "") == "model-server"

_labelled(res, _) if {
	object.get(res.props, ["spec", "template", "metadata", "labels", "servegate.io/role"], "") == "model-server"
}

# A container serves a model when its image or command is a known model server, its arguments
# carry a model-serving flag, or it requests a GPU.
serves(container) if _known_image(container)

serves(container) if _known_command(container)

serves(container) if _serving_flag(container)

serves(container) if requests_gpu(container)

# The containers of a spec that serve a model; all regular containers of a spec our components
# label as a model server when none of them is recognised.
serving_containers(spec) := found if {
	found := [entry | some entry in containers(spec); serves(entry[2])]
	count(found) > 0
} else := [entry | some entry in containers(spec); entry[0] == "containers"]

requests_gpu(container) if {
	some section in ["limits", "requests"]
	some name in data.params.model_servers.gpuResources
	_positive(object.get(container, ["resources", section, name], 0))
}

_positive(value) if {
	is_number(value)
	value > 0
}

_positive(value) if {
	is_string(value)
	regex.match(`^[0-9]+$`, value)
	to_number(value) > 0
}

# The same sentinel counts: a GPU count known only at apply is still a GPU.
_positive(value) if value == data.lib.inventory.unknown_value

# The repository is computed once, before the loops: a function's result is not cached, so a
# call inside them ran once per server and pattern (most of the cost of finding model servers).
_known_image(container) if {
	repository := _repository(lower(_string(object.get(container, "image", ""))))
	some server in data.params.model_servers.servers
	some pattern in server.images
	contains(repository, pattern)
}

# The repository part of an image reference: without its digest and tag.
_repository(image) := without_tag if {
	without_digest := split(image, "@")[0]
	parts := split(without_digest, "/")
	last := parts[count(parts) - 1]
	without_tag := concat("/", array.concat(array.slice(parts, 0, count(parts) - 1), [split(last, ":")[0]]))
}

# The names a command is matched by are collected once per container, and each word's names
# are looked up in them: a function call per word and name (concat included) cost more than
# finding the model servers' images.
_known_command(container) if {
	commands := {command | some server in data.params.model_servers.servers; some command in server.commands}
	some word in _words(container)
	some name in _command_names(word)
	name in commands
}

# What a word runs: the word itself, or any tail after a "/" (/app/llama-server runs
# llama-server), the same as the word ending in "/" followed by the name.
_command_names(word) := {concat("/", array.slice(parts, i, count(parts))) |
	parts := split(word, "/")
	some i in numbers.range(0, count(parts) - 1)
}

_serving_flag(container) if {
	flags := {flag | some server in data.params.model_servers.servers; some flag in server.flags}
	some word in _words(container)
	some name in _flag_names(word)
	name in flags
}

# The flags a word passes: the word itself, or any part of it before an "=" (--model-id=x
# passes --model-id), the same as the word starting with the flag followed by "=".
_flag_names(word) := {concat("=", array.slice(parts, 0, i)) |
	parts := split(word, "=")
	some i in numbers.range(1, count(parts))
}

# Every word of command and args, lower-cased; a shell script (`sh -c "exec vllm serve ..."`)
# is split on spaces, so the server it starts is found too.
_words(container) := {word |
	some list in ["command", "args"]
	tokens := object.get(container, list, [])
	is_array(tokens)
	some token in tokens
	is_string(token)
	some word in split(lower(token), " ")
	word != ""
}

_string(value) := value if is_string(value)

else := ""
