"""The shipped stacks run offline once per test session (the runs are the slow part)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from components import catalog
from components.config import StackSpec, load_stack, read_stack_config, stack_file
from servegate.plan import emit
from servegate.plan.offline import OfflineRun
from servegate.run import PlannedStack, offline_inventory, offline_run


def names(project_dir: Path) -> list[str]:
    """The stacks of a project: one per stacks/Pulumi.<name>.yaml."""
    return sorted(
        path.name.removeprefix("Pulumi.").removesuffix(".yaml")
        for path in (project_dir / "stacks").glob("Pulumi.*.yaml")
    )


# Every stack file, whatever stacks/ holds (a new stack is tested like the shipped ones;
# tests/test_scaffold.py proves it with one).
SHIPPED = tuple(names(catalog.PROJECT_ROOT))


@cache
def spec(stack: str) -> StackSpec:
    return load_stack(stack)


@cache
def run(stack: str) -> OfflineRun:
    return offline_run(spec(stack), catalog.PROJECT_ROOT)


@cache
def planned(stack: str) -> PlannedStack:
    return offline_inventory(spec(stack), catalog.PROJECT_ROOT, run(stack))


def inventory(stack: str) -> dict[str, Any]:
    return planned(stack).inventory


def of_type(stack: str, type_token: str) -> list[dict[str, Any]]:
    inv = inventory(stack)
    return [inv["resources"][i] for i in inv["by_type"].get(type_token, [])]


def preview_document(stack: str) -> dict[str, Any]:
    """The offline run as `pulumi preview --json --show-sames` would print it (all creates)."""
    config = read_stack_config(stack_file(stack, catalog.PROJECT_ROOT))
    return emit.preview_document(run(stack), config)
