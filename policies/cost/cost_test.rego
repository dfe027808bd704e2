package cost_test

import data.cost
import data.lib.cost as model
import rego.v1

# -- builders: a prod-ca-like stack in ca-central-1 ----------------------------------------------
#
# Monthly cost at ca-central-1 prices (730 hours), min / max:
#   system nodes  2 x m6i.large at 0.107                        156.22 /    156.22
#   GPU l4        3-6 x g6.xlarge at 0.89                      1949.10 /   3898.20
#   GPU l40s      2-3 x g6e.12xlarge at 11.64                 16994.40 /  25491.60
#   EKS 1.33      support tier unknown: 0.10 / 0.60              73.00 /    438.00
#   2 interface endpoints x 3 AZs at 0.011 (the S3 gateway endpoint is free)  48.18 / 48.18
#   the gateway's NLB: 0.02475 + 1-2 LCU at 0.0066               22.89 /     27.70
#   1 log group, 5-50 GB/month kept 400 days (0.55 in, 0.033 stored)  4.92 / 49.20
#   1 bucket, 1-20 GB/month kept 12 months at 0.025               0.30 /      6.00
#   total                                                     19249.01 /  30115.10

_stack := {
	"project": "llm-serving", "name": "prod-ca", "source": "offline", "region": "ca-central-1",
	"urn": "urn:pulumi:prod-ca::llm-serving::pulumi:pulumi:Stack::llm-serving-prod-ca",
}

_declared := {
	"environment": "prod",
	"residency": {"zone": "ca", "sovereign": true, "airGapped": true},
	"sla": {"availability": 99.9},
	"budget": {"monthlyUsd": 31000},
	"tags": {},
	"gateway": {"internetFacing": false},
	"registry": {"images": null, "charts": null},
}

# concat, not sprintf: regopy 1.5.2 keeps the quotes of string literals passed to functions in %s.
_urn(type_token, name) := concat("::", ["urn:pulumi:prod-ca", "llm-serving", type_token, name])

_resource(type_token, name, props) := {
	"urn": _urn(type_token, name), "type": type_token, "name": name, "parent": null,
	"op": "create", "custom": true, "region": "ca-central-1", "provider": {},
	"props": props, "unknowns": [], "deps": {}, "tags": {},
}

_group(name, instance_type, min_size, max_size, role) := _resource("aws:eks/nodeGroup:NodeGroup", name, {
	"nodeGroupName": name, "instanceTypes": [instance_type], "amiType": "AL2023_x86_64_STANDARD",
	"capacityType": "ON_DEMAND", "scalingConfig": {"minSize": min_size, "maxSize": max_size, "desiredSize": min_size},
	"labels": {"servegate.io/role": role},
})

_system := _group("system", "m6i.large", 2, 2, "system")

_l4 := _group("l4", "g6.xlarge", 3, 6, "gpu")

_l40s := _group("l40s", "g6e.12xlarge", 2, 3, "gpu")

_cluster := _resource("aws:eks/cluster:Cluster", "eks", {"version": "1.33", "name": "eks"})

_subnets := [_urn("aws:ec2/subnet:Subnet", "a"), _urn("aws:ec2/subnet:Subnet", "b"), _urn("aws:ec2/subnet:Subnet", "d")]

_endpoint(name, endpoint_type) := json.patch(
	_resource("aws:ec2/vpcEndpoint:VpcEndpoint", name, {
		"vpcEndpointType": endpoint_type,
		"serviceName": concat(".", ["com.amazonaws.ca-central-1", name]),
		"subnetIds": ["subnet-a", "subnet-b", "subnet-d"],
	}),
	[{"op": "replace", "path": "/deps", "value": {"subnetIds": _subnets}}],
)

_gateway_class := _resource("kubernetes:gateway.networking.k8s.io/v1:GatewayClass", "class", {
	"metadata": {"name": "gw-class"},
	"spec": {
		"controllerName": "gateway.envoyproxy.io/gatewayclass-controller",
		"parametersRef": {"group": "gateway.envoyproxy.io", "kind": "EnvoyProxy", "name": "proxy", "namespace": "llm-gateway"},
	},
})

