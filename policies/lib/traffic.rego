# METADATA
# title: Traffic helpers
# description: The gateway's backends, routes and their fallback chains, the stack's VPC
#   endpoints and egress allow-lists, as the traffic-residency rules (RES-012..RES-018,
#   SEC-042, SEC-043) judge them. Each collection is a rule built once per query; the
#   functions are pure functions of their arguments and of data.params.
package lib.traffic

import data.lib.inventory as inv
import rego.v1

# Upstream shapes (docs/design.md, "Traffic residency"): Envoy Gateway v1.8 Backend, Envoy AI
# Gateway v1.1 AIServiceBackend, AIGatewayRoute and BackendSecurityPolicy (served as v1beta1
# and, deprecated, v1alpha1: both route traffic, so both are judged), Gateway API v1
# BackendTLSPolicy, AWS VPC endpoints and Network Firewall.
backend_type := "kubernetes:gateway.envoyproxy.io/v1alpha1:Backend"

ai_service_backend_types := [
	"kubernetes:aigateway.envoyproxy.io/v1beta1:AIServiceBackend",
	"kubernetes:aigateway.envoyproxy.io/v1alpha1:AIServiceBackend",
]

route_types := [
	"kubernetes:aigateway.envoyproxy.io/v1beta1:AIGatewayRoute",
	"kubernetes:aigateway.envoyproxy.io/v1alpha1:AIGatewayRoute",
]

security_policy_types := [
	"kubernetes:aigateway.envoyproxy.io/v1beta1:BackendSecurityPolicy",
	"kubernetes:aigateway.envoyproxy.io/v1alpha1:BackendSecurityPolicy",
]

tls_policy_types := [
	"kubernetes:gateway.networking.k8s.io/v1:BackendTLSPolicy",
	"kubernetes:gateway.networking.k8s.io/v1alpha3:BackendTLSPolicy",
]

vpc_endpoint_type := "aws:ec2/vpcEndpoint:VpcEndpoint"

rule_group_type := "aws:networkfirewall/ruleGroup:RuleGroup"

firewall_policy_type := "aws:networkfirewall/firewallPolicy:FirewallPolicy"

firewall_type := "aws:networkfirewall/firewall:Firewall"

secret_type := "kubernetes:core/v1:Secret"

service_type := "kubernetes:core/v1:Service"

external_secret_types := [
	"kubernetes:external-secrets.io/v1:ExternalSecret",
	"kubernetes:external-secrets.io/v1beta1:ExternalSecret",
]

in_cluster_suffix := ".svc.cluster.local"

model_header := "x-ai-eg-model"

classification_header := "x-data-classification"

# What a Backend declares it may receive, and, for an endpoint no compliance table knows, where
# its owner says it processes requests (a claim the rules report as unverified).
classes_annotation := "servegate.io/classifications"

region_annotation := "servegate.io/processing-region"

namespace(res) := object.get(res.props, ["metadata", "namespace"], "default")

name(res) := object.get(res.props, ["metadata", "name"], res.name)

key(namespace_name, object_name) := concat("/", [namespace_name, object_name])

# -- classifications -----------------------------------------------------------------------------

order := data.params.classifications.order

most_restrictive := order[count(order) - 1]

zone(declared) := object.get(declared, ["residency", "zone"], "")

# The classifications the stack's zone keeps in the zone (none for a zone without an entry).
kept_in_zone(declared) := object.get(data.params.classifications.in_zone, zone(declared), [])

# -- where an endpoint processes requests ------------------------------------------------------

# The region a regional endpoint's hostname names (bedrock-runtime.<region>.amazonaws.com).
regional_region(hostname) := region if {
	some pattern in data.params.external_endpoints.regional
	startswith(hostname, pattern.prefix)
	endswith(hostname, pattern.suffix)
	region := trim_suffix(trim_prefix(hostname, pattern.prefix), pattern.suffix)
	region != ""
	not contains(region, ".")
}

