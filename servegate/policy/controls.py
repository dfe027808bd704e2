"""Control mappings: which framework controls each rule gives evidence for.

``policies/data/controls.yaml`` is compliance's one table of mappings (rule id -> framework
-> control ids) and of the frameworks themselves (name, version, source, and the titles of
the ids used). The bundle joins it to the rules; a rule without a mapping, a mapping for a
rule that does not exist, or an id the framework's table does not list is a PolicyError.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from servegate.policy import PolicyError

CONTROLS_FILE = "policies/data/controls.yaml"
# The data file stem the bundle mounts it under (data.params.controls).
CONTROLS_STEM = "controls"


@dataclass(frozen=True)
class Framework:
    """One control framework at one edition."""

    key: str
    name: str
    version: str
    source: str
    verified: bool
    titles: Mapping[str, str]

    @property
    def label(self) -> str:
        # ISO editions are written "ISO/IEC 27001:2022", the others "NIST SP 800-53 Rev. 5".
        return (
            f"{self.name}{self.version}"
            if self.version.startswith(":")
            else (f"{self.name} {self.version}")
        )


@dataclass(frozen=True)
class ControlRef:
    """One control of one framework that a rule maps to."""

    framework: Framework
    id: str

    @property
    def title(self) -> str:
        return self.framework.titles[self.id]

    def __str__(self) -> str:
        return f"{self.framework.label}: {self.id} {self.title}"


@dataclass(frozen=True)
class ControlCatalog:
    frameworks: Mapping[str, Framework]
    by_rule: Mapping[str, tuple[ControlRef, ...]]

    def framework(self, key: str) -> Framework:
        try:
            return self.frameworks[key]
        except KeyError:
            allowed = ", ".join(sorted(self.frameworks))
            raise PolicyError(
                f"{CONTROLS_FILE}: no framework {key!r}; allowed: {allowed}"
            ) from None

    def rules_by_control(self, key: str) -> list[tuple[ControlRef, list[str]]]:
        """One framework's controls in its table's order, each with the rule ids mapped to it."""
        framework = self.framework(key)
        rules: dict[str, list[str]] = {}
        for rule_id, refs in sorted(self.by_rule.items()):
            for ref in refs:
                if ref.framework.key == key:
                    rules.setdefault(ref.id, []).append(rule_id)
        return [
            (ControlRef(framework, control_id), rules[control_id])
            for control_id in framework.titles
            if control_id in rules
        ]


def load_controls(raw: Any, rule_ids: set[str]) -> ControlCatalog:
    """Validate the mapping table against the bundle's rules."""
    if raw is None and not rule_ids:
        return ControlCatalog(frameworks={}, by_rule={})
    if not isinstance(raw, dict):
        raise PolicyError(f"{CONTROLS_FILE}: missing or not a mapping; every rule needs one")
    frameworks = {key: _framework(key, value) for key, value in _mapping(raw, "frameworks").items()}
    mappings = _mapping(raw, "controls")
    by_rule: dict[str, tuple[ControlRef, ...]] = {}
    for rule_id, per_framework in mappings.items():
        if rule_id not in rule_ids:
            raise PolicyError(f"{CONTROLS_FILE}: controls.{rule_id}: no rule has this id")
        if not isinstance(per_framework, dict) or not per_framework:
            raise PolicyError(
                f"{CONTROLS_FILE}: controls.{rule_id}: map it to framework: [control ids]"
            )
        refs: list[ControlRef] = []
        for key, ids in per_framework.items():
            where = f"{CONTROLS_FILE}: controls.{rule_id}.{key}"
            if key not in frameworks:
                allowed = ", ".join(sorted(frameworks))
                raise PolicyError(f"{where}: unknown framework; allowed: {allowed}")
            if not isinstance(ids, list) or not ids:
                raise PolicyError(f"{where}: must be a non-empty list of control ids")
            for control_id in ids:
                if str(control_id) not in frameworks[key].titles:
                    raise PolicyError(
                        f"{where}: {control_id!r} is not in frameworks.{key}.titles "
                        f"(add it there with its title from the framework's source)"
                    )
                refs.append(ControlRef(frameworks[key], str(control_id)))
        by_rule[rule_id] = tuple(refs)
    unmapped = sorted(rule_ids - set(by_rule))
    if unmapped:
        raise PolicyError(
            f"{CONTROLS_FILE}: no control mapping for {', '.join(unmapped)}; "
            f"map each rule to at least one framework control"
        )
    return ControlCatalog(frameworks=frameworks, by_rule=by_rule)


def _mapping(raw: dict[str, Any], key: str) -> dict[str, Any]:
    value = raw.get(key)
    if not isinstance(value, dict) or not value:
        raise PolicyError(f"{CONTROLS_FILE}: key {key} must be a non-empty mapping")
    return value


def _framework(key: str, raw: Any) -> Framework:
    where = f"{CONTROLS_FILE}: frameworks.{key}"
    if not isinstance(raw, dict):
        raise PolicyError(f"{where}: must be a mapping with name, version, source, titles")
    for field in ("name", "version", "source"):
        if not isinstance(raw.get(field), str) or not raw[field].strip():
            raise PolicyError(f"{where}.{field}: missing or empty; it must be text")
    verified = raw.get("verified")
    if not isinstance(verified, bool):
        raise PolicyError(f"{where}.verified: must be true or false")
    titles = raw.get("titles")
    if not isinstance(titles, dict) or not titles:
        raise PolicyError(f"{where}.titles: must map each control id used to its title")
    return Framework(
        key=key,
        name=raw["name"],
        version=raw["version"],
        source=" ".join(raw["source"].split()),
        verified=verified,
        titles={str(k): str(v) for k, v in titles.items()},
    )
