"""Rule metadata: the ``# METADATA`` YAML blocks above ``deny`` rules, as ``Rule`` objects.

A block is the run of comment lines after a ``# METADATA`` line; it annotates the line
right after it. A block above ``package`` describes the package and is not a rule. A
block above ``deny contains ...`` starts a rule; the ``deny`` bodies that follow it in
the same file, up to the next such block, belong to that rule (one rule, several
bodies). A ``deny`` body before any rule block is an error: every finding must have
metadata.

Test convention: a test in a ``*_test.rego`` file counts for a rule when its name
starts with ``test_`` and contains the rule id in snake case as a whole word, e.g.
``test_res_001_region_outside_zone_denied`` counts for ``RES-001``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any, TypeVar

import yaml

from components import yaml_data
from servegate.findings import Area, Enforcement, Rule, Severity
from servegate.policy import PolicyError
from servegate.policy.controls import CONTROLS_FILE

SCOPES = ("resource", "stack")

_MARKER = "# METADATA"
_PACKAGE = re.compile(r"^package\s+([A-Za-z_][\w.]*)")
_DENY = re.compile(r"^deny\b")
_TEST = re.compile(r"^(test_\w+)\b")
_RULE_ID = re.compile(r"^[A-Z][A-Z0-9]*-[0-9]+$")

E = TypeVar("E", bound=Enum)


@dataclass(frozen=True)
class LocatedRule:
    """A rule and where its METADATA block starts (for duplicate-id errors)."""

    rule: Rule
    file: str
    line: int


def parse_rules(file: str, source: str) -> list[LocatedRule]:
    """The rules declared in one policy file; PolicyError (file:line: key ...) when wrong."""
    lines = source.splitlines()
    package = ""
    current: LocatedRule | None = None
    rules: list[LocatedRule] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        package_match = _PACKAGE.match(line)
        if package_match:
            package = package_match.group(1)
        if line.strip() == _MARKER:
            start = index + 1
            body, index = _block_lines(lines, index + 1)
            annotated = lines[index] if index < len(lines) else ""
            if _DENY.match(annotated):
                block = _parse_block(file, start, body)
                current = LocatedRule(_rule(file, start, block, package), file, start)
                rules.append(current)
            elif _declares_id(body):
                raise PolicyError(
                    f"{file}:{start}: METADATA with custom.id must sit directly above a "
                    f"'deny contains ...' rule (found {annotated.strip()[:40]!r})"
                )
            continue
        if _DENY.match(line) and current is None:
            raise PolicyError(
                f"{file}:{index + 1}: deny rule without a # METADATA block; every deny rule "
                f"needs one with custom.id, area, severity, enforcement, scope"
            )
        index += 1
    return rules


def count_test_cases(rules: Iterable[Rule], test_sources: Mapping[str, str]) -> tuple[Rule, ...]:
    """The rules with ``test_cases`` set from the test names (see the module docstring)."""
    names = {
        match.group(1)
        for source in test_sources.values()
        for line in source.splitlines()
        if (match := _TEST.match(line))
    }
    counted = []
    for rule in rules:
        snake = rule.id.lower().replace("-", "_")
        pattern = re.compile(rf"(^|_){re.escape(snake)}(_|$)")
        counted.append(replace(rule, test_cases=sum(1 for n in names if pattern.search(n))))
    return tuple(counted)


def check_unique_ids(rules: Iterable[LocatedRule]) -> None:
    """PolicyError when two METADATA blocks of the bundle declare the same id."""
    seen: dict[str, LocatedRule] = {}
    for located in rules:
        first = seen.setdefault(located.rule.id, located)
        if first is not located:
            raise PolicyError(
                f"{located.file}:{located.line}: custom.id {located.rule.id} is already "
                f"used at {first.file}:{first.line}; rule ids must be unique"
            )


def _block_lines(lines: list[str], index: int) -> tuple[list[str], int]:
    """The comment block starting at ``index`` without its ``# `` and the index after it."""
    body: list[str] = []
    while index < len(lines) and lines[index].lstrip().startswith("#"):
        text = lines[index].lstrip()[1:]
        body.append(text[1:] if text.startswith(" ") else text)
        index += 1
    return body, index


def _declares_id(body: list[str]) -> bool:
    """A block that is not above a deny rule but tries to declare one (package blocks,
    which servegate does not read, are not validated further)."""
    return any(re.match(r"^\s+id\s*:", line) for line in body) and "custom:" in body


def _parse_block(file: str, start: int, body: list[str]) -> dict[str, Any]:
    """The YAML of a rule's block; ``start`` is the 1-based line of ``# METADATA``."""
    try:
        parsed = yaml_data.safe_load("\n".join(body))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = start + 1 + (mark.line if mark is not None else 0)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise PolicyError(f"{file}:{line}: METADATA is not valid YAML: {problem}") from None
    if parsed is None:
        parsed = {}
    if not isinstance(parsed, dict):
        raise PolicyError(f"{file}:{start}: METADATA must be a YAML mapping of keys")
    return parsed