declared_only(hostname) if {
	some entry in data.params.external_endpoints.declared_only
	endswith(hostname, entry.suffix)
}

# Where an endpoint host processes requests: {"kind": "cluster"} (a cluster Service), "area"
# (an endpoint of external_endpoints.yaml without a region: its zone or null), "region" (a
# regional endpoint, listed or by pattern), "declared" (the Backend's processing-region
# annotation, unverified) or "unknown".
place(hostname, annotations) := {"kind": "cluster"} if {
	endswith(hostname, in_cluster_suffix)
} else := {"kind": "region", "region": entry.region} if {
	entry := data.params.external_endpoints.endpoints[hostname]
	is_string(entry.region)
} else := {"kind": "area", "zone": entry.zone, "area": entry.area} if {
	entry := data.params.external_endpoints.endpoints[hostname]
	not is_string(entry.region)
} else := {"kind": "region", "region": region} if {
	not declared_only(hostname)
	region := regional_region(hostname)
} else := {"kind": "declared", "region": region} if {
	region := object.get(annotations, region_annotation, null)
	is_string(region)
	region != ""
} else := {"kind": "unknown"}

in_zone(p, _) if p.kind == "cluster"

in_zone(p, declared) if {
	p.kind == "area"
	p.zone == zone(declared)
}

in_zone(p, declared) if {
	p.kind in {"region", "declared"}
	p.region in object.get(data.params.zones.zones, zone(declared), [])
}

# How a message names a place.
place_text(p) := "this cluster" if p.kind == "cluster"
else := concat("", [p.area, " (external_endpoints.yaml)"]) if p.kind == "area"
else := p.region if p.kind == "region"
else := concat("", [p.region, " (declared by its processing-region annotation, unverified)"]) if {
	p.kind == "declared"
} else := "an unknown place (no compliance data and no declared processing region)"

# -- backends --------------------------------------------------------------------------------------

# The host of a Backend endpoint: an FQDN's hostname, an IP address, or a Unix socket's path.
endpoint_host(endpoint) := endpoint.fqdn.hostname if is_string(endpoint.fqdn.hostname)
else := endpoint.ip.address if is_string(endpoint.ip.address)
else := "" if endpoint.unix

endpoint_place(endpoint, _, _) := {"kind": "cluster"} if endpoint.unix

endpoint_place(endpoint, host, annotations) := place(host, annotations) if {
	is_string(endpoint.fqdn.hostname)
}

endpoint_place(endpoint, _, _) := {"kind": "unknown"} if is_string(endpoint.ip.address)

# The classifications a Backend declares: the annotation's comma-separated list; a Backend of
# this cluster without one may receive every classification, an external one none.
declared_classes(annotations, places) := [trim_space(c) |
	some c in split(annotations[classes_annotation], ",")
	trim_space(c) != ""
] if is_string(annotations[classes_annotation])
else := order if {
	every p in places {
		p.kind == "cluster"
	}
} else := []

# The ExternalName Services of the plan by namespace/name: the host their cluster DNS name is an
# alias (CNAME) of, and their annotations. A Backend or AIServiceBackend that names one reaches
# that host, wherever it is: a cluster DNS name alone proves nothing. (A Service the plan does
# not declare is taken as what its name says, a Service of this cluster.)
external_names := {key(namespace(res), name(res)): entry |
	some res in inv.resources(input, service_type)
	object.get(res.props, ["spec", "type"], "ClusterIP") == "ExternalName"
	entry := {
		"host": object.get(res.props, ["spec", "externalName"], ""),
		"annotations": object.get(res.props, ["metadata", "annotations"], {}),
	}
}

# The namespace/name key a cluster DNS name (<service>.<namespace>.svc.cluster.local) names.
service_key(host) := key(parts[1], parts[0]) if {
	endswith(host, in_cluster_suffix)
	parts := split(trim_suffix(host, in_cluster_suffix), ".")
	count(parts) == 2
}

