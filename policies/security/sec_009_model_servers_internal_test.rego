# SEC-009: the rule's cases, on the builders of security_test.rego.
package security_test

import data.lib.test_kit as kit
import rego.v1

test_sec_009_cluster_ip_model_server_passes if {
	count(kit.fired(_deny(_inventory({})), "SEC-009")) == 0
}

test_sec_009_load_balancer_model_server_denied if {
	service := kit.with_props(_compliant.service, {"spec": {"type": "LoadBalancer"}})
	kit.only_on(_deny(_inventory({"service": service})), "SEC-009", {service.urn})
}

test_sec_009_node_port_model_server_denied if {
	service := kit.with_props(_compliant.service, {"spec": {"type": "NodePort"}})
	kit.only_on(_deny(_inventory({"service": service})), "SEC-009", {service.urn})
}

test_sec_009_other_load_balancers_pass if {
	service := kit.with_props(
		_compliant.service,
		{"metadata": _k8s_meta("envoy", {"servegate.io/role": "gateway"}), "spec": {"type": "LoadBalancer"}},
	)
	count(kit.fired(_deny(_inventory({"service": service})), "SEC-009")) == 0
}

# SEC-009 undecided.
test_sec_009_unknown_service_type_of_a_model_server_undecided if {
	service := kit.with_fields(_compliant.service, {"unknowns": ["spec.type"]})
	gateway_service := kit.with_fields(kit.resource("kubernetes:core/v1:Service", "envoy", {
		"metadata": _k8s_meta("envoy", {"servegate.io/role": "gateway"}),
		"spec": {"type": "LoadBalancer"},
	}), {"unknowns": ["spec.type"]})
	denies := _deny(_inventory({"service": service, "gateway_service": gateway_service}))
	kit.undecided(denies, "SEC-009") == {service.urn}
}

# A Service is judged by the pods it selects, not by our label on it.
test_sec_009_unlabelled_service_selecting_a_model_server_denied if {
	service := kit.with_props(_compliant.service, {
		"metadata": {"name": "llama-8b", "namespace": "serving"},
		"spec": {"type": "LoadBalancer", "selector": {"servegate.io/role": "model-server"}},
	})
	kit.only_on(_deny(_inventory({"service": service})), "SEC-009", {service.urn})
}

test_sec_009_unlabelled_service_selecting_other_pods_allowed if {
	service := kit.with_props(_compliant.service, {
		"metadata": {"name": "other", "namespace": "serving"},
		"spec": {"type": "LoadBalancer", "selector": {"app": "other"}},
	})
	count(kit.fired(_deny(_inventory({"service": service})), "SEC-009")) == 0
}