_envoy_proxy(service_type) := _resource("kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy", "proxy", {
	"metadata": {"name": "proxy", "namespace": "llm-gateway"},
	"spec": {"provider": {"type": "Kubernetes", "kubernetes": {"envoyService": {"type": service_type}}}},
})

_gateway := _resource("kubernetes:gateway.networking.k8s.io/v1:Gateway", "gateway", {
	"metadata": {"name": "gateway", "namespace": "llm-gateway"},
	"spec": {"gatewayClassName": "gw-class", "listeners": []},
})

_log_group := _resource("aws:cloudwatch/logGroup:LogGroup", "logs", {"retentionInDays": 400})

_bucket := _resource("aws:s3/bucket:Bucket", "audit", {})

_compliant := [
	_system, _l4, _l40s, _cluster,
	_endpoint("sts", "Interface"), _endpoint("ecr.api", "Interface"), _endpoint("s3", "Gateway"),
	_gateway_class, _envoy_proxy("LoadBalancer"), _gateway, _log_group, _bucket,
]

_inventory_with(resources, declared) := {
	"stack": _stack,
	"declared": declared,
	"resources": resources,
	"by_type": {t: [i | some i; resources[i].type == t] | some r in resources; t := r.type},
}

# Input is replaced key by key: regopy 1.5.2 crashes on `with input as <object>` once a rule
# hands input to a function, and regorus wants a local rather than a rule reference there.
_denials(resources, declared) := denials if {
	inventory := _inventory_with(resources, declared)
	denials := cost.deny with input.stack as inventory.stack
		with input.declared as inventory.declared
		with input.resources as inventory.resources
		with input.by_type as inventory.by_type
}

_estimate(resources) := estimate if {
	inventory := _inventory_with(resources, _declared)
	estimate := model.estimate with input.stack as inventory.stack
		with input.resources as inventory.resources
		with input.by_type as inventory.by_type
}

_budget(amount) := json.patch(_declared, [{"op": "replace", "path": "/budget/monthlyUsd", "value": amount}])

_only(denials, rule_id, urn) if {
	{[d.rule_id, d.urn] | some d in denials} == {[rule_id, urn]}
}

_replace(resources, old, new) := [r | some x in resources; r := _swap(x, old, new)]

_swap(x, old, new) := new if x.urn == old.urn

_swap(x, old, _) := x if x.urn != old.urn

# -- the estimate --------------------------------------------------------------------------------

test_estimate_lists_every_kind if {
	estimate := _estimate(_compliant)
	estimate.by_kind == {
		"gpu_nodes": [1894350, 2938980],
		"system_nodes": [15622, 15622],
		"eks_control_plane": [7300, 43800],
		"nat_gateways": [0, 0],
		"interface_endpoints": [4818, 4818],
		"load_balancers": [2289, 2770],
		"log_storage": [522, 5520],
	}
	estimate.min_cents == 1924901
	estimate.max_cents == 3011510
	estimate.unpriced == []
	estimate.undecided == []
}

test_estimate_nat_gateways_per_gateway if {
	nat := _resource("aws:ec2/natGateway:NatGateway", "nat-a", {"connectivityType": "public"})
	nat_b := json.patch(nat, [{"op": "replace", "path": "/urn", "value": _urn("aws:ec2/natGateway:NatGateway", "nat-b")}])
	# 2 x 0.05 x 730
	_estimate(array.concat(_compliant, [nat, nat_b])).by_kind.nat_gateways == [7300, 7300]
}

test_estimate_interface_endpoint_per_availability_zone if {
	endpoint := _endpoint("sts", "Interface")
	two_zones := json.patch(endpoint, [
		{"op": "replace", "path": "/deps/subnetIds", "value": array.slice(_subnets, 0, 2)},
		{"op": "replace", "path": "/props/subnetIds", "value": ["subnet-a", "subnet-b"]},
	])
	# sts in 2 AZs (16.06) + ecr.api in 3 AZs (24.09)
	_estimate(_replace(_compliant, endpoint, two_zones)).by_kind.interface_endpoints == [4015, 4015]
}

