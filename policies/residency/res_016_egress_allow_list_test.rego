# RES-016: the rule's cases, on the traffic kit of lib/test_kit.rego.
package residency_test

import data.lib.test_kit as kit
import rego.v1

_t016_public := {"servegate.io/classifications": "public"}

_t016_openai := kit.traffic_backend("openai", "api.openai.com", _t016_public)

_t016_with_egress(generated, targets) := array.concat(
	array.concat(
		kit.traffic_stack("ca-central-1"),
		kit.external_backend("openai", "api.openai.com", "OpenAI", _t016_public),
	),
	array.concat([_t016_group(generated, targets)], kit.firewall_for(_t016_group(generated, targets))),
)

_t016_group(generated, targets) := kit.firewall_rule_group("egress-allow", generated, targets)

_t016_fired(resources, declared) := {[d.urn, d.path] |
	some d in kit.denials("residency", kit.inventory(resources, declared))
	d.rule_id == "RES-016"
}

_t016_open_sovereign := kit.traffic_declared(true, false)

test_res_016_exact_allow_list_allowed if {
	count(_t016_fired(_t016_with_egress("ALLOWLIST", ["api.openai.com"]), _t016_open_sovereign)) == 0
}

test_res_016_internet_backend_without_egress_path_denied if {
	stack := array.concat(kit.traffic_stack("ca-central-1"), [_t016_openai])
	_t016_fired(stack, _t016_open_sovereign) == {[_t016_openai.urn, "spec.endpoints.0"]}
}

test_res_016_privatelink_backend_needs_no_egress_path if {
	count(_t016_fired(kit.traffic_stack("ca-central-1"), _t016_open_sovereign)) == 0
}

test_res_016_allow_list_of_a_detached_rule_group_is_no_path if {
	group := _t016_group("ALLOWLIST", ["api.openai.com"])
	stack := array.concat(array.concat(kit.traffic_stack("ca-central-1"), [_t016_openai]), [group])
	_t016_fired(stack, _t016_open_sovereign) == {[_t016_openai.urn, "spec.endpoints.0"]}
}

test_res_016_allow_list_without_the_hostname_denied if {
	stack := _t016_with_egress("ALLOWLIST", ["api.anthropic.com"])
	_t016_fired(stack, _t016_open_sovereign) == {
		[_t016_openai.urn, "spec.endpoints.0"],
		[_t016_group("ALLOWLIST", []).urn, "ruleGroup.rulesSource.rulesSourceList.targets.0"],
	}
}

test_res_016_wildcard_target_denied if {
	stack := _t016_with_egress("ALLOWLIST", ["api.openai.com", ".openai.com"])
	group := _t016_group("ALLOWLIST", [])
	_t016_fired(stack, _t016_open_sovereign) == {[group.urn, "ruleGroup.rulesSource.rulesSourceList.targets.1"]}
	some d in kit.denials("residency", kit.inventory(stack, _t016_open_sovereign))
	d.rule_id == "RES-016"
	d.message == concat("", [
		"Network Firewall rule group egress-allow allows .openai.com: ",
		"a wildcard admits every matching domain, not one backend",
	])
}

test_res_016_star_and_empty_targets_denied if {
	stack := _t016_with_egress("ALLOWLIST", ["api.openai.com", "*.openai.com", " "])
	group := _t016_group("ALLOWLIST", [])
	_t016_fired(stack, _t016_open_sovereign) == {
		[group.urn, "ruleGroup.rulesSource.rulesSourceList.targets.1"],
		[group.urn, "ruleGroup.rulesSource.rulesSourceList.targets.2"],
	}
}

test_res_016_parent_domain_denied if {
	stack := _t016_with_egress("ALLOWLIST", ["api.openai.com", "openai.com"])
	group := _t016_group("ALLOWLIST", [])
	_t016_fired(stack, _t016_open_sovereign) == {[group.urn, "ruleGroup.rulesSource.rulesSourceList.targets.1"]}
}

test_res_016_broad_allow_list_denied_in_an_air_gapped_stack_too if {
	stack := _t016_with_egress("ALLOWLIST", [".amazonaws.com"])
	group := _t016_group("ALLOWLIST", [])
	finding := [group.urn, "ruleGroup.rulesSource.rulesSourceList.targets.0"]
	_t016_fired(stack, kit.traffic_declared(true, true)) == {finding}
}

test_res_016_denylist_denied if {
	stack := _t016_with_egress("DENYLIST", ["evil.example.com"])
	group := _t016_group("DENYLIST", [])
	_t016_fired(stack, _t016_open_sovereign) == {
		[_t016_openai.urn, "spec.endpoints.0"],
		[group.urn, "ruleGroup.rulesSource.rulesSourceList.generatedRulesType"],
	}
}

test_res_016_open_stack_not_judged if {
	stack := array.concat(_t016_with_egress("DENYLIST", [".openai.com"]), [_t016_openai])
	count(_t016_fired(stack, kit.traffic_declared(false, false))) == 0
}

test_res_016_jwks_issuer_of_the_gateway_may_be_listed if {
	jwt := kit.resource("kubernetes:gateway.envoyproxy.io/v1alpha1:SecurityPolicy", "oidc", {
		"metadata": {"name": "oidc", "namespace": "llm-gateway"},
		"spec": {"jwt": {"providers": [{"name": "oidc", "remoteJWKS": {
			"uri": "https://id.example.ca/realms/llm/.well-known/jwks.json",
		}}]}},
	})
	stack := array.concat(_t016_with_egress("ALLOWLIST", ["api.openai.com", "id.example.ca"]), [jwt])
	count(_t016_fired(stack, _t016_open_sovereign)) == 0
	group := _t016_group("ALLOWLIST", [])
	_t016_fired(_t016_with_egress("ALLOWLIST", ["api.openai.com", "id.example.ca"]), _t016_open_sovereign) == {
		[group.urn, "ruleGroup.rulesSource.rulesSourceList.targets.1"],
	}
}
