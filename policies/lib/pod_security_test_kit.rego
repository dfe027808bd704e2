package lib.pod_security_testkit

# The test kit of the Pod Security Standards rules' tests (SEC-030..SEC-039, RES-011, SLA-020):
# one compliant model server in a restricted namespace, patched per test.

import rego.v1

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

namespace_resource(name, labels) := {
	"urn": concat("", ["urn:pulumi:t::p::kubernetes:core/v1:Namespace::", name]),
	"type": "kubernetes:core/v1:Namespace",
	"name": name,
	"op": "create",
	"props": {"metadata": {"name": name, "labels": labels}},
}

restricted_namespace(name) := namespace_resource(
	name,
	{"app.kubernetes.io/part-of": "servegate", "pod-security.kubernetes.io/enforce": "restricted"},
)

# An inventory of `resources`, indexed by type the way the gate builds it.
inventory(resources) := {
	"stack": {"name": "t", "project": "p", "urn": "urn:pulumi:t::p::pulumi:pulumi:Stack::p-t"},
	"declared": {"residency": {"zone": "ca", "sovereign": true}},
	"evaluation": {"as_of": "2026-12-01"},
	"resources": resources,
	"by_type": {t: [i | some i; resources[i].type == t] | some r in resources; t := r.type},
}

# The model server with `spec` beside its restricted namespace.
with_spec(spec) := inventory([restricted_namespace("llm-serving"), deployment("vllm-a", "llm-serving", spec)])

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
