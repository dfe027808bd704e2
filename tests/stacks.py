"""The shipped stacks run offline once per test session (the runs are the slow part)."""

from __future__ import annotations

from functools import cache
from typing import Any

from components import catalog
from components.config import StackSpec, load_stack
from servegate.run import PlannedStack, offline_inventory

SHIPPED = ("dev", "prod-ca", "prod-eu")


@cache
def spec(stack: str) -> StackSpec:
    return load_stack(stack)


@cache
def planned(stack: str) -> PlannedStack:
    return offline_inventory(spec(stack), catalog.PROJECT_ROOT)


def inventory(stack: str) -> dict[str, Any]:
    return planned(stack).inventory


def of_type(stack: str, type_token: str) -> list[dict[str, Any]]:
    inv = inventory(stack)
    return [inv["resources"][i] for i in inv["by_type"].get(type_token, [])]