test_estimate_service_of_type_load_balancer_counts if {
	service := _resource("kubernetes:core/v1:Service", "public", {"spec": {"type": "LoadBalancer"}})
	cluster_ip := _resource("kubernetes:core/v1:Service", "internal", {"spec": {"type": "ClusterIP"}})
	_estimate(array.concat(_compliant, [service, cluster_ip])).by_kind.load_balancers == [4578, 5540]
}

test_estimate_envoy_proxy_without_load_balancer_service_costs_nothing if {
	cluster_ip := _envoy_proxy("ClusterIP")
	_estimate(_replace(_compliant, _envoy_proxy("LoadBalancer"), cluster_ip)).by_kind.load_balancers == [0, 0]
}

test_estimate_envoy_gateway_defaults_to_a_load_balancer if {
	# No EnvoyProxy at all: Envoy Gateway's default Service type is LoadBalancer.
	without := [r | some r in _compliant; r.type != "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy"]
	_estimate(without).by_kind.load_balancers == [2289, 2770]
}

test_estimate_gateway_of_another_controller_not_counted if {
	other := json.patch(_gateway_class, [{"op": "replace", "path": "/props/spec/controllerName", "value": "example.com/other"}])
	_estimate(_replace(_compliant, _gateway_class, other)).by_kind.load_balancers == [0, 0]
}

test_estimate_log_group_without_retention_counts_the_horizon if {
	forever := json.patch(_log_group, [{"op": "remove", "path": "/props/retentionInDays"}])
	# 5 x 0.55 + 5 x 12 x 0.033 = 4.73; 50 x 0.55 + 50 x 12 x 0.033 = 47.30; plus the bucket
	_estimate(_replace(_compliant, _log_group, forever)).by_kind.log_storage == [503, 5330]
}

test_estimate_extended_support_on_the_evaluation_date if {
	inventory := _inventory_with(_compliant, _declared)
	versions := {"versions": {"1.33": {"endOfStandardSupport": "2026-07-29"}}}
	after := model.estimate with input.stack as inventory.stack
		with input.resources as inventory.resources
		with input.by_type as inventory.by_type
		with input.evaluation as {"as_of": "2026-12-01"}
		with data.params.eks_versions as versions
	after.by_kind.eks_control_plane == [43800, 43800]
	before := model.estimate with input.stack as inventory.stack
		with input.resources as inventory.resources
		with input.by_type as inventory.by_type
		with input.evaluation as {"as_of": "2026-07-28"}
		with data.params.eks_versions as versions
	before.by_kind.eks_control_plane == [7300, 7300]
}

test_estimate_standard_upgrade_policy_never_extended if {
	standard := json.patch(_cluster, [{"op": "add", "path": "/props/upgradePolicy", "value": {"supportType": "STANDARD"}}])
	_estimate(_replace(_compliant, _cluster, standard)).by_kind.eks_control_plane == [7300, 7300]
}

test_estimate_priced_in_the_resource_region if {
	moved := json.patch(_l4, [{"op": "replace", "path": "/region", "value": "eu-central-1"}])
	# 3-6 x g6.xlarge at 0.98 in eu-central-1, plus l40s
	_estimate(_replace(_compliant, _l4, moved)).by_kind.gpu_nodes == [1914060, 2978400]
}

# -- COST-001 ------------------------------------------------------------------------------------

test_compliant_stack_has_no_findings if {
	count(_denials(_compliant, _declared)) == 0
}

test_cost_001_within_budget_allowed if {
	count(_denials(_compliant, _budget(30115.10))) == 0
}

test_cost_001_over_budget_denied if {
	denials := _denials(_compliant, _budget(30115))
	_only(denials, "COST-001", _stack.urn)
	some d in denials
	d.type == "pulumi:pulumi:Stack"
	d.message == concat("", [
		"estimated monthly cost at maximum scale is 30115.10 USD (GPU nodes 29389.80, system nodes 156.22, ",
		"EKS control plane 438.00, interface endpoints 48.18, load balancers 27.70, log storage 55.20), ",
		"over the declared budget of 30115.00 USD",
	])
}