# The host an endpoint host reaches: an ExternalName Service's external host, or itself.
resolved_host(host, externals) := externals[service_key(host)].host if {
	service_key(host) in object.keys(externals)
} else := host

# Every Backend of the plan: key, resource, its endpoints as [index, host, place] (the host it
# reaches, through an ExternalName Service if it names one), the places, whether it is external
# (an endpoint outside this cluster) and its declared classifications.
backends := result if {
	externals := external_names
	result := [entry |
		some res in inv.resources(input, backend_type)
		annotations := object.get(res.props, ["metadata", "annotations"], {})
		endpoint_list := object.get(res.props, ["spec", "endpoints"], [])
		endpoints := [[i, host, p] |
			some i
			endpoint := endpoint_list[i]
			host := resolved_host(endpoint_host(endpoint), externals)
			p := endpoint_place(endpoint, host, annotations)
		]
		places := [p | some [_, _, p] in endpoints]
		entry := {
			"key": key(namespace(res), name(res)),
			"res": res,
			"endpoints": endpoints,
			"places": places,
			"external": _any_external(places),
			"classes": declared_classes(annotations, places),
		}
	]
}

_any_external(places) := true if {
	some p in places
	p.kind != "cluster"
} else := false

_unknown_backend := {"places": [{"kind": "unknown"}], "external": true, "classes": [], "endpoints": []}

_cluster_service := {"places": [{"kind": "cluster"}], "external": false, "classes": order, "endpoints": []}

# What an AIServiceBackend's backendRef reaches: a Backend of the plan, an ExternalName Service
# of the plan (its external host), another cluster Service (Gateway API's default kind), or
# something the plan does not declare (unknown, external).
ref_target(ref, ns, all_backends, externals) := found if {
	object.get(ref, "kind", "Service") == "Backend"
	target_key := key(object.get(ref, "namespace", ns), object.get(ref, "name", ""))
	found := [b | some b in all_backends; b.key == target_key][0]
} else := _external_name_target(externals[target_key]) if {
	object.get(ref, "kind", "Service") == "Service"
	object.get(ref, "group", "") == ""
	target_key := key(object.get(ref, "namespace", ns), object.get(ref, "name", ""))
	target_key in object.keys(externals)
} else := _cluster_service if {
	object.get(ref, "kind", "Service") == "Service"
	object.get(ref, "group", "") == ""
} else := _unknown_backend

_external_name_target(service) := {
	"places": [p],
	"external": _any_external([p]),
	"classes": declared_classes(service.annotations, [p]),
	"endpoints": [[0, service.host, p]],
} if {
	p := place(service.host, service.annotations)
}

# Every AIServiceBackend: key, resource, schema, and what its Backend is (as in `backends`, with
# "backend_key" naming the Backend when the plan declares it).
ai_backends := result if {
	all_backends := backends
	externals := external_names
	result := [entry |
		some type_token in ai_service_backend_types
		some res in inv.resources(input, type_token)
		ns := namespace(res)
		ref := object.get(res.props, ["spec", "backendRef"], {})
		target := ref_target(ref, ns, all_backends, externals)
		entry := {
			"key": key(ns, name(res)),
			"res": res,
			"schema": object.get(res.props, ["spec", "schema", "name"], ""),
			"backend_key": object.get(target, "key", ""),
			"places": target.places,
			"external": target.external,
			"classes": target.classes,
			"hosts": [host | some [_, host, _] in target.endpoints],
		}
	]
}

# -- routes ----------------------------------------------------------------------------------------

# The values Exact (the default) header matches require, by lower-case header name.
_exact_headers(match) := {lower(h.name): h.value |
	some h in object.get(match, "headers", [])
	is_string(object.get(h, "name", null))
	object.get(h, "type", "Exact") == "Exact"
}

