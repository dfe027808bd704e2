# COST-002: the rule's cases, on the builders of cost_test.rego.
package cost_test

import data.lib.test_kit as kit
import rego.v1

test_cost_002_priced_types_allowed if {
	count({d | some d in _denials(_compliant, _declared); d.rule_id == "COST-002"}) == 0
}

test_cost_002_unpriced_type_reported if {
	unpriced := json.patch(_l40s, [
		{"op": "replace", "path": "/props/instanceTypes", "value": ["p5.48xlarge"]},
		{"op": "replace", "path": "/region", "value": "ca-west-1"},
	])
	denials := _denials(_replace(_compliant, _l40s, unpriced), _declared)
	kit.only(denials, "COST-002", unpriced.urn)
	some d in denials
	contains(d.message, "p5.48xlarge")
	contains(d.message, "ca-west-1")
	d.path == "instanceTypes"
}

test_cost_002_every_priced_kind_reported_in_an_unpriced_region if {
	nat := kit.resource("aws:ec2/natGateway:NatGateway", "nat", {})
	service := kit.resource("kubernetes:core/v1:Service", "public", {"spec": {"type": "LoadBalancer"}})
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
