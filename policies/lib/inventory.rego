# METADATA
# title: Inventory helpers
# description: Shared lookups over the normalized inventory (DESIGN.md). Every helper takes
#   the inventory as an argument so rules stay testable with small inputs.
package lib.inventory

import rego.v1

# The sentinel Pulumi uses for values not known until apply.
unknown_value := "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

# Resources of one type, visited through by_type (no scan of the whole list).
resources(inv, type_token) := [inv.resources[i] |
	some i in object.get(inv.by_type, type_token, [])
	_judged(inv.resources[i])
]

# Resources being deleted are not part of the future state.
_judged(res) if not res.op in {"delete", "delete-replaced", "discard", "discard-replaced", "remove-pending-replace"}

# All judged resources whose type starts with a prefix, e.g. "aws:".
# (regopy rejects `some k, v in` inside comprehensions, hence the key variable.)
resources_with_prefix(inv, prefix) := [inv.resources[i] |
	indexes := inv.by_type[type_token]
	startswith(type_token, prefix)
	some i in indexes
	_judged(inv.resources[i])
]

# Resource by URN (callers pass an index from urn_index for speed).
urn_index(inv) := {res.urn: res | some res in inv.resources}

# A property value is unknown when it is the sentinel or listed in unknowns.
is_unknown(res, path) if path in object.get(res, "unknowns", [])

is_unknown(res, path) if {
	object.get(res.props, split(path, "."), null) == unknown_value
}

labels(obj) := object.get(obj, ["metadata", "labels"], {})

label(obj, key) := object.get(labels(obj), key, "")

has_role(res, role) if label(res.props, "servegate.io/role") == role

# Kubernetes workloads' pod template spec.
pod_spec(res) := object.get(res.props, ["spec", "template", "spec"], {})

# Truthy for booleans and for the strings Pulumi sometimes carries.
truthy(value) if value == true

truthy(value) if lower(sprintf("%v", [value])) == "true"

# The stack's root URN, for stack-level findings.
stack_urn(inv) := object.get(inv.stack, "urn", sprintf("urn:pulumi:%s::%s::pulumi:pulumi:Stack::%s-%s", [inv.stack.name, inv.stack.project, inv.stack.project, inv.stack.name]))

# A violation object as the gate reads it.
violation(rule_id, res, message, path, value) := {
	"rule_id": rule_id,
	"urn": res.urn,
	"type": res.type,
	"message": message,
	"path": path,
	"value": value,
}

# An undecided result: the rule needed a value that is unknown until apply.
undecided(rule_id, res, path) := {
	"rule_id": rule_id,
	"urn": res.urn,
	"type": res.type,
	"message": sprintf("%s cannot be judged: %s is unknown until apply", [rule_id, path]),
	"path": path,
	"value": null,
	"undecided": true,
}
