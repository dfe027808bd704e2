# AUD-007: The model gateway writes access logs.
package audit

import data.lib.inventory as inv
import rego.v1

_envoy_proxy_type := "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy"

_access_log(proxy) := object.get(proxy.props, ["spec", "telemetry", "accessLog"], {})

_access_log_off(proxy) if count(object.get(_access_log(proxy), "settings", [])) == 0

_access_log_off(proxy) if inv.truthy(object.get(_access_log(proxy), "disable", false))

# METADATA
# title: The model gateway writes access logs
# description: The gateway is the only entry point to the models; its access log is the record
#   of which client called which model when, needed for abuse and incident investigations.
# custom:
#   id: AUD-007
#   area: audit
#   severity: medium
#   enforcement: mandatory
#   scope: resource
#   resource_types: ["kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy"]
#   parameters: []
#   remediation: Set spec.telemetry.accessLog.settings on the EnvoyProxy (at least one format
#     with a sink) and do not set accessLog.disable.
deny contains v if {
	some proxy in inv.resources(input, _envoy_proxy_type)
	not inv.is_unknown(proxy, "spec.telemetry.accessLog.settings")
	_access_log_off(proxy)
	v := inv.violation(
		"AUD-007", proxy,
		concat("", [
			"EnvoyProxy ",
			proxy.name,
			" writes no access log; spec.telemetry.accessLog.settings must list at least one sink and disable must not be true",
		]),
		"spec.telemetry.accessLog", _access_log(proxy),
	)
}

deny contains v if {
	some proxy in inv.resources(input, _envoy_proxy_type)
	inv.is_unknown(proxy, "spec.telemetry.accessLog.settings")
	v := inv.undecided("AUD-007", proxy, "spec.telemetry.accessLog.settings")
}
