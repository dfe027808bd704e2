# SEC-011: the rule's cases, on the builders of security_test.rego.
package security_test

import data.lib.test_kit as kit
import rego.v1

test_sec_011_rotating_key_passes if {
	count(kit.fired(_deny(_inventory({})), "SEC-011")) == 0
}

test_sec_011_key_without_rotation_denied if {
	key := kit.with_fields(_compliant.key, {"props": {}})
	kit.only_on(_deny(_inventory({"key": key})), "SEC-011", {key.urn})
}


# SEC-011 undecided.
test_sec_011_unknown_rotation_undecided if {
	key := kit.with_fields(_compliant.key, {"unknowns": ["enableKeyRotation"]})
	denies := _deny(_inventory({"key": key}))
	kit.undecided(denies, "SEC-011") == {key.urn}
}