# A rule's matches (a rule without matches matches every request).
_matches(rule) := object.get(rule, "matches", []) if count(object.get(rule, "matches", [])) > 0
else := [{}]

_inference_pool(ref) if object.get(ref, "kind", "") == "InferencePool"

# A backendRef of a route rule: index, priority (Envoy AI Gateway: default 0, lower first),
# the model id the backend is asked for, and what it reaches.
_ref_entry(j, ref, model, ns, all_ai) := {
	"index": j,
	"name": object.get(ref, "name", ""),
	"priority": _priority(ref),
	"model_id": _model_id(ref, model),
	"backend": _ref_backend(ref, ns, all_ai),
}

# A priority that is not a number is read as the default, 0 (as SLA-022 reads it).
_priority(ref) := priority if {
	priority := object.get(ref, "priority", 0)
	is_number(priority)
} else := 0

# (Not object.get with the model as its default: rego-cpp 1.5.2 left that undefined.)
_model_id(ref, _) := ref.modelNameOverride if is_string(ref.modelNameOverride)

_model_id(ref, model) := model if not is_string(object.get(ref, "modelNameOverride", null))

_ref_backend(ref, ns, all_ai) := object.union(_cluster_service, {"key": "", "schema": "", "hosts": []}) if {
	_inference_pool(ref)
} else := found if {
	target_key := key(object.get(ref, "namespace", ns), object.get(ref, "name", ""))
	found := [a | some a in all_ai; a.key == target_key][0]
} else := object.union(_unknown_backend, {"key": "", "schema": "", "hosts": []})

# One entry per route rule and match: the route, the rule's index, the model it matches ("" for
# any), the classification (the header's value; a rule without one is the catch-all for
# unclassified requests, which the gateway must treat as the most restrictive class), the
# refs, and the smallest priority (the primary step; higher ones are fallbacks).
routes := result if {
	all_ai := ai_backends
	rules := [[res, i, rule] |
		some type_token in route_types
		some res in inv.resources(input, type_token)
		rule_list := object.get(res.props, ["spec", "rules"], [])
		some i
		rule := rule_list[i]
	]
	result := [entry |
		some [res, i, rule] in rules
		some match in _matches(rule)
		entry := _route_entry(res, i, rule, match, all_ai)
	]
}

# (Built by functions of their arguments: rego-cpp 1.5.2 left some entries of a single
# comprehension doing all of this undefined.)
_route_entry(res, i, rule, match, all_ai) := {
	"res": res,
	"rule": i,
	"model": model,
	"class": _class(class),
	"unclassified": _unclassified(class),
	"refs": refs,
	"primary": inv.smallest([r.priority | some r in refs]),
} if {
	headers := _exact_headers(match)
	model := object.get(headers, model_header, "")
	class := object.get(headers, classification_header, "")
	refs := _refs(object.get(rule, "backendRefs", []), model, namespace(res), all_ai)
	count(refs) > 0
}

# (The call in the body, not the head: rego-cpp 1.5.2 left a head calling it undefined.)
_refs(ref_list, model, ns, all_ai) := [entry |
	some j
	ref := ref_list[j]
	entry := _ref_entry(j, ref, model, ns, all_ai)
]

_unclassified("") := true

_unclassified(value) := false if value != ""

_class("") := most_restrictive

_class(value) := value if value != ""

# Whether a backend may receive a classification: it declares it, and, when the stack is
# sovereign and the zone keeps the class in the zone, every place it sends requests is in it.
declares(backend, class) if class in backend.classes

zone_allows(_, class, declared) if not class in kept_in_zone(declared)

zone_allows(backend, class, declared) if {
	class in kept_in_zone(declared)
	every p in backend.places {
		in_zone(p, declared)
	}
}

# The first place of a backend outside the zone (for messages).
outside_place(backend, declared) := [p | some p in backend.places; not in_zone(p, declared)][0]

