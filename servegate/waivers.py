"""Waivers: approved, expiring exceptions to a rule for some resources (docs/design.md contract).

An expired or malformed waiver waives nothing and is itself reported as a WaiverProblem.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from servegate.errors import GateError
from servegate.findings import Finding, Waiver, WaiverProblem

_FIELDS = ("rule_id", "resource", "justification", "approved_by", "expires")


@dataclass(frozen=True)
class WaiverSet:
    """The waivers in force today and the problems of the others."""

    active: tuple[Waiver, ...] = ()
    problems: tuple[WaiverProblem, ...] = ()

    def match(self, finding: Finding) -> Waiver | None:
        for waiver in self.active:
            if waiver.rule_id == finding.rule_id and _urn_matches(
                waiver.resource, finding.resource_urn
            ):
                return waiver
        return None

    def apply(self, findings: Iterable[Finding]) -> tuple[Finding, ...]:
        return tuple(replace(f, waiver=self.match(f)) for f in findings)


def _urn_matches(pattern: str, urn: str) -> bool:
    # fnmatchcase: URNs are case-sensitive, and '[' in a URN glob means a class only if meant.
    return pattern == urn or fnmatch.fnmatchcase(urn, pattern)


def _parse_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def parse_waivers(document: Any, *, today: date, known_rules: set[str] | None = None) -> WaiverSet:
    """Validate a waivers document; problems are collected, never raised."""
    if document is None:
        return WaiverSet()
    entries = document.get("waivers") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise GateError("waivers file: top level must be a mapping with a 'waivers:' list")
    active: list[Waiver] = []
    problems: list[WaiverProblem] = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            problems.append(WaiverProblem(index=index, reason="is not a mapping"))
            continue
        rule_id = entry.get("rule_id")
        resource = entry.get("resource")
        context = {
            "rule_id": rule_id if isinstance(rule_id, str) else None,
            "resource": resource if isinstance(resource, str) else None,
        }
        missing = [key for key in _FIELDS if entry.get(key) in (None, "")]
        unknown = sorted(set(entry) - set(_FIELDS))
        if missing:
            problems.append(
                WaiverProblem(index=index, reason=f"missing {', '.join(missing)}", **context)
            )
            continue
        if unknown:
            problems.append(
                WaiverProblem(index=index, reason=f"unknown keys {', '.join(unknown)}", **context)
            )
            continue
        expires = _parse_date(entry["expires"])
        if expires is None:
            problems.append(
                WaiverProblem(
                    index=index,
                    reason=f"expires {entry['expires']!r} is not an ISO date (YYYY-MM-DD)",
                    **context,
                )
            )
            continue
        if not all(isinstance(entry[key], str) for key in _FIELDS if key != "expires"):
            problems.append(WaiverProblem(index=index, reason="fields must be text", **context))
            continue
        if known_rules is not None and entry["rule_id"] not in known_rules:
            problems.append(
                WaiverProblem(index=index, reason=f"no rule {entry['rule_id']}", **context)
            )
            continue
        # The waiver ends at the start of its expiry date.
        if today >= expires:
            problems.append(
                WaiverProblem(index=index, reason=f"expired on {expires.isoformat()}", **context)
            )
            continue
        active.append(
            Waiver(
                rule_id=entry["rule_id"],
                resource=entry["resource"],
                justification=entry["justification"],
                approved_by=entry["approved_by"],
                expires=expires,
            )
        )
    return WaiverSet(active=tuple(active), problems=tuple(problems))


def load_waivers(
    path: Path | None, *, today: date, known_rules: set[str] | None = None
) -> WaiverSet:
    """Read a waivers file; a missing default file means no waivers."""
    if path is None or not path.exists():
        return WaiverSet()
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise GateError(f"{path}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    try:
        return parse_waivers(document, today=today, known_rules=known_rules)
    except GateError as exc:
        raise GateError(f"{path}: {str(exc).removeprefix('waivers file: ')}") from None
