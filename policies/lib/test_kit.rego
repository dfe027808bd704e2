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

# -- the traffic-residency rules' kit (RES-012..RES-018, SEC-042, SEC-043) ----------------------
# The shapes of the shared contract (docs/design.md, "Traffic residency"): Envoy Gateway
# Backends, Envoy AI Gateway AIServiceBackends, one AIGatewayRoute, BackendSecurityPolicies,
# BackendTLSPolicies, interface VPC endpoints and an AWS Network Firewall allow-list. Functions
# only (see above); `gateway_namespace` is an argument where a test needs another.

# A resource of the gateway's namespace (`props` without metadata).
gateway_object(type_token, name, props) := resource(
	type_token, name,
	object.union(props, {"metadata": {"name": name, "namespace": "llm-gateway"}}),
)

# A Backend on one FQDN endpoint, with annotations (servegate.io/classifications ...).
# (Its metadata written whole: rego-cpp 1.5.2's object.union does not merge nested objects.)
traffic_backend(name, hostname, annotations) := resource("kubernetes:gateway.envoyproxy.io/v1alpha1:Backend", name, {
	"metadata": {"name": name, "namespace": "llm-gateway", "annotations": annotations},
	"spec": {"endpoints": [{"fqdn": {"hostname": hostname, "port": 443}}]},
})

ai_service_backend(name, schema) := gateway_object(
	"kubernetes:aigateway.envoyproxy.io/v1beta1:AIServiceBackend", name,
	{"spec": {
		"schema": {"name": schema},
		"backendRef": {"group": "gateway.envoyproxy.io", "kind": "Backend", "name": name},
	}},
)

backend_ref(name, priority) := {"name": name, "priority": priority}

# A route rule for `model` and `class` ("" for the model's catch-all, without a classification match).
route_rule(model, "", refs) := {
	"matches": [{"headers": [{"type": "Exact", "name": "x-ai-eg-model", "value": model}]}],
	"backendRefs": refs,
}

route_rule(model, class, refs) := {
	"matches": [{"headers": [
		{"type": "Exact", "name": "x-ai-eg-model", "value": model},
		{"type": "Exact", "name": "x-data-classification", "value": class},
	]}],
	"backendRefs": refs,
} if class != ""

ai_route(rules) := gateway_object(
	"kubernetes:aigateway.envoyproxy.io/v1beta1:AIGatewayRoute", "llm-route",
	{"spec": {"parentRefs": [{"name": "llm-gateway"}], "rules": rules}},
)

# An interface endpoint with private DNS for com.amazonaws.<region>.<service>.
vpc_endpoint(service, service_region) := resource("aws:ec2/vpcEndpoint:VpcEndpoint", service, {
	"serviceName": concat(".", ["com.amazonaws", service_region, service]),
	"vpcEndpointType": "Interface",
	"privateDnsEnabled": true,
	"vpcId": "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
})

# A stateful domain-list rule group, the firewall policy using it and the firewall using that.
firewall_rule_group(name, generated, targets) := resource("aws:networkfirewall/ruleGroup:RuleGroup", name, {
	"type": "STATEFUL",
	"capacity": 100,
	"ruleGroup": {"rulesSource": {"rulesSourceList": {
		"generatedRulesType": generated, "targetTypes": ["TLS_SNI", "HTTP_HOST"], "targets": targets,
	}}},
})

firewall_for(group) := [
	with_fields(resource("aws:networkfirewall/firewallPolicy:FirewallPolicy", "egress", {"firewallPolicy": {
		"statelessDefaultActions": ["aws:forward_to_sfe"],
		"statelessFragmentDefaultActions": ["aws:forward_to_sfe"],
		"statefulEngineOptions": {"ruleOrder": "STRICT_ORDER"},
		"statefulDefaultActions": ["aws:drop_established", "aws:alert_established"],
		"statefulRuleGroupReferences": [{"resourceArn": "04da6b54-80e4-46f7-96ec-b56ff0331ba9"}],
	}}), {"deps": {"firewallPolicy": [group.urn]}}),
	with_fields(
		resource(
			"aws:networkfirewall/firewall:Firewall", "egress",
			{"firewallPolicyArn": "04da6b54-80e4-46f7-96ec-b56ff0331ba9"},
		),
		{"deps": {"firewallPolicyArn": [urn("aws:networkfirewall/firewallPolicy:FirewallPolicy", "egress")]}},
	),
]