ref_path(entry, ref) := concat(".", [
	"spec.rules", format_int(entry.rule, 10),
	"backendRefs", format_int(ref.index, 10),
])

# How a message names a route entry: "model m, class c".
entry_text(entry) := concat("", ["model ", _model_text(entry.model), ", ", _class_text(entry)])

_model_text("") := "(any)"

_model_text(model) := model if model != ""

_class_text(entry) := concat("", ["unclassified requests (treated as ", entry.class, ")"]) if entry.unclassified
else := concat("", ["classification ", entry.class])

# -- private endpoints and egress ----------------------------------------------------------------

# The private DNS name of each interface VPC endpoint that has it, with the endpoint's service
# region: com.amazonaws.<region>.<service> answers as <service>.<region>.amazonaws.com inside
# the VPC (single-label services such as bedrock-runtime).
private_hosts := {[host, region] |
	some res in inv.resources(input, vpc_endpoint_type)
	object.get(res.props, "vpcEndpointType", "Gateway") == "Interface"
	inv.truthy(object.get(res.props, "privateDnsEnabled", false))
	parts := split(object.get(res.props, "serviceName", ""), ".")
	count(parts) == 4
	parts[0] == "com"
	parts[1] == "amazonaws"
	region := parts[2]
	host := concat(".", [parts[3], region, "amazonaws.com"])
}

# The ALLOWLIST domain-list targets of the stateful rule groups that a firewall policy of an
# AWS Network Firewall of the plan uses (joined on the dependencies, ARNs being unknown in a
# preview).
egress_allowed := {target |
	some firewall in inv.resources(input, firewall_type)
	some policy_urn in inv.dep_urns(firewall, "firewallPolicyArn")
	some policy in inv.resources(input, firewall_policy_type)
	policy.urn == policy_urn
	some group_urn in inv.dep_urns(policy, "firewallPolicy")
	some group in inv.resources(input, rule_group_type)
	group.urn == group_urn
	source_list := object.get(group.props, ["ruleGroup", "rulesSource", "rulesSourceList"], {})
	object.get(source_list, "generatedRulesType", "") == "ALLOWLIST"
	target := object.get(source_list, "targets", [])[_]
}

# The hosts of the stack's internet backends: external Backend endpoints that are not the
# private DNS name of an interface VPC endpoint.
internet_hosts(all_backends, private) := {host |
	private_names := {h | some [h, _] in private}
	some backend in all_backends
	some [_, host, p] in backend.endpoints
	p.kind != "cluster"
	not host in private_names
}

security_policy_type := "kubernetes:gateway.envoyproxy.io/v1alpha1:SecurityPolicy"

# The hosts the gateway's proxies fetch JSON Web Key Sets from (SecurityPolicy jwt providers'
# remoteJWKS URIs), when outside the cluster.
jwks_hosts := {host |
	some policy in inv.resources(input, security_policy_type)
	some provider in object.get(policy.props, ["spec", "jwt", "providers"], [])
	address := object.get(provider, ["remoteJWKS", "uri"], "")
	is_string(address)
	authority := split(split(address, "://")[1], "/")[0]
	host := split(authority, ":")[0]
	host != ""
	not endswith(host, in_cluster_suffix)
}

# -- credentials --------------------------------------------------------------------------------

# [namespace, name] of the Secrets an ExternalSecret fills from a secret store.
synced_secrets := {[namespace(synced), target] |
	some type_token in external_secret_types
	some synced in inv.resources(input, type_token)
	spec := object.get(synced.props, "spec", {})
	object.get(spec, ["secretStoreRef", "name"], "") != ""
	target := object.get(spec, ["target", "name"], name(synced))
}

# [namespace, name] of the Secrets the plan itself fills with data (a literal in the stack).
literal_secrets := {[namespace(secret), name(secret)] |
	some secret in inv.resources(input, secret_type)
	some field in ["data", "stringData"]
	inv.is_present(object.get(secret.props, field, null))
}
