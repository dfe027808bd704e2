"""The official OPA engine (opa-go) is the reference for Rego semantics: regorus must judge
exactly as it does — rule, resource, message and evidence — on every shipped stack and on
inventories another tool could have written (tests/inventory_mutations.py: missing keys,
nulls, floats, odd strings, unknown values, resources copied between stacks).
(tests/test_engine_parity.py does the same on a plan violating nearly every rule.)

Both engines failing to judge one inventory (exit 2 on both) counts as agreeing: the gate's
decision is the same. One engine judging where the other cannot does not.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, Phase, given, settings

from components import catalog
from servegate.engines import Engine, get_engine
from servegate.policy.bundle import load_bundle
from tests import stacks
from tests.agreement import CouldNotJudge, differences, outcome
from tests.inventory_mutations import Mutation, inventories, mutated

BUNDLE = load_bundle(catalog.PROJECT_ROOT / "policies")
# Bounded for CI (derandomized: the same examples on every run, about a minute on a busy
# 2-core machine); bench/agree_engines.py --examples N runs longer searches.
EXAMPLES = 120


@pytest.fixture(scope="module")
def engines() -> Iterator[dict[str, Engine]]:
    pair = {name: get_engine(name, timeout_s=300) for name in ("regorus", "opa-go")}
    yield pair
    for engine in pair.values():
        close = getattr(engine, "close", None)
        if close is not None:
            close()


@pytest.mark.parametrize("stack", stacks.SHIPPED)
def test_regorus_agrees_with_official_opa_on_every_shipped_stack(
    engines: dict[str, Engine], stack: str
) -> None:
    inventory = stacks.inventory(stack)
    regorus = outcome(engines["regorus"], BUNDLE, inventory)
    opa = outcome(engines["opa-go"], BUNDLE, inventory)
    assert not isinstance(regorus, CouldNotJudge), regorus.error
    assert differences(regorus, opa) == []


@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    # No shrinking: a 40-mutation inventory shrinks for minutes; the difference names the rule
    # and the engine's error names the file and line.
    phases=[Phase.explicit, Phase.generate],
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(inventories())
def test_regorus_agrees_with_official_opa_on_inventories_other_tools_write(
    engines: dict[str, Engine], case: tuple[str, list[Mutation]]
) -> None:
    inventory = mutated(*case)
    regorus = outcome(engines["regorus"], BUNDLE, inventory)
    opa = outcome(engines["opa-go"], BUNDLE, inventory)
    assert differences(regorus, opa) == []
