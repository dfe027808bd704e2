"""A resource as a plan source hands it over, before normalization."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RawResource:
    """One resource of a plan, in whatever source it came from.

    ``provider`` is a provider reference (``<provider urn>::<provider id>``) or None when
    the resource uses its package's default provider. ``deps`` maps an input property to
    the URNs it depends on (Pulumi's ``propertyDependencies``).
    """

    urn: str
    type: str
    name: str
    custom: bool
    op: str
    inputs: dict[str, Any]
    parent: str | None = None
    provider: str | None = None
    deps: dict[str, list[str]] = field(default_factory=dict)
    old_inputs: dict[str, Any] | None = None
    """The inputs the resource has now (a preview step's ``oldState``), for a resource the plan
    changes (update, replace); None when the plan does not say (creates, exports, offline)."""