# BackendSecurityPolicies: an API key from a Secret, or AWS credentials from the pod's role.
api_key_policy(target, secret) := gateway_object(
	"kubernetes:aigateway.envoyproxy.io/v1beta1:BackendSecurityPolicy", target,
	{"spec": {
		"targetRefs": [{"group": "aigateway.envoyproxy.io", "kind": "AIServiceBackend", "name": target}],
		"type": "APIKey",
		"apiKey": {"secretRef": {"name": secret}},
	}},
)

irsa_policy(target, region_name) := gateway_object(
	"kubernetes:aigateway.envoyproxy.io/v1beta1:BackendSecurityPolicy", target,
	{"spec": {
		"targetRefs": [{"group": "aigateway.envoyproxy.io", "kind": "AIServiceBackend", "name": target}],
		"type": "AWSCredentials",
		"awsCredentials": {"region": region_name},
	}},
)

gateway_secret(name, props) := gateway_object("kubernetes:core/v1:Secret", name, props)

external_secret(name, target) := gateway_object("kubernetes:external-secrets.io/v1:ExternalSecret", name, {"spec": {
	"secretStoreRef": {"kind": "ClusterSecretStore", "name": "aws-secrets-manager"},
	"target": {"name": target},
	"data": [{"secretKey": "apiKey", "remoteRef": {"key": concat("/", ["servegate", target])}}],
}})

tls_policy(backend, hostname) := gateway_object(
	"kubernetes:gateway.networking.k8s.io/v1:BackendTLSPolicy", backend,
	{"spec": {
		"targetRefs": [{"group": "gateway.envoyproxy.io", "kind": "Backend", "name": backend}],
		"validation": {"hostname": hostname, "wellKnownCACertificates": "System"},
	}},
)

# An external backend the way the contract renders it: Backend, AIServiceBackend, TLS policy.
external_backend(name, hostname, schema, annotations) := [
	traffic_backend(name, hostname, annotations),
	ai_service_backend(name, schema),
	tls_policy(name, hostname),
]

# A self-hosted model's Backend (cluster DNS name of its Service) and AIServiceBackend.
self_hosted_backend(name) := [
	traffic_backend(name, concat("", [name, ".llm-serving.svc.cluster.local"]), {}),
	ai_service_backend(name, "OpenAI"),
]

# prod-ca's hybrid serving: llama self-hosted for every class (and the catch-all), Bedrock in
# ca-central-1 over PrivateLink with IRSA for public and internal, llama as its fallback.
traffic_stack(bedrock_region) := array.concat(
	array.concat(self_hosted_backend("llama"), external_backend(
		"bedrock",
		concat(".", ["bedrock-runtime", bedrock_region, "amazonaws.com"]),
		"AWSBedrock",
		{"servegate.io/classifications": "public,internal"},
	)),
	[
		vpc_endpoint("bedrock-runtime", bedrock_region),
		irsa_policy("bedrock", bedrock_region),
		ai_route([
			route_rule("llama", "regulated", [backend_ref("llama", 0)]),
			route_rule("llama", "public", [
				object.union(backend_ref("bedrock", 0), {"modelNameOverride": "meta.llama3-1-8b-instruct-v1:0"}),
				backend_ref("llama", 1),
			]),
			route_rule("llama", "", [backend_ref("llama", 0)]),
		]),
	],
)

# The stack with its route's rules replaced.
with_route_rules(resources, rules) := with_resources(resources, [ai_route(rules)])

# The stack with the resources of the same URN as `changed` replaced, and `changed` added.
with_resources(resources, changed) := array.concat(
	[r | some r in resources; not r.urn in {c.urn | some c in changed}],
	changed,
)

traffic_declared(sovereign, air_gapped) := {
	"environment": "prod",
	"residency": {"zone": "ca", "sovereign": sovereign, "airGapped": air_gapped},
}