test_cost_001_evidence_carries_estimate_and_budget_apart if {
	some d in _denials(_compliant, _budget(30000))
	d.path == "estimate.monthlyUsd.max"
	d.value == 30115.1
	d.limit == {"path": "declared.budget.monthlyUsd", "value": 30000}
}

test_cost_001_larger_pool_denied if {
	bigger := json.patch(_l4, [{"op": "replace", "path": "/props/scalingConfig/maxSize", "value": 8}])
	_only(_denials(_replace(_compliant, _l4, bigger), _declared), "COST-001", _stack.urn)
}

test_cost_001_more_than_gpus_counted if {
	# GPU nodes alone (29,389.80) fit 30,000; the rest of the stack does not.
	_only(_denials(_compliant, _budget(30000)), "COST-001", _stack.urn)
}

test_cost_001_unknown_max_size_undecided if {
	unknown := json.patch(_l4, [{"op": "replace", "path": "/props/scalingConfig/maxSize", "value": "04da6b54-80e4-46f7-96ec-b56ff0331ba9"}])
	some d in _denials(_replace(_compliant, _l4, unknown), _declared)
	d.rule_id == "COST-001"
	d.urn == unknown.urn
	d.path == "scalingConfig.maxSize"
	d.undecided == true
}

test_cost_001_unknown_endpoint_subnets_undecided if {
	endpoint := _endpoint("sts", "Interface")
	unknown := json.patch(endpoint, [
		{"op": "replace", "path": "/props/subnetIds", "value": "04da6b54-80e4-46f7-96ec-b56ff0331ba9"},
		{"op": "replace", "path": "/deps", "value": {}},
	])
	some d in _denials(_replace(_compliant, endpoint, unknown), _declared)
	d.rule_id == "COST-001"
	d.urn == unknown.urn
	d.path == "subnetIds"
	d.undecided == true
}

# -- COST-002 ------------------------------------------------------------------------------------

test_cost_002_priced_types_allowed if {
	count({d | some d in _denials(_compliant, _declared); d.rule_id == "COST-002"}) == 0
}

test_cost_002_unpriced_type_reported if {
	unpriced := json.patch(_l40s, [
		{"op": "replace", "path": "/props/instanceTypes", "value": ["p5.48xlarge"]},
		{"op": "replace", "path": "/region", "value": "ca-west-1"},
	])
	denials := _denials(_replace(_compliant, _l40s, unpriced), _declared)
	_only(denials, "COST-002", unpriced.urn)
	some d in denials
	contains(d.message, "p5.48xlarge")
	contains(d.message, "ca-west-1")
	d.path == "instanceTypes"
}

test_cost_002_every_priced_kind_reported_in_an_unpriced_region if {
	nat := _resource("aws:ec2/natGateway:NatGateway", "nat", {})
	service := _resource("kubernetes:core/v1:Service", "public", {"spec": {"type": "LoadBalancer"}})
	resources := array.concat(_compliant, [nat, service])
	moved := [json.patch(r, [{"op": "replace", "path": "/region", "value": "ap-south-2"}]) | some r in resources]
	reported := {d.urn | some d in _denials(moved, _declared); d.rule_id == "COST-002"}
	# Gateway endpoints and Kubernetes objects other than LoadBalancer Services price nothing.
	priced := {r.urn |
		some r in moved
		not r.urn in {_endpoint("s3", "Gateway").urn, _gateway_class.urn, _envoy_proxy("LoadBalancer").urn}
	}
	reported == priced
}

# -- COST-003 ------------------------------------------------------------------------------------

test_cost_003_budget_declared_allowed if {
	count({d | some d in _denials(_compliant, _declared); d.rule_id == "COST-003"}) == 0
}

test_cost_003_no_budget_reported if {
	declared := json.patch(_declared, [{"op": "replace", "path": "/budget", "value": null}])
	_only(_denials(_compliant, declared), "COST-003", _stack.urn)
}
