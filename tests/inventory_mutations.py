"""Hypothesis strategies for inventories another tool could have written: the shipped stacks'
realistic resources with missing keys, nulls, floats, odd strings and unknown values.

Every mutation keeps the inventory inside its contract (servegate/schemas/inventory.schema.json)
where the normalizer guarantees it (a resource's urn, type and name; by_type), and leaves
everything a plan or a stack config decides free: props at any depth, tags, deps, region,
provider, op, and the declared facts. Used by tests/test_engine_agreement.py (bounded, in CI)
and bench/agree_engines.py (long runs).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from hypothesis import strategies as st

from servegate.plan.ops import STEP_OPS
from servegate.plan.unknowns import UNKNOWN
from tests import stacks

# Strings another tool may write where ours writes something well-formed: empty, blank,
# booleans and numbers as text, regions of other zones, wildcards, quotes, backslashes, HTML
# characters and separators JSON encoders escape differently (Go escapes <, >, & and U+2028).
ODD_STRINGS = (
    "",
    " ",
    "true",
    "False",
    "1",
    "2.0",
    "ca-central-1",
    "us-east-1",
    "*",
    "0.0.0.0/0",
    '"quoted"',
    "a\\b",
    "<b>&amp;</b>",
    "line\u2028separator",
    "é\u202e",
    "[secret]",
    "urn:pulumi:x",
    UNKNOWN,
)
odd_strings = st.sampled_from(ODD_STRINGS)
numbers = st.one_of(
    st.integers(min_value=-3, max_value=100_000),
    st.sampled_from([0.0, 0.5, 1.0, 2.0, 99.9, 99.95, 1e6, 1.5e-7, 1e21]),
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, odd_strings)
values = st.one_of(
    scalars,
    st.lists(st.one_of(st.none(), numbers, odd_strings), max_size=3),
    st.dictionaries(odd_strings, st.one_of(st.none(), numbers, odd_strings), max_size=2),
)

# Resource fields the normalizer always writes with these names and types: left alone.
_FIXED_FIELDS = frozenset({"urn", "type", "name"})


@dataclass(frozen=True)
class Mutation:
    """One change: ``kind`` applied at the ``path``-th place of the ``target``-th resource
    (``declared`` with ``on_declared``)."""

    kind: str  # delete | null | value | same-float | unknown | copy | op
    target: int
    path: int
    value: Any = None
    on_declared: bool = False


mutations = st.builds(
    Mutation,
    kind=st.sampled_from(["delete", "null", "value", "same-float", "unknown", "copy", "op"]),
    target=st.integers(0, 2**16),
    path=st.integers(0, 2**16),
    value=values | st.sampled_from(sorted(STEP_OPS)),
    on_declared=st.integers(0, 9).map(lambda n: n == 0),
)


@cache
def _base(stack: str) -> dict[str, Any]:
    return stacks.inventory(stack)


def inventories() -> st.SearchStrategy[tuple[str, list[Mutation]]]:
    """A shipped stack's name and the mutations to apply to a copy of its inventory."""
    return st.tuples(st.sampled_from(stacks.SHIPPED), st.lists(mutations, min_size=1, max_size=40))


def mutated(stack: str, changes: list[Mutation]) -> dict[str, Any]:
    inventory = copy.deepcopy(_base(stack))
    for change in changes:
        _apply(inventory, change)
    return inventory


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place inside ``value`` (the first elements of long lists only)."""
    if isinstance(value, dict):
        for key, child in value.items():
            yield (*prefix, key)
            yield from _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value[:3]):
            yield (*prefix, index)
            yield from _paths(child, (*prefix, index))


def _apply(inventory: dict[str, Any], change: Mutation) -> None:
    resources = inventory["resources"]
    if change.kind == "copy":
        _copy_resource(inventory, change)
        return
    if change.on_declared:
        holder: dict[str, Any] = inventory["declared"]
        places = list(_paths(holder))
    else:
        holder = resources[change.target % len(resources)]
        if change.kind == "op":
            holder["op"] = (
                change.value
                if isinstance(change.value, str) and change.value in STEP_OPS
                else "update"
            )
            return
        places = [p for p in _paths(holder) if p[0] not in _FIXED_FIELDS]
    if not places:
        return
    *parents, last = places[change.path % len(places)]
    node: Any = holder
    for part in parents:
        node = node[part]
    if _allowed(change, parents, last, node[last]):
        _change(holder, node, parents, last, change)


def _allowed(change: Mutation, parents: list[Any], last: Any, current: Any) -> bool:
    """Whether the change keeps the inventory inside what a plan or a config can make of it."""
    if change.on_declared:
        # The stack config is validated: keys may be absent, values keep their JSON type.
        if change.kind == "value":
            return _json_type(change.value) == _json_type(current)
        return change.kind in {"delete", "same-float"} or (
            change.kind == "null" and last in {"sla", "budget"}
        )
    if not parents:
        # A resource's own fields are always written; region, provider and parent may be null.
        if change.kind == "null":
            return last in _NULLABLE_FIELDS
        return last == "region" and change.kind == "value" and isinstance(change.value, str)
    if parents[0] in {"deps", "unknowns"}:
        # Lists of URNs and dotted paths: entries may be missing, never of another type.
        return change.kind == "delete" or (
            change.kind == "value" and isinstance(change.value, str) and parents[0] == "deps"
        )
    return True


_NULLABLE_FIELDS = frozenset({"region", "provider", "parent"})


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return type(value).__name__


def _change(
    holder: dict[str, Any], node: Any, parents: list[Any], last: Any, change: Mutation
) -> None:
    current = node[last]
    if change.kind == "delete":
        if isinstance(node, dict):
            del node[last]
        else:
            node.pop(last)
    elif change.kind == "null":
        node[last] = None
    elif change.kind == "same-float":
        # The same number written as a float (2 -> 2.0), as JSON from another tool may be.
        if isinstance(current, int) and not isinstance(current, bool):
            node[last] = float(current)
    elif change.kind == "unknown":
        node[last] = UNKNOWN
        if not change.on_declared and parents[:1] == ["props"]:
            holder["unknowns"].append(".".join(str(p) for p in (*parents[1:], last)))
    elif change.kind == "value":
        node[last] = copy.deepcopy(change.value)


def _copy_resource(inventory: dict[str, Any], change: Mutation) -> None:
    """A realistic resource of any shipped stack, added under a new URN (a hand-written or
    imported resource beside the components' own)."""
    source = _base(stacks.SHIPPED[change.target % len(stacks.SHIPPED)])["resources"]
    resource = copy.deepcopy(source[change.path % len(source)])
    index = len(inventory["resources"])
    resource["urn"] = f"{resource['urn']}-copy{index}"
    resource["name"] = f"{resource['name']}-copy{index}"
    inventory["resources"].append(resource)
    inventory["by_type"].setdefault(resource["type"], []).append(index)
