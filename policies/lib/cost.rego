# METADATA
# title: Cost estimate
# description: The stack's monthly cost, min (every pool at minSize) to max (at maxSize), from the
#   resources the inventory holds and compliance's prices (policies/data/prices.yaml). The same
#   model as servegate/cost.py, which the preview summary uses; tests/test_cost_parity.py holds the
#   two to the same cents on every shipped stack. Amounts are whole cents, each line item rounded
#   half up, so both sides add the same integers.
package lib.cost

import data.lib.inventory as inv
import rego.v1

_prices := data.params.prices

_hours := data.params.prices.hours_per_month

_assume := data.params.prices.assumptions

# The kinds the estimate lists, in report order, and how messages name them.
kinds := [
	"gpu_nodes", "system_nodes", "eks_control_plane", "nat_gateways",
	"interface_endpoints", "load_balancers", "log_storage",
]

kind_titles := {
	"gpu_nodes": "GPU nodes",
	"system_nodes": "system nodes",
	"eks_control_plane": "EKS control plane",
	"nat_gateways": "NAT gateways",
	"interface_endpoints": "interface endpoints",
	"load_balancers": "load balancers",
	"log_storage": "log storage",
}

cents(amount) := floor((amount * 100) + 0.5)

# Resources without their own region are priced in the stack's region.
region(res) := r if {
	r := object.get(res, "region", null)
	is_string(r)
	r != ""
	r != inv.unknown_value
} else := object.get(input.stack, "region", "")

price(section, reg, key) := _prices[section].regions[reg][key]

_meta(res, key) := object.get(res.props, ["metadata", key], null)

# Type tokens of the input of one Kubernetes group and kind, whatever the API version.
_types(group_prefix, kind_suffix) := [t |
	some t in object.keys(input.by_type)
	startswith(t, group_prefix)
	endswith(t, kind_suffix)
]

# -- nodes ---------------------------------------------------------------------------------------

_node_kind(res) := "gpu_nodes" if {
	inv.node_group_label(res, "servegate.io/role") == "gpu"
} else := "gpu_nodes" if {
	contains(object.get(res.props, "amiType", ""), "NVIDIA")
} else := "system_nodes"

_instance_types(res) := [t | some t in listed; is_string(t)] if {
	listed := object.get(res.props, "instanceTypes", null)
	is_array(listed)
} else := []

_scaling(res, key) := object.get(res.props, ["scalingConfig", key], null)

_node_items contains item if {
	some res in inv.resources(input, "aws:eks/nodeGroup:NodeGroup")
	low := _scaling(res, "minSize")
	is_number(low)
	high := _scaling(res, "maxSize")
	is_number(high)
	types := _instance_types(res)
	count(types) > 0
	reg := region(res)
	rates := [p | some t in types; p := price("ec2_on_demand", reg, t)]
	count(rates) == count(types)
	item := {
		"kind": _node_kind(res), "urn": res.urn,
		"min": cents((inv.smallest(rates) * low) * _hours), "max": cents((inv.largest(rates) * high) * _hours),
	}
}

_node_unpriced contains entry if {
	some res in inv.resources(input, "aws:eks/nodeGroup:NodeGroup")
	reg := region(res)
	some missing in _unpriced_types(res, reg)
	entry := {
		"kind": _node_kind(res), "res": res, "region": reg,
		"missing": concat(".", ["ec2_on_demand.regions", reg, missing]),
		"path": "instanceTypes", "value": object.get(res.props, "instanceTypes", null),
	}
}

_unpriced_types(res, reg) := {t | some t in _instance_types(res); not price("ec2_on_demand", reg, t)} if {
	count(_instance_types(res)) > 0
} else := {"(none)"}

_node_undecided contains entry if {
	some res in inv.resources(input, "aws:eks/nodeGroup:NodeGroup")
	some key in ["minSize", "maxSize"]
	not is_number(_scaling(res, key))
	entry := {"kind": _node_kind(res), "res": res, "path": concat(".", ["scalingConfig", key])}
}

