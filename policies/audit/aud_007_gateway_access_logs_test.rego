# AUD-007: the rule's cases, on the builders of audit_test.rego.
package audit_test

import data.lib.test_kit as kit
import rego.v1

test_aud_007_access_log_settings_pass if {
	count(kit.fired(_deny(_inventory({})), "AUD-007")) == 0
}

test_aud_007_no_access_log_denied if {
	proxy := kit.with_fields(_compliant.envoy_proxy, {"props": {"spec": {"provider": {"type": "Kubernetes"}}}})
	kit.only_on(_deny(_inventory({"envoy_proxy": proxy})), "AUD-007", {proxy.urn})
}

test_aud_007_disabled_access_log_denied if {
	spec := {"telemetry": {"accessLog": {
		"disable": true,
		"settings": _compliant.envoy_proxy.props.spec.telemetry.accessLog.settings,
	}}}
	proxy := kit.with_fields(_compliant.envoy_proxy, {"props": {"spec": spec}})
	kit.only_on(_deny(_inventory({"envoy_proxy": proxy})), "AUD-007", {proxy.urn})
}


# AUD-007 undecided.
test_aud_007_unknown_access_log_settings_undecided if {
	proxy := kit.with_fields(_compliant.envoy_proxy, {"unknowns": ["spec.telemetry.accessLog.settings"]})
	denies := _deny(_inventory({"envoy_proxy": proxy}))
	kit.undecided(denies, "AUD-007") == {proxy.urn}
	count(kit.fired(denies, "AUD-007")) == 0
}
