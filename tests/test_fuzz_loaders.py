"""Bounded fuzzing of the loaders (plans in both formats, stack config, waivers): no input
makes them raise anything but the project's one-line errors. The long runs are
``bench/fuzz_loaders.py --examples N``."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from tests.fuzzing import TARGETS

# Enough to cover each strategy's branches in a few seconds on a busy 2-core machine.
EXAMPLES = 150


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_loader_fails_only_with_one_line_errors(name: str) -> None:
    strategy, check = TARGETS[name]

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(strategy)
    def run(value: Any) -> None:
        check(value)

    run()
