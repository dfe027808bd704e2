package audit_test

import rego.v1

# Builders (_inventory_of, _resources, _declared, _deny, _only, ...) are in audit_test.rego.

_declaring(enforcement) := object.union(_declared, {"enforcement": enforcement})

# -- AUD-012 -----------------------------------------------------------------------------------

test_aud_012_enforcement_on_passes if {
	count(_fired(_deny(_inventory_of(_resources({}), _declaring("on"))), "AUD-012")) == 0
}

test_aud_012_no_setting_means_on if {
	count(_fired(_deny(_inventory_of(_resources({}), _declared)), "AUD-012")) == 0
}

test_aud_012_enforcement_off_flagged_on_the_stack if {
	denies := _deny(_inventory_of(_resources({}), _declaring("off")))
	_only(denies, "AUD-012", {_stack.urn})
	some v in denies
	v.path == "declared.enforcement"
	v.value == "off"
	contains(v.message, "llm-serving:enforcement: off")
}
