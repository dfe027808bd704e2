# METADATA
# title: Policy test kit
# description: The builders every *_test.rego file shares (a prod-ca stack, resources as the
#   normalized inventory holds them, patches, inventories, an area's findings) so that the areas'
#   tests build inputs and read findings one way. No rule of the gate reads it.
package lib.test_kit

import rego.v1

stack := {
	"project": "llm-serving", "name": "prod-ca", "source": "offline", "region": "ca-central-1",
	"urn": "urn:pulumi:prod-ca::llm-serving::pulumi:pulumi:Stack::llm-serving-prod-ca",
}

region := "ca-central-1"

aws_provider := {
	"urn": "urn:pulumi:prod-ca::llm-serving::pulumi:providers:aws::aws", "type": "pulumi:providers:aws",
	"region": region, "defaultTags": {},
}

# concat, not sprintf: regopy 1.5.2 keeps the quotes of string literals passed to functions in %s.
urn(type_token, name) := concat("::", ["urn:pulumi:prod-ca", "llm-serving", type_token, name])

# A resource of the plan as the inventory holds it: AWS resources in the stack's region through
# its AWS provider; other resources (Kubernetes) have no region.
resource(type_token, name, props) := {
	"urn": urn(type_token, name), "type": type_token, "name": name, "parent": null,
	"op": "create", "custom": true, "region": _default_region(type_token),
	"provider": _default_provider(type_token),
	"props": props, "unknowns": [], "deps": {}, "tags": {},
}

_default_region(type_token) := region if startswith(type_token, "aws:")

_default_region(type_token) := null if not startswith(type_token, "aws:")

_default_provider(type_token) := aws_provider if startswith(type_token, "aws:")

_default_provider(type_token) := {} if not startswith(type_token, "aws:")

# The resource with its AWS provider's default tags: the effective tags are the defaults with
# the resource's own props.tags over them (what the inventory's `tags` holds).
with_default_tags(res, tags) := with_fields(res, {
	"provider": object.union(res.provider, {"defaultTags": tags}),
	"tags": object.union(tags, object.get(res.props, "tags", {})),
}) if startswith(res.type, "aws:")

with_default_tags(res, _) := res if not startswith(res.type, "aws:")

# A deep change: RFC 6902 JSON patch operations ({"op": "replace", "path": "/props/spec/replicas",
# "value": 1}); "~1" writes a "/" inside a key.
with_patches(obj, patches) := json.patch(obj, patches)

# A shallow change: the top-level fields of `fields` replace the object's (nested objects are
# replaced whole, never merged).
with_fields(obj, fields) := object.union(object.remove(obj, object.keys(fields)), fields)

# The resource with some of its props replaced whole.
with_props(res, fields) := with_fields(res, {"props": with_fields(res.props, fields)})

# The policy input over these resources (by_type as the loader builds it).
inventory(resources, declared) := {
	"stack": stack,
	"declared": declared,
	"evaluation": {},
	"resources": resources,
	"by_type": {t: [i | some i; resources[i].type == t] | some r in resources; t := r.type},
}

# The same, judged at an evaluation date (input.evaluation.as_of).
inventory_as_of(resources, declared, as_of) := object.union(
	inventory(resources, declared),
	{"evaluation": {"as_of": as_of}},
)

# One evidence path convention, the inventory's (its `unknowns`, inv.prop, inv.is_unknown):
# property names and list indexes joined with dots, e.g. spec.template.spec.containers.0.image.
evidence_path(parts) := concat(".", [_path_part(part) | some part in parts])

_path_part(part) := part if is_string(part)

_path_part(part) := format_int(part, 10) if is_number(part)

# The URNs with a finding of the rule, decided or undecided.
findings(denials, rule_id) := {d.urn | some d in denials; d.rule_id == rule_id}

# The URNs with a decided violation of the rule.
fired(denials, rule_id) := {d.urn | some d in denials; d.rule_id == rule_id; not d.undecided}

# The URNs the rule could not judge (a value unknown until apply).
undecided(denials, rule_id) := {d.urn | some d in denials; d.rule_id == rule_id; d.undecided}

# Exactly one finding, of this rule, on this resource.
only(denials, rule_id, urn) if {
	{[d.rule_id, d.urn] | some d in denials} == {[rule_id, urn]}
}

# Only this rule has findings, and its decided violations are on exactly these URNs.
only_on(denials, rule_id, urns) if {
	fired(denials, rule_id) == urns
	every d in denials {
		d.rule_id == rule_id
	}
}

# The rule could not judge this resource.
undecided_on(denials, rule_id, urn) if {
	some d in denials
	d.rule_id == rule_id
	d.urn == urn
	d.undecided == true
}

# An area's findings on an inventory (inventory or inventory_as_of). Input is replaced key by
# key and each area's deny is named by its full path: regopy 1.5.2 crashes on `with input as
# <object>` once a rule hands input to a function, and regorus 0.13 wants bound values there and
# loses the overrides inside a package reached through an import alias (`import data.sla`).
denials("residency", inventory) := result if {
	result := data.residency.deny with input.stack as inventory.stack
		with input.declared as inventory.declared
		with input.evaluation as inventory.evaluation
		with input.resources as inventory.resources
		with input.by_type as inventory.by_type
}

denials("sla", inventory) := result if {
	result := data.sla.deny with input.stack as inventory.stack
		with input.declared as inventory.declared
		with input.evaluation as inventory.evaluation
		with input.resources as inventory.resources
		with input.by_type as inventory.by_type
}

denials("audit", inventory) := result if {
	result := data.audit.deny with input.stack as inventory.stack
		with input.declared as inventory.declared
		with input.evaluation as inventory.evaluation
		with input.resources as inventory.resources
		with input.by_type as inventory.by_type
}

denials("security", inventory) := result if {
	result := data.security.deny with input.stack as inventory.stack
		with input.declared as inventory.declared
		with input.evaluation as inventory.evaluation
		with input.resources as inventory.resources
		with input.by_type as inventory.by_type
}

denials("cost", inventory) := result if {
	result := data.cost.deny with input.stack as inventory.stack
		with input.declared as inventory.declared
		with input.evaluation as inventory.evaluation
		with input.resources as inventory.resources
		with input.by_type as inventory.by_type
}

# The audit rules judged with other parameter files than the bundle's (data.params). Apart from
# denials: under `with data.params`, regorus 0.13 leaves later references to this package's
# rules (stack) undefined in the same evaluation.
denials_with_params("audit", inventory, params) := result if {
	result := data.audit.deny with input.stack as inventory.stack
		with input.declared as inventory.declared
		with input.evaluation as inventory.evaluation
		with input.resources as inventory.resources
		with input.by_type as inventory.by_type
		with data.params as params
}
