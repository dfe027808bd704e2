# AUD-009: the rule's cases, on the builders of audit_test.rego.
package audit_test

import data.lib.test_kit as kit
import rego.v1

test_aud_009_known_classification_passes if {
	count(kit.fired(_deny(_inventory({})), "AUD-009")) == 0
}

test_aud_009_unknown_classification_on_resource_denied if {
	vpc := kit.with_fields(_vpc, {"tags": object.union(_stack_tags, {"data-classification": "secret"})})
	kit.only_on(_deny(_inventory({"vpc": vpc})), "AUD-009", {_vpc.urn})
}

test_aud_009_unknown_declared_classification_denied_once_on_stack if {
	tags := object.union(_stack_tags, {"data-classification": "top-secret"})
	declared := object.union(_declared, {"tags": tags})
	resources := [kit.with_fields(res, {"tags": tags}) | some res in _resources({}); startswith(res.type, "aws:")]
	denies := _deny(kit.inventory(resources, declared))
	kit.fired(denies, "AUD-009") == {data.lib.test_kit.stack.urn}
}