def _rule(file: str, line: int, block: dict[str, Any], package: str) -> Rule:
    where = f"{file}:{line}"
    custom = block.get("custom")
    if not isinstance(custom, dict):
        raise PolicyError(f"{where}: METADATA of a deny rule needs a custom: mapping")
    rule_id = custom.get("id")
    if not isinstance(rule_id, str) or not _RULE_ID.match(rule_id):
        raise PolicyError(f"{where}: key custom.id must be an id like RES-001, got {rule_id!r}")
    if "controls" in custom:
        raise PolicyError(
            f"{where}: custom.controls of {rule_id}: control mappings live in "
            f"{CONTROLS_FILE}, one table for every rule"
        )
    scope = _required_str(where, custom, "scope", prefix="custom.")
    if scope not in SCOPES:
        raise PolicyError(
            f"{where}: key custom.scope of {rule_id} is {scope!r}; allowed: {', '.join(SCOPES)}"
        )
    applies_when, not_applicable = _applicability(where, rule_id, custom)
    return Rule(
        id=rule_id,
        title=_required_str(where, block, "title"),
        description=_optional_str(where, block, "description"),
        area=_enum(where, rule_id, custom, "area", Area),
        severity=_enum(where, rule_id, custom, "severity", Severity),
        enforcement=_enum(where, rule_id, custom, "enforcement", Enforcement),
        package=package,
        remediation=_required_str(where, custom, "remediation", prefix="custom."),
        parameters=_str_list(where, custom, "parameters"),
        scope=scope,
        resource_types=_str_list(where, custom, "resource_types"),
        applies_when=applies_when,
        not_applicable=not_applicable,
        config_key=_optional_str(where, custom, "config_key"),
    )


# custom.applies_when: "PATH" (set: present, not null, not false), "PATH == LITERAL" or
# "PATH != LITERAL", LITERAL one of true, false, null; PATH dotted from the input root.
_CONDITION = re.compile(r"^([A-Za-z_][\w.]*[\w])(?:\s*(==|!=)\s*(true|false|null))?$")
_LITERALS: dict[str, Any] = {"true": True, "false": False, "null": None}


def _applicability(where: str, rule_id: str, custom: dict[str, Any]) -> tuple[str, str]:
    """custom.applies_when and custom.not_applicable ("", "" when the rule always applies)."""
    condition = custom.get("applies_when")
    if condition is None:
        return "", ""
    if not isinstance(condition, str) or not _CONDITION.match(condition.strip()):
        raise PolicyError(
            f"{where}: key custom.applies_when of {rule_id} is {condition!r}; allowed: PATH, "
            f"PATH == LITERAL or PATH != LITERAL (LITERAL: true, false, null)"
        )
    reason = custom.get("not_applicable")
    if not isinstance(reason, str) or not reason.strip():
        raise PolicyError(
            f"{where}: key custom.not_applicable of {rule_id} is missing or empty; a rule with "
            f"custom.applies_when says why it does not apply (e.g. 'no SLA declared')"
        )
    return condition.strip(), " ".join(reason.split())


def applies(rule: Rule, document: Mapping[str, Any]) -> bool:
    """Whether ``rule`` applies to the policy input ``document`` (its custom.applies_when)."""
    match = _CONDITION.match(rule.applies_when)
    if match is None:
        return True
    path, operator, literal = match.groups()
    value: Any = document
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    if operator is None:
        return value is not None and value is not False
    expected = _LITERALS[literal]
    same = value is expected or (value == expected and type(value) is type(expected))
    return same if operator == "==" else not same


def _enum(where: str, rule_id: str, custom: dict[str, Any], key: str, kind: type[E]) -> E:
    allowed = ", ".join(str(member.value) for member in kind)
    value = custom.get(key)
    if value is None:
        raise PolicyError(f"{where}: key custom.{key} of {rule_id} is missing; allowed: {allowed}")
    try:
        return kind(value)
    except ValueError:
        raise PolicyError(
            f"{where}: key custom.{key} of {rule_id} is {value!r}; allowed: {allowed}"
        ) from None


def _required_str(where: str, mapping: dict[str, Any], key: str, prefix: str = "") -> str:
    value = mapping.get(key)
    if not isinstance(value, str) or not value.strip():
        raise PolicyError(f"{where}: key {prefix}{key} is missing or empty; it must be text")
    return " ".join(value.split())


def _optional_str(where: str, mapping: dict[str, Any], key: str) -> str:
    value = mapping.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise PolicyError(f"{where}: key {key} must be text")
    return " ".join(value.split())


def _str_list(where: str, custom: dict[str, Any], key: str) -> tuple[str, ...]:
    value = custom.get(key) or []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise PolicyError(f"{where}: key custom.{key} must be a list of strings")
    return tuple(value)