# -- EKS control plane ---------------------------------------------------------------------------

# standard or extended on the evaluation date, from the versions table; undefined when unknown.
support_tier(version) := tier if {
	is_string(version)
	as_of := object.get(input, ["evaluation", "as_of"], "")
	is_string(as_of)
	as_of != ""
	end := data.params.eks_versions.versions[version].endOfStandardSupport
	tier := _tier_on(as_of, end)
}

_tier_on(as_of, end) := "standard" if as_of < end

_tier_on(as_of, end) := "extended" if as_of >= end

# [min, max] hourly rate. A cluster with upgradePolicy STANDARD is upgraded by AWS instead of
# entering extended support; an unknown tier costs standard at the minimum, extended at the max.
_cluster_rates(res, standard, extended) := [standard, standard] if {
	object.get(res.props, ["upgradePolicy", "supportType"], "") == "STANDARD"
} else := [standard, standard] if {
	support_tier(object.get(res.props, "version", null)) == "standard"
} else := [extended, extended] if {
	support_tier(object.get(res.props, "version", null)) == "extended"
} else := [standard, extended]

_cluster_items contains item if {
	some res in inv.resources(input, "aws:eks/cluster:Cluster")
	reg := region(res)
	standard := price("eks_control_plane", reg, "standard")
	extended := price("eks_control_plane", reg, "extended")
	rates := _cluster_rates(res, standard, extended)
	item := {
		"kind": "eks_control_plane", "urn": res.urn,
		"min": cents(rates[0] * _hours), "max": cents(rates[1] * _hours),
	}
}

_cluster_unpriced contains _region_entry("eks_control_plane", res, "eks_control_plane", "") if {
	some res in inv.resources(input, "aws:eks/cluster:Cluster")
	not _cluster_priced(res)
}

_cluster_priced(res) if {
	price("eks_control_plane", region(res), "standard")
	price("eks_control_plane", region(res), "extended")
}

# An unpriced entry for a price the region lacks (key "" names the region's whole row).
_region_entry(kind, res, section, key) := {
	"kind": kind, "res": res, "region": region(res),
	"missing": _missing_path(section, region(res), key),
	"path": "region", "value": region(res),
}

_missing_path(section, reg, key) := concat(".", [section, "regions", reg]) if {
	key == ""
} else := concat(".", [section, "regions", reg, key])

# -- NAT gateways and interface endpoints --------------------------------------------------------

_nat_items contains item if {
	some res in inv.resources(input, "aws:ec2/natGateway:NatGateway")
	hourly := price("nat_gateway", region(res), "hourly")
	item := {"kind": "nat_gateways", "urn": res.urn, "min": cents(hourly * _hours), "max": cents(hourly * _hours)}
}

_nat_unpriced contains _region_entry("nat_gateways", res, "nat_gateway", "hourly") if {
	some res in inv.resources(input, "aws:ec2/natGateway:NatGateway")
	not price("nat_gateway", region(res), "hourly")
}

_interface_endpoints contains res if {
	some res in inv.resources(input, "aws:ec2/vpcEndpoint:VpcEndpoint")
	object.get(res.props, "vpcEndpointType", "") == "Interface"
}

_subnets_unknown(res) if "subnetIds" in object.get(res, "unknowns", [])

_subnets_unknown(res) if object.get(res.props, "subnetIds", null) == inv.unknown_value

_prop_subnets(res) := count(listed) if {
	listed := object.get(res.props, "subnetIds", null)
	is_array(listed)
} else := 0

# One ENI, so one billed Availability Zone, per subnet; undefined when unknown until apply.
_subnet_count(res) := inv.largest([count(inv.dep_urns(res, "subnetIds")), _prop_subnets(res)]) if {
	not _subnets_unknown(res)
}

_subnet_count(res) := n if {
	_subnets_unknown(res)
	n := count(inv.dep_urns(res, "subnetIds"))
	n > 0
}

