"""What a plan parser hands to the loader."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from servegate.plan.raw import RawResource


@dataclass(frozen=True)
class ParsedPlan:
    """Resources of one plan document in plan order, without the root stack.

    ``config`` is the stack config the document carries (a preview's ``config``; empty for
    a stack export). ``stack_urn`` is the root stack's URN when the document lists it.
    """

    resources: list[RawResource]
    config: dict[str, Any] = field(default_factory=dict)
    stack_urn: str | None = None
    change_summary: dict[str, int] = field(default_factory=dict)
