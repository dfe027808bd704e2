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

# -- the Pod Security Standards rules' kit (SEC-030..SEC-039, RES-011, SLA-020) ----------------
# One compliant model server in a restricted namespace, patched per test. In this package, not a
# second kit: rego-cpp crashed on the bundle with two kit packages loaded.

# (`namespace_resource`, not `namespace`: rego-cpp finds a cycle in a rule named namespace.)
# regorus 0.13 loses another package's constants under `with input...`: the kit is functions
# only, and each test package binds what it needs (image: the model server's image reference).
model_container(image) := {
	"name": "vllm",
	"image": image,
	"command": ["vllm", "serve"],
	"ports": [{"name": "http", "containerPort": 8000}],
	"resources": {"requests": {"cpu": "4", "memory": "16Gi", "nvidia.com/gpu": "1"}},
	"readinessProbe": {"httpGet": {"path": "/v1/models", "port": "http"}},
	"livenessProbe": {"httpGet": {"path": "/health", "port": "http"}},
	"securityContext": {
		"allowPrivilegeEscalation": false,
		"capabilities": {"drop": ["ALL"]},
		"readOnlyRootFilesystem": true,
		"runAsNonRoot": true,
	},
}

model_pod(image) := {
	"automountServiceAccountToken": false,
	"securityContext": {"runAsNonRoot": true, "runAsUser": 2000, "seccompProfile": {"type": "RuntimeDefault"}},
	"containers": [model_container(image)],
	"volumes": [{"name": "home", "emptyDir": {}}],
}

# A Deployment running `spec` (a plain one: no labels of ours), in `namespace`.
deployment(name, namespace, spec) := {
	"urn": concat("", ["urn:pulumi:t::p::kubernetes:apps/v1:Deployment::", name]),
	"type": "kubernetes:apps/v1:Deployment",
	"name": name,
	"op": "create",
	"props": {
		"metadata": {"name": name, "namespace": namespace},
		"spec": {"template": {"metadata": {}, "spec": spec}},
	},
}

pss_namespace(name, labels) := {
	"urn": concat("", ["urn:pulumi:t::p::kubernetes:core/v1:Namespace::", name]),
	"type": "kubernetes:core/v1:Namespace",
	"name": name,
	"op": "create",
	"props": {"metadata": {"name": name, "labels": labels}},
}

restricted_namespace(name) := pss_namespace(
	name,
	{"app.kubernetes.io/part-of": "servegate", "pod-security.kubernetes.io/enforce": "restricted"},
)

# An inventory of `resources`, indexed by type the way the gate builds it.
pss_inventory(resources) := {
	"stack": {"name": "t", "project": "p", "urn": "urn:pulumi:t::p::pulumi:pulumi:Stack::p-t"},
	"declared": {"residency": {"zone": "ca", "sovereign": true}},
	"evaluation": {"as_of": "2026-12-01"},
	"resources": resources,
	"by_type": {t: [i | some i; resources[i].type == t] | some r in resources; t := r.type},
}

# The model server with `spec` beside its restricted namespace.
with_spec(spec) := pss_inventory([restricted_namespace("llm-serving"), deployment("vllm-a", "llm-serving", spec)])

# The model pod of `image` with its container patched by `patch` (object.union).
patched(image, patch) := object.union(model_pod(image), {"containers": [object.union(model_container(image), patch)]})

# The rules these helpers serve; older area fixtures leave their findings out.
rule_ids := {
	"SEC-030",
	"SEC-031",
	"SEC-032",
	"SEC-033",
	"SEC-034",
	"SEC-035",
	"SEC-036",
	"SEC-037",
	"SEC-038",
	"SEC-039",
	"RES-011",
	"SLA-020",
}
