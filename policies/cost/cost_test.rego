# The cost rules' shared test builders (a compliant stack and its parts), on lib.test_kit; each
# rule's cases are in <id>_<slug>_test.rego beside the rule.
package cost_test

import data.lib.cost as model
import data.lib.test_kit as kit
import rego.v1

_denials(resources, declared) := kit.denials("cost", kit.inventory(resources, declared))

_declared := {
	"environment": "prod",
	"residency": {"zone": "ca", "sovereign": true, "airGapped": true},
	"sla": {"availability": 99.9},
	"budget": {"monthlyUsd": 31000},
	"tags": {},
	"gateway": {"internetFacing": false},
	"registry": {"images": null, "charts": null},
}

_group(name, instance_type, min_size, max_size, role) := kit.resource("aws:eks/nodeGroup:NodeGroup", name, {
	"nodeGroupName": name, "instanceTypes": [instance_type], "amiType": "AL2023_x86_64_STANDARD",
	"capacityType": "ON_DEMAND", "scalingConfig": {"minSize": min_size, "maxSize": max_size, "desiredSize": min_size},
	"labels": {"servegate.io/role": role},
})

_system := _group("system", "m6i.large", 2, 2, "system")

_l4 := _group("l4", "g6.xlarge", 3, 6, "gpu")

_l40s := _group("l40s", "g6e.12xlarge", 2, 3, "gpu")

_cluster := kit.resource("aws:eks/cluster:Cluster", "eks", {"version": "1.33", "name": "eks"})

_subnets := [
	kit.urn("aws:ec2/subnet:Subnet", "a"),
	kit.urn("aws:ec2/subnet:Subnet", "b"),
	kit.urn("aws:ec2/subnet:Subnet", "d"),
]

_endpoint(name, endpoint_type) := json.patch(
	kit.resource("aws:ec2/vpcEndpoint:VpcEndpoint", name, {
		"vpcEndpointType": endpoint_type,
		"serviceName": concat(".", ["com.amazonaws.ca-central-1", name]),
		"subnetIds": ["subnet-a", "subnet-b", "subnet-d"],
	}),
	[{"op": "replace", "path": "/deps", "value": {"subnetIds": _subnets}}],
)

_gateway_class := kit.resource("kubernetes:gateway.networking.k8s.io/v1:GatewayClass", "class", {
	"metadata": {"name": "gw-class"},
	"spec": {
		"controllerName": "gateway.envoyproxy.io/gatewayclass-controller",
		"parametersRef": {
			"group": "gateway.envoyproxy.io",
			"kind": "EnvoyProxy",
			"name": "proxy",
			"namespace": "llm-gateway",
		},
	},
})

_envoy_proxy(service_type) := kit.resource("kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy", "proxy", {
	"metadata": {"name": "proxy", "namespace": "llm-gateway"},
	"spec": {"provider": {"type": "Kubernetes", "kubernetes": {"envoyService": {"type": service_type}}}},
})

_gateway := kit.resource("kubernetes:gateway.networking.k8s.io/v1:Gateway", "gateway", {
	"metadata": {"name": "gateway", "namespace": "llm-gateway"},
	"spec": {"gatewayClassName": "gw-class", "listeners": []},
})

_log_group := kit.resource("aws:cloudwatch/logGroup:LogGroup", "logs", {"retentionInDays": 400})

_bucket := kit.resource("aws:s3/bucket:Bucket", "audit", {})

_compliant := [
	_system, _l4, _l40s, _cluster,
	_endpoint("sts", "Interface"), _endpoint("ecr.api", "Interface"), _endpoint("s3", "Gateway"),
	_gateway_class, _envoy_proxy("LoadBalancer"), _gateway, _log_group, _bucket,
]

_estimate(resources) := estimate if {
	inventory := kit.inventory(resources, _declared)
	estimate := model.estimate with input.stack as inventory.stack
		with input.resources as inventory.resources
		with input.by_type as inventory.by_type
}

_replace(resources, old, new) := [r | some x in resources; r := _swap(x, old, new)]

_swap(x, old, new) := new if x.urn == old.urn

_swap(x, old, _) := x if x.urn != old.urn

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
	nat := kit.resource("aws:ec2/natGateway:NatGateway", "nat-a", {"connectivityType": "public"})
	nat_b := json.patch(nat, [{
		"op": "replace",
		"path": "/urn",
		"value": kit.urn("aws:ec2/natGateway:NatGateway", "nat-b"),
	}])
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
	service := kit.resource("kubernetes:core/v1:Service", "public", {"spec": {"type": "LoadBalancer"}})
	cluster_ip := kit.resource("kubernetes:core/v1:Service", "internal", {"spec": {"type": "ClusterIP"}})
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
	other := json.patch(
		_gateway_class,
		[{"op": "replace", "path": "/props/spec/controllerName", "value": "example.com/other"}],
	)
	_estimate(_replace(_compliant, _gateway_class, other)).by_kind.load_balancers == [0, 0]
}

test_estimate_log_group_without_retention_counts_the_horizon if {
	forever := json.patch(_log_group, [{"op": "remove", "path": "/props/retentionInDays"}])
	# 5 x 0.55 + 5 x 12 x 0.033 = 4.73; 50 x 0.55 + 50 x 12 x 0.033 = 47.30; plus the bucket
	_estimate(_replace(_compliant, _log_group, forever)).by_kind.log_storage == [503, 5330]
}

test_estimate_extended_support_on_the_evaluation_date if {
	inventory := kit.inventory(_compliant, _declared)
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

test_compliant_stack_has_no_findings if {
	count(_denials(_compliant, _declared)) == 0
}