_endpoint_items contains item if {
	some res in _interface_endpoints
	zones := _subnet_count(res)
	hourly := price("interface_endpoint", region(res), "hourly_per_az")
	usd := (hourly * zones) * _hours
	item := {"kind": "interface_endpoints", "urn": res.urn, "min": cents(usd), "max": cents(usd)}
}

_endpoint_unpriced contains _region_entry("interface_endpoints", res, "interface_endpoint", "hourly_per_az") if {
	some res in _interface_endpoints
	not price("interface_endpoint", region(res), "hourly_per_az")
}

_endpoint_undecided contains {"kind": "interface_endpoints", "res": res, "path": "subnetIds"} if {
	some res in _interface_endpoints
	not _subnet_count(res)
}

# -- load balancers ------------------------------------------------------------------------------

_envoy_controller := "gateway.envoyproxy.io/gatewayclass-controller"

# [name, spec] of every GatewayClass and [[namespace, name], spec] of every EnvoyProxy, built
# once per query; a Gateway looks its class and proxy up in these (the first one of a name).
_gateway_classes := [[_meta(c, "name"), object.get(c.props, "spec", {})] |
	some t in _types("kubernetes:gateway.networking.k8s.io/", ":GatewayClass")
	some c in inv.resources(input, t)
]

_envoy_proxies := [[[_meta(p, "namespace"), _meta(p, "name")], object.get(p.props, "spec", {})] |
	some t in _types("kubernetes:gateway.envoyproxy.io/", ":EnvoyProxy")
	some p in inv.resources(input, t)
]

_class(name) := specs[0] if {
	specs := [pair[1] | some pair in _gateway_classes; pair[0] == name]
	count(specs) > 0
}

_proxy(key) := specs[0] if {
	specs := [pair[1] | some pair in _envoy_proxies; pair[0] == key]
	count(specs) > 0
} else := {}

# The EnvoyProxy a Gateway's Envoy Service follows: the Gateway's own, else its class's.
_proxy_key(gateway, spec, class) := [_meta(gateway, "namespace"), object.get(ref, "name", null)] if {
	ref := object.get(spec, ["infrastructure", "parametersRef"], null)
	is_object(ref)
	object.get(ref, "kind", "") == "EnvoyProxy"
} else := [object.get(class, ["parametersRef", "namespace"], null), object.get(class, ["parametersRef", "name"], null)]

# Envoy Gateway gives every Gateway of its class a Service of type LoadBalancer unless the
# EnvoyProxy says otherwise: on EKS, a load balancer each.
_load_balancers contains res if {
	some res in inv.resources(input, "kubernetes:core/v1:Service")
	object.get(res.props, ["spec", "type"], "") == "LoadBalancer"
}

_load_balancers contains gateway if {
	some t in _types("kubernetes:gateway.networking.k8s.io/", ":Gateway")
	some gateway in inv.resources(input, t)
	spec := object.get(gateway.props, "spec", {})
	class := _class(object.get(spec, "gatewayClassName", ""))
	object.get(class, "controllerName", "") == _envoy_controller
	proxy := _proxy(_proxy_key(gateway, spec, class))
	object.get(proxy, ["provider", "kubernetes", "envoyService", "type"], "LoadBalancer") == "LoadBalancer"
}

_load_balancers contains res if {
	some t in ["aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer"]
	some res in inv.resources(input, t)
}

_lb_items contains item if {
	some res in _load_balancers
	reg := region(res)
	hourly := price("load_balancer", reg, "hourly")
	lcu := price("load_balancer", reg, "lcu_hourly")
	item := {
		"kind": "load_balancers", "urn": res.urn,
		"min": cents((hourly + (lcu * _assume.load_balancer_lcu.min)) * _hours),
		"max": cents((hourly + (lcu * _assume.load_balancer_lcu.max)) * _hours),
	}
}

_lb_unpriced contains _region_entry("load_balancers", res, "load_balancer", "") if {
	some res in _load_balancers
	not _lb_priced(res)
}

