package lib.pod_security

# Shared collections of the Pod Security Standards rules (SEC-030..SEC-039), SLA-020 and
# RES-011: every pod spec of the input, its containers of every kind, and which workloads the
# restricted profile applies to. Rules, not functions, where several rules share them: a rule is
# evaluated once per query.

import data.lib.inventory as inv
import rego.v1

# [resource, pod spec, pod spec path] of every workload and bare Pod (lib.workloads).
pods := data.lib.workloads.pods

# [list field, index, container] over init, regular and ephemeral containers.
containers(spec) := data.lib.workloads.containers(spec)

container_path(base, list, i) := concat(".", [base, list, format_int(i, 10)])

container_name(container, i) := inv.text(object.get(container, "name", format_int(i, 10)))

# Where the pod template's metadata (annotations) sits beside its spec.
metadata_path(base) := "metadata" if base == "spec"

else := concat(".", [trim_suffix(base, ".spec"), "metadata"])

annotations(res, base) := object.get(res.props, array.concat(split(metadata_path(base), "."), ["annotations"]), {})

namespace_of(res) := object.get(res.props, ["metadata", "namespace"], "default")

# Namespaces the input creates, as [name, resource]: a list, not an object keyed by name, since a
# plan may declare one name twice (an object comprehension would then fail to evaluate).
_namespaces := [[name, ns] |
	some ns in inv.resources(input, "kubernetes:core/v1:Namespace")
	name := object.get(ns.props, ["metadata", "name"], ns.name)
]

# Namespaces whose Pod Security admission enforces restricted: their pods must comply or the
# apply fails at admission.
restricted_namespaces := {name |
	some [name, ns] in _namespaces
	object.get(ns.props, ["metadata", "labels", "pod-security.kubernetes.io/enforce"], "") == "restricted"
}

servegate_namespaces := {name |
	some [name, ns] in _namespaces
	inv.label(ns.props, "app.kubernetes.io/part-of") == "servegate"
}

# A workload runs a model server by what it runs (lib.workloads: image, command, serving flags or
# a GPU request; the model-server label adds, never removes).
model_server(res, _) if res.urn in data.lib.workloads.model_server_urns

# servegate's own workloads: labelled part of servegate, in a namespace servegate creates, or a
# model server.
owned(res, _) if inv.label(res.props, "app.kubernetes.io/part-of") == "servegate"

owned(res, _) if namespace_of(res) in servegate_namespaces

owned(res, spec) if model_server(res, spec)

# The restricted profile applies to servegate's workloads and to every pod a restricted
# namespace would admit.
restricted(res, spec) if owned(res, spec)

restricted(res, _) if namespace_of(res) in restricted_namespaces

describe(res) := concat("", [res.type, " ", res.name])
