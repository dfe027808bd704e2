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

# [resource, pod spec, pod spec path] of every servegate-owned workload (labelled part of
# servegate, in a servegate namespace, or running a model server), and of every workload the
# restricted standard applies to (those, and every workload of a namespace enforcing it). The
# sets they read are bound once before the loop: under the tests' `with`, rego-cpp re-evaluates
# a rule at every reference, and a lookup per workload re-ran the model-server detection.
owned_pods := [entry |
	model_urns := data.lib.workloads.model_server_urns
	owned_namespaces := servegate_namespaces
	some entry in pods
	_owned(entry[0], model_urns, owned_namespaces)
]

restricted_pods := [entry |
	model_urns := data.lib.workloads.model_server_urns
	owned_namespaces := servegate_namespaces
	enforced_namespaces := restricted_namespaces
	some entry in pods
	_restricted(entry[0], model_urns, owned_namespaces, enforced_namespaces)
]

# The model servers' entries, in the same shape.
model_server_pods := [entry |
	model_urns := data.lib.workloads.model_server_urns
	some entry in pods
	entry[0].urn in model_urns
]

_owned(res, _, _) if inv.label(res.props, "app.kubernetes.io/part-of") == "servegate"

_owned(res, _, owned_namespaces) if namespace_of(res) in owned_namespaces

_owned(res, model_urns, _) if res.urn in model_urns

_restricted(res, model_urns, owned_namespaces, _) if _owned(res, model_urns, owned_namespaces)

_restricted(res, _, _, enforced_namespaces) if namespace_of(res) in enforced_namespaces

describe(res) := concat("", [res.type, " ", res.name])
