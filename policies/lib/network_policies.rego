# METADATA
# title: NetworkPolicy helpers
# description: The stack's NetworkPolicies by namespace and the parts of their semantics the
#   network-isolation rules (SEC-020 .. SEC-024) share, as kubernetes.io documents them
#   (Concepts, Network Policies; API reference NetworkPolicySpec, LabelSelector).
package lib.network_policies

import data.lib.inventory as inv
import rego.v1

policy_type := "kubernetes:networking.k8s.io/v1:NetworkPolicy"

# The NetworkPolicies of the future state (inv.resources leaves out deletions).
policies := inv.resources(input, policy_type)

# The namespace of a namespaced object; the API puts an object without one in "default".
namespace(obj) := ns if {
	ns := object.get(obj, ["metadata", "namespace"], "")
	is_string(ns)
	ns != ""
} else := "default"

# A JSON array as a list, anything else (missing, null, an unknown) as none.
list(value) := value if is_array(value)

else := []

# A JSON object as a map, anything else as an empty one.
map(value) := value if is_object(value)

else := {}

spec(policy) := map(object.get(policy.props, "spec", {}))

# The directions a policy isolates: policyTypes, else Ingress plus Egress when it has egress rules.
types(policy_spec) := {t | some t in list(object.get(policy_spec, "policyTypes", []))} if {
	count(list(object.get(policy_spec, "policyTypes", []))) > 0
} else := {"Ingress", "Egress"} if {
	count(list(object.get(policy_spec, "egress", []))) > 0
} else := {"Ingress"}

# The rules of one direction ("Ingress" -> ingress, "Egress" -> egress).
rules_key := {"Ingress": "ingress", "Egress": "egress"}

# The peers key of one direction's rules.
peers_key := {"Ingress": "from", "Egress": "to"}

rules(policy_spec, direction) := list(object.get(policy_spec, rules_key[direction], []))

# A selector that selects everything: no matchLabels and no matchExpressions. A missing
# podSelector is read the same way (the API requires the field; empty selects every pod).
empty_selector(selector) if {
	count(map(object.get(map(selector), "matchLabels", {}))) == 0
	count(list(object.get(map(selector), "matchExpressions", []))) == 0
}

# A LabelSelector against a label set: every matchLabel and every matchExpression holds.
selects(selector, labels) if {
	is_object(selector)
	every key, value in map(object.get(selector, "matchLabels", {})) {
		object.get(labels, key, null) == value
	}
	every expression in list(object.get(selector, "matchExpressions", [])) {
		_holds(expression, labels)
	}
}

_holds(expression, labels) if {
	expression.operator == "In"
	value := labels[expression.key]
	value in list(object.get(expression, "values", []))
}

_holds(expression, labels) if {
	expression.operator == "NotIn"
	not expression.key in object.keys(labels)
}

_holds(expression, labels) if {
	expression.operator == "NotIn"
	value := labels[expression.key]
	not value in list(object.get(expression, "values", []))
}

_holds(expression, labels) if {
	expression.operator == "Exists"
	expression.key in object.keys(labels)
}

_holds(expression, labels) if {
	expression.operator == "DoesNotExist"
	not expression.key in object.keys(labels)
}

# A namespace denies a direction by default: one of its policies selects every pod, isolates
# that direction and has no rule for it.
default_deny(ns, direction) if [ns, direction] in default_denied

# [namespace, direction] of every default deny, computed once per query rather than per workload.
default_denied := {[namespace(policy.props), direction] |
	some policy in policies
	policy_spec := spec(policy)
	empty_selector(object.get(policy_spec, "podSelector", {}))
	some direction in types(policy_spec)
	not inv.is_unknown(policy, concat(".", ["spec", rules_key[direction]]))
	count(rules(policy_spec, direction)) == 0
}

# The labels of a workload's pods, from the pod spec's path in the workload
# ("spec.template.spec" -> "spec.template.metadata.labels"; a bare Pod's "spec" -> "metadata.labels").
pod_labels(res, base) := labels if {
	parts := split(base, ".")
	path := array.concat(array.slice(parts, 0, count(parts) - 1), ["metadata", "labels"])
	labels := map(object.get(res.props, path, {}))
}

# The Kubernetes label every namespace carries with its own name (Kubernetes >= 1.22).
namespace_name_label := "kubernetes.io/metadata.name"
