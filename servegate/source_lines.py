"""Where in the repository a finding is controlled, for SARIF locations (PR annotations).

A rule whose METADATA names ``custom.config_key`` (``audit.logRetentionDays``) points at
that key's line in ``stacks/Pulumi.<stack>.yaml`` (read with ruamel.yaml, which keeps line
numbers). Otherwise a finding points at the first line of ``components/*.py`` that
constructs its resource type (``aws:s3/bucket:Bucket`` -> ``aws.s3.Bucket(``), else at line 1
of the stack file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from servegate.findings import Finding, Report, Rule, SourceLocation


def stack_file(stack: str) -> str:
    return f"stacks/Pulumi.{stack}.yaml"


def config_key_line(document: Any, key: str) -> int | None:
    """1-based line of ``key`` (``audit.logRetentionDays``) under the file's ``config:``,
    the project prefix (``llm-serving:``) matched whatever it is; the deepest key present
    when the leaf is left to its default; None when not even the first part is set."""
    config: Any = document.get("config") if hasattr(document, "get") else None
    if not hasattr(config, "lc"):
        return None
    first, *rest = key.split(".")
    name = next((k for k in config if str(k).split(":", 1)[-1] == first), None)
    if name is None:
        return None
    line: int = config.lc.key(name)[0] + 1
    node = config[name]
    for part in rest:
        if not hasattr(node, "lc") or part not in node:
            break
        line = node.lc.key(part)[0] + 1
        node = node[part]
    return line


def _constructor(type_token: str) -> re.Pattern[str] | None:
    """The call that declares ``type_token`` in a component, or None for unknown shapes."""
    parts = type_token.split(":")
    if len(parts) != 3:
        return None
    provider, module, cls = parts
    if provider == "aws":
        return re.compile(rf"\baws\.{re.escape(module.split('/')[0])}\.{re.escape(cls)}\(")
    if provider == "kubernetes":
        group, _, version = module.partition("/")
        if "." not in group:
            dotted = f"{group}.{version}".replace("/", ".")
            return re.compile(rf"\bk8s\.{re.escape(dotted)}\.{re.escape(cls)}\(")
        # Custom resources are declared by kind.
        return re.compile(rf"""kind["']?\s*[:=]\s*["']{re.escape(cls)}["']""")
    return None


def type_lines(project_dir: Path, types: Iterable[str]) -> dict[str, SourceLocation]:
    """For each resource type, the first components/*.py line that constructs it."""
    files = sorted((project_dir / "components").glob("*.py"))
    sources = [(f, f.read_text(encoding="utf-8").splitlines()) for f in files if f.is_file()]
    found: dict[str, SourceLocation] = {}
    for type_token in sorted(set(types)):
        pattern = _constructor(type_token)
        if pattern is None:
            continue
        for path, lines in sources:
            hit = next((n for n, text in enumerate(lines, 1) if pattern.search(text)), None)
            if hit is not None:
                uri = path.relative_to(project_dir).as_posix()
                found[type_token] = SourceLocation(uri=uri, line=hit)
                break
    return found


def locate(
    rules: Iterable[Rule], findings: Iterable[Finding], project_dir: Path, stack: str
) -> tuple[tuple[SourceLocation, ...], tuple[SourceLocation, ...]]:
    """(rule locations by config key, resource-type locations) for the report."""
    uri = stack_file(stack)
    document: Any = None
    try:
        document = YAML(typ="rt").load((project_dir / uri).read_text(encoding="utf-8"))
    except (OSError, YAMLError):
        document = None
    by_rule = []
    for rule in rules:
        if not rule.config_key or document is None:
            continue
        line = config_key_line(document, rule.config_key)
        if line is not None:
            by_rule.append(SourceLocation(uri=uri, line=line, rule_id=rule.id))
    by_type = type_lines(project_dir, (f.resource_type for f in findings if f.resource_type))
    return tuple(by_rule), tuple(
        SourceLocation(uri=loc.uri, line=loc.line, resource_type=t) for t, loc in by_type.items()
    )


def location_of(finding: Finding, report: Report) -> tuple[str, int]:
    """(file, 1-based line) a finding points at: its rule's config-key line, else the
    component line declaring its resource type, else line 1 of the stack file."""
    for located in report.rule_locations:
        if located.rule_id == finding.rule_id:
            return located.uri, located.line
    for located in report.type_locations:
        if located.resource_type == finding.resource_type:
            return located.uri, located.line
    return stack_file(report.stack), 1
