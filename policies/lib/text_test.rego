package lib.text_test

import data.lib.inventory as inv
import rego.v1

# Message text is the same on every engine (the agreement test compares messages word for word).

test_strings_are_shown_as_they_are if {
	inv.text("<b>&amp;</b>") == "<b>&amp;</b>"
	inv.text("") == ""
}

test_whole_numbers_have_no_fraction if {
	inv.text(2) == "2"
	inv.text(2.0) == "2"
	inv.text(-3) == "-3"
	inv.text(1000000.0) == "1000000"
}

test_other_numbers_have_at_most_six_decimals if {
	inv.text(99.95) == "99.95"
	inv.text(-2.5) == "-2.5"
	inv.text(0.1) == "0.1"
	inv.text(123456.789) == "123456.789"
	inv.text(0.0000015) == "0.000002"
	inv.text(0.00000015) == "0"
	inv.text(-0.00000015) == "0"
	inv.text(2.9999999) == "3"
}

test_collections_are_shown_one_level_deep if {
	inv.text(["a", 1.5, 2.0, null, true, [1], {"k": 1}]) == `["a", 1.5, 2, null, true, [...], {...}]`
	inv.text({"b": "<&>", "a": 0.5}) == `{"a": 0.5, "b": "<&>"}`
	inv.text({"x", "y"}) == `["x", "y"]`
	inv.text([]) == "[]"
}

test_booleans_and_null_as_json_writes_them if {
	inv.text(true) == "true"
	inv.text(null) == "null"
}
