"""How a finding reads in a human report: its status and a short form of its evidence value."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from servegate.findings import Finding, Result

# Evidence values can be whole objects (a container spec, a policy document); reports show a
# prefix and point at report.json for the rest.
VALUE_LIMIT = 200

STATUS_OPEN = "open"
STATUS_UNDECIDED = "undecided"
STATUS_WAIVED = "waived"
STATUSES = (STATUS_OPEN, STATUS_UNDECIDED, STATUS_WAIVED)


@dataclass(frozen=True)
class ShortValue:
    """An evidence value as text, cut to a readable length."""

    text: str
    truncated: bool
    full_length: int


def value_text(value: Any) -> str:
    """The value as one line: strings as they are, anything else as compact JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, separators=(", ", ": "), default=str)


def short_value(value: Any, limit: int = VALUE_LIMIT) -> ShortValue:
    """``value`` as text of at most ``limit`` characters, saying whether it was cut."""
    text = value_text(value)
    if len(text) <= limit:
        return ShortValue(text=text, truncated=False, full_length=len(text))
    return ShortValue(text=text[:limit] + "…", truncated=True, full_length=len(text))


def status_of(finding: Finding) -> str:
    """open, undecided or waived: the one bucket a finding is listed under."""
    if finding.waived:
        return STATUS_WAIVED
    if finding.result is Result.UNDECIDED:
        return STATUS_UNDECIDED
    return STATUS_OPEN


def sort_key(finding: Finding) -> tuple[int, str, str, str]:
    """Most severe first, then by rule, resource and property, so reports are stable."""
    return (-finding.severity.rank, finding.rule_id, finding.resource_urn, finding.evidence.path)
