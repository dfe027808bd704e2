package audit_test

import data.lib.test_kit as kit
import rego.v1

# Builders (_resources, _declared, _deny, ...) are in audit_test.rego.

_declaring(enforcement) := object.union(_declared, {"enforcement": enforcement})

_enforcement_inventory(declared) := kit.inventory(_resources({}), declared)

# -- AUD-012 -----------------------------------------------------------------------------------

test_aud_012_enforcement_on_passes if {
	count(kit.fired(_deny(_enforcement_inventory(_declaring("on"))), "AUD-012")) == 0
}

test_aud_012_no_setting_means_on if {
	count(kit.fired(_deny(_enforcement_inventory(_declared)), "AUD-012")) == 0
}

test_aud_012_enforcement_off_flagged_on_the_stack if {
	denies := _deny(_enforcement_inventory(_declaring("off")))
	kit.only_on(denies, "AUD-012", {data.lib.test_kit.stack.urn})
	some v in denies
	v.rule_id == "AUD-012"
	v.path == "declared.enforcement"
	v.value == "off"
	contains(v.message, "llm-serving:enforcement: off")
}
