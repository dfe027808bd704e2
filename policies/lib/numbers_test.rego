package lib.numbers_test

import data.lib.inventory as inv
import rego.v1

# Numerically, whatever the engine: rego-cpp 1.5.2 orders numbers as text in max() and min().
test_largest_and_smallest_compare_numbers_not_text if {
	inv.largest([9, 100]) == 100
	inv.largest([9.5, 100, 10]) == 100
	inv.smallest([9.5, 100]) == 9.5
	inv.smallest({3, 20, 100}) == 3
}

test_largest_of_equal_numbers_is_that_number if {
	inv.largest([2, 2]) == 2
	inv.smallest([0.5, 0.5]) == 0.5
}
