# METADATA
# title: Request mirror helpers
# description: Where the gateway mirrors copies of requests (shadow traffic), as RES-023 judges
#   it. Two shapes: Envoy Gateway v1.8 EnvoyPatchPolicy patches adding Envoy's
#   request_mirror_policies to routes, with the clusters they add; and the Gateway API
#   RequestMirror filter of an HTTPRoute. Each collection is a rule built once per query.
#   (Private names are unique across the bundle: rego-cpp 1.5.2 mixed up this file's _resolved
#   with res_003's and crashed.)
package lib.mirroring

import data.lib.inventory as inv
import rego.v1

patch_policy_type := "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyPatchPolicy"

# Gateway API v1.5 serves HTTPRoute as v1 and v1beta1: both route traffic, so both are judged.
http_route_types := [
	"kubernetes:gateway.networking.k8s.io/v1:HTTPRoute",
	"kubernetes:gateway.networking.k8s.io/v1beta1:HTTPRoute",
]

cluster_resource_type := "type.googleapis.com/envoy.config.cluster.v3.Cluster"

route_resource_type := "type.googleapis.com/envoy.config.route.v3.RouteConfiguration"

mirror_key := "request_mirror_policies"

_unknown_place := [{"kind": "unknown"}]

# Every JSON patch of every EnvoyPatchPolicy: [policy, index, patch].
_patches := [[res, i, patch] |
	some res in inv.resources(input, patch_policy_type)
	patch_list := object.get(res.props, ["spec", "jsonPatches"], [])
	some i
	patch := patch_list[i]
]

# The hosts of an Envoy cluster's endpoints (socket addresses of its load assignment).
_cluster_hosts(cluster) := [host |
	some locality in object.get(cluster, ["load_assignment", "endpoints"], [])
	some lb in object.get(locality, "lb_endpoints", [])
	host := object.get(lb, ["endpoint", "address", "socket_address", "address"], "")
]

# Name -> {places, hosts} of every cluster a patch adds as a whole resource (op add, no path). A
# cluster with no endpoint host the plan states is an unknown place; a host that is an
# ExternalName Service of the plan is placed where its alias points (as lib.traffic does).
clusters := {name: places |
	externals := data.lib.traffic.external_names
	some [_, _, patch] in _patches
	object.get(patch, "type", "") == cluster_resource_type
	operation := object.get(patch, "operation", {})
	object.get(operation, "op", "") == "add"
	object.get(operation, "path", "") == ""
	value := object.get(operation, "value", {})
	name := object.get(value, "name", object.get(patch, "name", ""))
	hosts := _cluster_hosts(value)
	places := {
		"places": _host_places(hosts, externals),
		"hosts": [data.lib.traffic.resolved_host(host, externals) | some host in hosts],
	}
}

_host_places(hosts, externals) := [p |
	some host in hosts
	p := _host_place(host, externals)
] if count(hosts) > 0
else := _unknown_place

_host_place(host, externals) := data.lib.traffic.place(alias.host, alias.annotations) if {
	alias := externals[data.lib.traffic.service_key(host)]
} else := data.lib.traffic.place(host, {})

# The mirror policies a route patch's value adds: the list at .../request_mirror_policies, one
# policy at .../request_mirror_policies/- (or /<n>), or the ones inside a whole route value.
_policies(path, value) := value if {
	endswith(path, concat("", ["/", mirror_key]))
	is_array(value)
} else := [value] if {
	contains(path, concat("", ["/", mirror_key, "/"]))
	is_object(value)
} else := object.get(value, ["route", mirror_key], []) if {
	is_object(value)
} else := []

# One entry per mirror a patch declares: the policy resource, the path of the patch, the
# target's text and its places (a cluster no patch of the plan adds, or a cluster_header the
# request picks, is an unknown place: the plan does not say where it is), and for the report's
# data flow the patch's index, the cluster, the endpoint hosts and the mirrored percent.
patch_mirrors := [entry |
	all_clusters := clusters
	some [res, i, patch] in _patches
	object.get(patch, "type", "") == route_resource_type
	operation := object.get(patch, "operation", {})
	object.get(operation, "op", "") in {"add", "replace"}
	policies := _policies(object.get(operation, "path", ""), object.get(operation, "value", {}))
	some policy in policies
	is_object(policy)
	target := object.get(policy, "cluster", "")
	cluster := object.get(all_clusters, target, {"places": _unknown_place, "hosts": []})
	entry := {
		"res": res,
		"path": concat("", ["spec.jsonPatches.", format_int(i, 10), ".operation.value"]),
		"target": _cluster_text(target),
		"places": cluster.places,
		"index": i,
		"cluster": target,
		"hosts": cluster.hosts,
		"percent": _mirrored_percent(object.get(policy, ["runtime_fraction", "default_value"], null)),
	}
]

# Envoy's RuntimeFractionalPercent default value as a percent: without one every request is
# mirrored; the denominator is HUNDRED unless it says TEN_THOUSAND or MILLION.
_mirrored_percent(fraction) := (object.get(fraction, "numerator", 0) * 100) / _denominator(fraction) if {
	is_object(fraction)
} else := 100

_denominator(fraction) := 10000 if object.get(fraction, "denominator", "HUNDRED") == "TEN_THOUSAND"
else := 1000000 if object.get(fraction, "denominator", "HUNDRED") == "MILLION"
else := 100

_cluster_text("") := "a cluster the request's header picks (cluster_header)"

_cluster_text(name) := concat("", ["cluster ", name]) if name != ""

# The RequestMirror filters of an HTTPRoute: on a rule, or on one of its backendRefs.
_route_filters := [[res, i, path, filter] |
	some type_token in http_route_types
	some res in inv.resources(input, type_token)
	rule_list := object.get(res.props, ["spec", "rules"], [])
	some i
	rule := rule_list[i]
	some [path, filter] in _rule_filters(rule, concat("", ["spec.rules.", format_int(i, 10)]))
	object.get(filter, "type", "") == "RequestMirror"
]

_rule_filters(rule, base) := array.concat(
	_filters(object.get(rule, "filters", []), base),
	[entry |
		ref_list := object.get(rule, "backendRefs", [])
		some k
		ref := ref_list[k]
		some entry in _filters(
			object.get(ref, "filters", []),
			concat("", [base, ".backendRefs.", format_int(k, 10)]),
		)
	],
)

# (The entry built in the body: rego-cpp 1.5.2 left a head naming an argument empty.)
_filters(filter_list, base) := [entry |
	some j
	f := filter_list[j]
	entry := [concat("", [base, ".filters.", format_int(j, 10)]), f]
]

# One entry per RequestMirror filter, shaped as patch_mirrors' entries (index: the rule's).
route_mirrors := [entry |
	all_backends := data.lib.traffic.backends
	externals := data.lib.traffic.external_names
	some [res, i, path, filter] in _route_filters
	ref := object.get(filter, ["requestMirror", "backendRef"], {})
	ns := data.lib.traffic.namespace(res)
	target := data.lib.traffic.ref_target(ref, ns, all_backends, externals)
	entry := {
		"res": res,
		"path": concat("", [path, ".requestMirror.backendRef"]),
		"target": concat("", [object.get(ref, "kind", "Service"), " ", object.get(ref, "name", "")]),
		"places": target.places,
		"index": i,
		"cluster": object.get(ref, "name", ""),
		"hosts": [host | some [_, host, _] in object.get(target, "endpoints", [])],
		"percent": object.get(filter, ["requestMirror", "percent"], 100),
	}
]

# Every mirror of the plan: res, path, target (text) and the places it sends copies to.
mirrors := array.concat(patch_mirrors, route_mirrors)
