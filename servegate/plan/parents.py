"""The parent links of a plan's resources must form a tree under the root stack."""

from __future__ import annotations

from collections.abc import Sequence

from servegate.errors import GateError
from servegate.plan import urns
from servegate.plan.raw import RawResource


def check_parents(resources: Sequence[RawResource], file: str) -> None:
    """Raise GateError when following ``parent`` links from some resource comes back to it.

    The Pulumi engine cannot produce such a plan; component membership (and anything a
    rule reads through the parent chain) would be undefined. Links to resources the plan
    does not list end the walk (the root stack is not listed).
    """
    parent_of = {resource.urn: resource.parent for resource in resources}
    settled: set[str] = set()
    for start in parent_of:
        path: list[str] = []
        on_path: set[str] = set()
        current: str | None = start
        while current is not None and current in parent_of and current not in settled:
            if current in on_path:
                cycle = path[path.index(current) :] + [current]
                shown = " -> ".join(urns.name_of(urn)[:80] for urn in cycle)
                raise GateError(
                    f"{file}: the parent links of {current[:300]} form a cycle ({shown}); "
                    "every resource's parents must lead to the stack"
                )
            on_path.add(current)
            path.append(current)
            current = parent_of[current]
        settled.update(path)