_lb_priced(res) if {
	price("load_balancer", region(res), "hourly")
	price("load_balancer", region(res), "lcu_hourly")
}

# -- log storage (a stated assumption) -----------------------------------------------------------

# Months of ingest a log group holds: its retention, or the stated horizon when it keeps all.
_stored_months(res) := retention / (_hours / 24) if {
	retention := object.get(res.props, "retentionInDays", null)
	is_number(retention)
	retention > 0
} else := _assume.log_group_unbounded_months

_log_cost(gb, months, ingest_price, storage_price) := (gb * ingest_price) + ((gb * months) * storage_price)

_log_items contains item if {
	some res in inv.resources(input, "aws:cloudwatch/logGroup:LogGroup")
	reg := region(res)
	ingest := price("cloudwatch_logs", reg, "ingest_per_gb")
	storage := price("cloudwatch_logs", reg, "storage_per_gb_month")
	months := _stored_months(res)
	gb := _assume.log_group_ingest_gb_per_month
	item := {
		"kind": "log_storage", "urn": res.urn,
		"min": cents(_log_cost(gb.min, months, ingest, storage)),
		"max": cents(_log_cost(gb.max, months, ingest, storage)),
	}
}

_log_unpriced contains _region_entry("log_storage", res, "cloudwatch_logs", "") if {
	some res in inv.resources(input, "aws:cloudwatch/logGroup:LogGroup")
	not _logs_priced(res)
}

_logs_priced(res) if {
	price("cloudwatch_logs", region(res), "ingest_per_gb")
	price("cloudwatch_logs", region(res), "storage_per_gb_month")
}

_bucket_types := ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"]

_bucket_items contains item if {
	some t in _bucket_types
	some res in inv.resources(input, t)
	rate := price("s3_storage", region(res), "storage_per_gb_month")
	months := _assume.bucket_stored_months
	gb := _assume.bucket_ingest_gb_per_month
	item := {
		"kind": "log_storage", "urn": res.urn,
		"min": cents((gb.min * months) * rate), "max": cents((gb.max * months) * rate),
	}
}

_bucket_unpriced contains _region_entry("log_storage", res, "s3_storage", "storage_per_gb_month") if {
	some t in _bucket_types
	some res in inv.resources(input, t)
	not price("s3_storage", region(res), "storage_per_gb_month")
}

# -- the estimate --------------------------------------------------------------------------------

# Priced line items: {kind, urn, min, max} in cents.
items := union({
	_node_items,
	_cluster_items,
	_nat_items,
	_endpoint_items,
	_lb_items,
	_log_items,
	_bucket_items,
})

# Resources the table cannot price, left out of the estimate: {kind, res, region, missing, path, value}.
unpriced := union({
	_node_unpriced,
	_cluster_unpriced,
	_nat_unpriced,
	_endpoint_unpriced,
	_lb_unpriced,
	_log_unpriced,
	_bucket_unpriced,
})

# Resources whose count is unknown until apply: {kind, res, path}.
undecided := _node_undecided | _endpoint_undecided

# {kind: [min, max]} in cents. A rule rather than a function of the kind: rego-cpp 1.5.2 sums a
# comprehension filtered on a function argument wrongly.
by_kind := {k: [sum([i.min | some i in items; i.kind == k]), sum([i.max | some i in items; i.kind == k])] |
	some k in kinds
}

min_cents := sum([i.min | some i in items])

max_cents := sum([i.max | some i in items])

# The estimate as tests/test_cost_parity.py compares it with servegate/cost.py.
estimate := {
	"min_cents": min_cents,
	"max_cents": max_cents,
	"by_kind": by_kind,
	"unpriced": sort([[u.res.urn, u.kind, u.missing] | some u in unpriced]),
	"undecided": sort([[u.res.urn, u.path] | some u in undecided]),
}

# The budget the stack declares (budget.monthlyUsd), undefined when none is declared: COST-001
# judges the estimate against it, COST-003 requires one.
budget(declared) := declared.budget.monthlyUsd if is_number(declared.budget.monthlyUsd)
