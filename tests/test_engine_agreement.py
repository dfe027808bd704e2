"""The official OPA engine (opa-go) is the reference for Rego semantics: regorus must find
exactly what it finds — rule, resource, message and evidence — on every shipped stack.
(tests/test_engine_parity.py does the same on a plan violating nearly every rule.)"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from components import catalog
from servegate.engines import Engine, get_engine
from servegate.gate import evaluate
from servegate.policy.bundle import load_bundle
from tests import stacks

BUNDLE = load_bundle(catalog.PROJECT_ROOT / "policies")
STACKS = sorted(
    p.name.removeprefix("Pulumi.").removesuffix(".yaml")
    for p in (catalog.PROJECT_ROOT / "stacks").glob("Pulumi.*.yaml")
)


@pytest.fixture(scope="module")
def engines() -> Iterator[dict[str, Engine]]:
    pair = {name: get_engine(name, timeout_s=300) for name in ("regorus", "opa-go")}
    yield pair
    for engine in pair.values():
        close = getattr(engine, "close", None)
        if close is not None:
            close()


def _findings(engine: Engine, inventory: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    return sorted(
        (f.rule_id, f.resource_urn, f.message, f.evidence.path, json.dumps(f.evidence.value))
        for f in evaluate(inventory, bundle=BUNDLE, engine=engine)
    )


@pytest.mark.parametrize("stack", STACKS)
def test_regorus_agrees_with_official_opa_on_every_shipped_stack(
    engines: dict[str, Engine], stack: str
) -> None:
    inventory = stacks.inventory(stack)
    assert _findings(engines["regorus"], inventory) == _findings(engines["opa-go"], inventory)
