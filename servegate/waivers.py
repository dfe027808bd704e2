"""Waivers: approved, expiring exceptions to a rule for some resources (docs/design.md contract).

A waiver that is malformed, expired, or too broad for its rule waives nothing and is
reported as a WaiverProblem; so is a valid waiver that matches no finding of the run, and
one that expires within the warning window (that one still waives). Waivers are numbered
from 1 in file order; every output names one as ``waiver #N (RULE-ID)``.
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from servegate.errors import GateError
from servegate.findings import (
    Enforcement,
    Finding,
    Rule,
    Severity,
    Waiver,
    WaiverIssue,
    WaiverProblem,
)
from servegate.plan import urns

# Relative to the project folder; used when no --waivers file is given (and may be absent).
DEFAULT_WAIVERS_PATH = Path("policies") / "waivers.yaml"
# A waiver ending within this many days is reported (--warn-expiry).
DEFAULT_WARN_EXPIRY_DAYS = 14

_FIELDS = ("rule_id", "resource", "justification", "approved_by", "expires")
_GLOB_CHARACTERS = frozenset("*?[")
# A plain addr-spec: someone an auditor can identify and ask, not "me" or a team name.
_EMAIL = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}"
)


@dataclass(frozen=True)
class WaiverSet:
    """The waivers in force today, the problems of the others, and the file they came from."""

    active: tuple[Waiver, ...] = ()
    problems: tuple[WaiverProblem, ...] = ()
    path: str | None = None
    sha256: str | None = None

    def match(self, finding: Finding) -> Waiver | None:
        for waiver in self.active:
            if _matches(waiver, finding):
                return waiver
        return None

    def apply(self, findings: Iterable[Finding]) -> tuple[Finding, ...]:
        return tuple(replace(f, waiver=self.match(f)) for f in findings)

    def review(
        self, findings: Iterable[Finding], *, today: date, warn_days: int
    ) -> tuple[WaiverProblem, ...]:
        """The file's problems plus, for this run, active waivers that match no finding and
        active waivers that end within ``warn_days`` days; in waiver order."""
        judged = list(findings)
        problems = list(self.problems)
        for waiver in self.active:
            where = {"rule_id": waiver.rule_id, "resource": waiver.resource}
            if not any(_matches(waiver, finding) for finding in judged):
                problems.append(
                    WaiverProblem(
                        number=waiver.number,
                        reason=f"matches no finding of {waiver.rule_id} in this plan "
                        "(remove it, or correct its resource)",
                        kind=WaiverIssue.UNMATCHED,
                        **where,
                    )
                )
                continue
            days = (waiver.expires - today).days
            if days <= warn_days:
                problems.append(
                    WaiverProblem(
                        number=waiver.number,
                        reason=f"expires on {waiver.expires.isoformat()}, in {days} "
                        f"day{'s' if days != 1 else ''}: renew or remove it",
                        kind=WaiverIssue.EXPIRING,
                        **where,
                    )
                )
        return tuple(sorted(problems, key=lambda p: p.number))


def _matches(waiver: Waiver, finding: Finding) -> bool:
    return waiver.rule_id == finding.rule_id and _urn_matches(waiver.resource, finding.resource_urn)


def _urn_matches(pattern: str, urn: str) -> bool:
    # fnmatchcase: URNs are case-sensitive, and '[' in a URN glob means a class only if meant.
    return pattern == urn or fnmatch.fnmatchcase(urn, pattern)


def _shown(text: str, limit: int = 40) -> str:
    """A value of a broken waiver as reports quote it: one printable line, cut short."""
    return text[:limit] if text[:limit].isprintable() else repr(text[:limit])


def is_glob(pattern: str) -> bool:
    return any(character in _GLOB_CHARACTERS for character in pattern)


def needs_one_resource(rule: Rule) -> bool:
    """Critical mandatory rules are waived one named resource at a time, never by a glob."""
    return rule.severity is Severity.CRITICAL and rule.enforcement is Enforcement.MANDATORY


def _parse_date(value: Any) -> date | None:
    # A YAML timestamp with a time of day is a datetime (a date subclass): not a date here.
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _entry_problem(
    entry: dict[Any, Any], rules: Mapping[str, Rule] | None, today: date
) -> tuple[WaiverIssue, str] | None:
    """Why a waiver entry waives nothing, or None when it is in force."""
    missing = [key for key in _FIELDS if entry.get(key) in (None, "")]
    if missing:
        return WaiverIssue.INVALID, f"missing {', '.join(missing)}"
    unknown = sorted(_shown(str(key)) for key in entry if key not in _FIELDS)
    if unknown:
        return WaiverIssue.INVALID, f"unknown keys {', '.join(unknown)}"
    expires = _parse_date(entry["expires"])
    if expires is None:
        return (
            WaiverIssue.INVALID,
            f"expires {str(entry['expires'])[:40]!r} is not an ISO date (YYYY-MM-DD)",
        )
    if not all(isinstance(entry[key], str) for key in _FIELDS if key != "expires"):
        return WaiverIssue.INVALID, "fields must be text"
    rule = None if rules is None else rules.get(entry["rule_id"])
    if rules is not None and rule is None:
        return WaiverIssue.INVALID, f"no rule {_shown(entry['rule_id'])}"
    if not _EMAIL.fullmatch(entry["approved_by"]):
        return (
            WaiverIssue.INVALID,
            f"approved_by {entry['approved_by'][:60]!r} is not an e-mail address",
        )
    resource = entry["resource"]
    if (
        rule is not None
        and needs_one_resource(rule)
        and (is_glob(resource) or not urns.is_urn(resource))
    ):
        return (
            WaiverIssue.TOO_BROAD,
            f"{rule.id} is a critical mandatory rule: its waiver must name one resource URN "
            f"(urn:pulumi:...), not {'a glob' if is_glob(resource) else repr(resource[:60])}",
        )
    # The waiver ends at the start of its expiry date.
    if today >= expires:
        return WaiverIssue.EXPIRED, f"expired on {expires.isoformat()}"
    return None


def parse_waivers(
    document: Any, *, today: date, rules: Mapping[str, Rule] | None = None
) -> WaiverSet:
    """Validate a waivers document; problems are collected, never raised.

    ``rules`` (by id) is the bundle's catalog: a waiver must name one of them, and one of a
    critical mandatory rule must name one resource URN.
    """
    if document is None:
        return WaiverSet()
    entries = document.get("waivers") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise GateError("waivers file: top level must be a mapping with a 'waivers:' list")
    active: list[Waiver] = []
    problems: list[WaiverProblem] = []
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            problems.append(WaiverProblem(number=number, reason="is not a mapping"))
            continue
        rule_id, resource = entry.get("rule_id"), entry.get("resource")
        where = {
            "rule_id": _shown(rule_id) if isinstance(rule_id, str) else None,
            "resource": _shown(resource, 300) if isinstance(resource, str) else None,
        }
        problem = _entry_problem(entry, rules, today)
        if problem is not None:
            kind, reason = problem
            problems.append(WaiverProblem(number=number, reason=reason, kind=kind, **where))
            continue
        expires = _parse_date(entry["expires"])
        assert expires is not None  # checked by _entry_problem
        active.append(
            Waiver(
                rule_id=entry["rule_id"],
                resource=entry["resource"],
                justification=entry["justification"],
                approved_by=entry["approved_by"],
                expires=expires,
                number=number,
            )
        )
    return WaiverSet(active=tuple(active), problems=tuple(problems))


def load_waivers(
    path: Path | None,
    *,
    today: date,
    rules: Mapping[str, Rule] | None = None,
    required: bool = False,
) -> WaiverSet:
    """Read a waivers file. ``required`` (a file the user named): a missing file is an
    error; otherwise (the default path) a missing file means no waivers.

    Raises GateError, one line naming the file, when the file cannot be read or parsed.
    """
    if path is None:
        return WaiverSet()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        if required:
            raise GateError(f"{path}: no such waivers file") from None
        return WaiverSet()
    except OSError as error:
        raise GateError(
            f"{path}: cannot read the waivers file: {error.strerror or error}"
        ) from None
    try:
        document = yaml.safe_load(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise GateError(f"{path}: not UTF-8 text, expected a YAML waivers file") from None
    except yaml.YAMLError as exc:
        raise GateError(f"{path}: not valid YAML ({_yaml_problem(exc)})") from None
    except RecursionError:
        raise GateError(f"{path}: not a waivers file (nested too deeply)") from None
    try:
        waivers = parse_waivers(document, today=today, rules=rules)
    except GateError as exc:
        raise GateError(f"{path}: {str(exc).removeprefix('waivers file: ')}") from None
    return replace(waivers, path=str(path), sha256=hashlib.sha256(data).hexdigest())


def _yaml_problem(exc: yaml.YAMLError) -> str:
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    mark = getattr(exc, "problem_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    return f"{where}{problem}".replace("\n", " ")
