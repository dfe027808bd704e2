# RES-016: Internet backends of a sovereign stack go out through an exact FQDN allow-list.
package residency

import data.lib.inventory as inv
import data.lib.residency as residency_lib
import rego.v1

# METADATA
# title: Internet backends leave only through an exact egress allow-list
# description: A sovereign stack that is not air-gapped reaches an internet backend only through
#   a declared egress path, an AWS Network Firewall whose policy uses a stateful ALLOWLIST
#   domain list holding the backend's hostname. In every sovereign stack such an allow-list
#   names exactly the stack's internet backends' hostnames (and the issuers of the remote JWKS
#   its proxies fetch), nothing broader -- a wildcard or
#   leading-dot domain (".openai.com" admits every subdomain), a catch-all, a DENYLIST (which
#   passes everything it does not list) or another host opens the path to more than the
#   backends the residency rules judged.
# custom:
#   id: RES-016
#   area: residency
#   severity: critical
#   enforcement: mandatory
#   scope: stack
#   resource_types: ["kubernetes:gateway.envoyproxy.io/v1alpha1:Backend",
#     "aws:networkfirewall/ruleGroup:RuleGroup"]
#   applies_when: "declared.residency.sovereign != false"
#   not_applicable: not sovereign
#   parameters: []
#   remediation: List each internet backend's exact hostname (externalBackends[].endpoint) in the
#     Network Firewall rule group's targets and nothing else; remove wildcards and parent domains.
deny contains v if {
	residency_lib.sovereign(input.declared)
	not residency_lib.air_gapped(input.declared)
	allowed := data.lib.traffic.egress_allowed
	private := {host | some [host, _] in data.lib.traffic.private_hosts}
	some backend in data.lib.traffic.backends
	some [i, host, p] in backend.endpoints
	p.kind != "cluster"
	not host in private
	not host in allowed
	v := inv.violation(
		"RES-016", backend.res,
		concat("", [
			"Backend ", backend.res.name, " reaches ", inv.text(host),
			" over the internet, but no Network Firewall of the stack allow-lists that hostname; ",
			"declare the egress path with an exact FQDN allow-list",
		]),
		concat(".", ["spec.endpoints", format_int(i, 10)]), host,
	)
}

deny contains v if {
	residency_lib.sovereign(input.declared)
	# The hosts the stack reaches on the internet: its internet backends, and the JWKS issuers
	# its proxies fetch signing keys from.
	backends := data.lib.traffic.internet_hosts(data.lib.traffic.backends, data.lib.traffic.private_hosts)
	internet := backends | data.lib.traffic.jwks_hosts
	some group in inv.resources(input, data.lib.traffic.rule_group_type)
	source_list := object.get(group.props, ["ruleGroup", "rulesSource", "rulesSourceList"], {})
	object.get(source_list, "generatedRulesType", "") == "ALLOWLIST"
	targets := object.get(source_list, "targets", [])
	some k
	target := targets[k]
	reason := _r016_broader(target, internet)
	v := inv.violation(
		"RES-016", group,
		concat("", ["Network Firewall rule group ", group.name, " allows ", inv.text(target), ": ", reason]),
		concat(".", ["ruleGroup.rulesSource.rulesSourceList.targets", format_int(k, 10)]), target,
	)
}

deny contains v if {
	residency_lib.sovereign(input.declared)
	some group in inv.resources(input, data.lib.traffic.rule_group_type)
	source_list := object.get(group.props, ["ruleGroup", "rulesSource", "rulesSourceList"], {})
	object.get(source_list, "generatedRulesType", "") == "DENYLIST"
	v := inv.violation(
		"RES-016", group,
		concat("", [
			"Network Firewall rule group ", group.name,
			" is a DENYLIST, which passes every domain it does not list; a sovereign stack allow-lists exact hostnames",
		]),
		"ruleGroup.rulesSource.rulesSourceList.generatedRulesType", "DENYLIST",
	)
}

_r016_broader(target, internet) := "a wildcard admits every matching domain, not one backend" if {
	_r016_wildcard(target)
} else := "no internet backend or JWKS issuer of the stack has that hostname; list exactly their hostnames" if {
	not target in internet
}

_r016_wildcard(target) if not is_string(target)

_r016_wildcard(target) if startswith(target, ".")

_r016_wildcard(target) if contains(target, "*")

_r016_wildcard(target) if trim_space(target) == ""
