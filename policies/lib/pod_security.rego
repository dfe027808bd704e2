package lib.pod_security

# Shared collections of the Pod Security Standards rules (SEC-030..SEC-039), SLA-020 and
# RES-011: every pod spec of the input, its containers of every kind, and which workloads the
# restricted profile applies to. Rules, not functions, where several rules share them: a rule is
# evaluated once per query.

import data.lib.inventory as inv
import rego.v1


# [resource, pod spec, pod spec path] of every workload (Deployment, StatefulSet, DaemonSet,
# Job, CronJob) and bare Pod.
pods := array.concat(data.lib.inventory.workload_pod_specs, [[pod, object.get(pod.props, "spec", {}), "spec"] |
	some pod in inv.resources(input, "kubernetes:core/v1:Pod")
	inv.judged(pod)
])

# [list field, index, container] over init, regular and ephemeral containers.
containers(spec) := [[list, i, container] |
	some list in ["initContainers", "containers", "ephemeralContainers"]
	container_all := object.get(spec, list, [])
	some i
	container := container_all[i]
]

container_path(base, list, i) := concat(".", [base, list, format_int(i, 10)])

container_name(container, i) := inv.text(object.get(container, "name", format_int(i, 10)))

# Where the pod template's metadata (annotations) sits beside its spec.
metadata_path(base) := "metadata" if base == "spec"

else := concat(".", [trim_suffix(base, ".spec"), "metadata"])

annotations(res, base) := object.get(res.props, array.concat(split(metadata_path(base), "."), ["annotations"]), {})

namespace_of(res) := object.get(res.props, ["metadata", "namespace"], "default")

# Namespaces the input creates, by name.
_namespaces := {name: ns |
	some ns in inv.resources(input, "kubernetes:core/v1:Namespace")
	name := object.get(ns.props, ["metadata", "name"], ns.name)
}

# Namespaces whose Pod Security admission enforces restricted: their pods must comply or the
# apply fails at admission.
restricted_namespaces := {name |
	ns_all := _namespaces
	some name
	ns := ns_all[name]
	object.get(ns.props, ["metadata", "labels", "pod-security.kubernetes.io/enforce"], "") == "restricted"
}

servegate_namespaces := {name |
	ns_all := _namespaces
	some name
	ns := ns_all[name]
	inv.label(ns.props, "app.kubernetes.io/part-of") == "servegate"
}

_gpu_request(spec) if {
	some [_, _, container] in containers(spec)
	some field in ["requests", "limits"]
	object.get(container, ["resources", field, "nvidia.com/gpu"], null) != null
}

# A workload runs a model server if one of its containers runs a known server image or command,
# passes a model-serving flag, or it requests GPUs; the model-server label may add one (until
# data.lib.workloads.model_servers lands, which these rules should read then).
_server_names := {"vllm", "text-generation-inference", "text-generation-launcher", "sglang", "tritonserver", "ollama", "llama-server"}

_runs_server(container) if {
	some name in _server_names
	contains(lower(object.get(container, "image", "")), name)
}

_runs_server(container) if {
	some token in array.concat(object.get(container, "command", []), object.get(container, "args", []))
	is_string(token)
	some name in _server_names
	startswith(lower(token), name)
}

_runs_server(container) if {
	some token in object.get(container, "args", [])
	is_string(token)
	some flag in ["--served-model-name", "--model-id", "--model-path", "--tensor-parallel-size"]
	startswith(token, flag)
}

model_server(res, spec) if inv.has_role(res, "model-server")

model_server(res, spec) if _gpu_request(spec)

model_server(res, spec) if {
	some [_, _, container] in containers(spec)
	_runs_server(container)
}

# servegate's own workloads: labelled part of servegate, in a namespace servegate creates, or a
# model server.
owned(res, spec) if inv.label(res.props, "app.kubernetes.io/part-of") == "servegate"

owned(res, spec) if namespace_of(res) in servegate_namespaces

owned(res, spec) if model_server(res, spec)

# The restricted profile applies to servegate's workloads and to every pod a restricted
# namespace would admit.
restricted(res, spec) if owned(res, spec)

restricted(res, spec) if namespace_of(res) in restricted_namespaces

describe(res) := concat("", [res.type, " ", res.name])
