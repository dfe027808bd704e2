"""The Jinja environments of the reports: HTML with autoescaping, Markdown with an
escaping finalizer, both loading servegate/templates/report/.

Each environment is built once per process and compiled templates are kept in Jinja's
bytecode cache (a private per-user folder in the temporary directory), so a cold run loads
the compiled code instead of lexing and compiling every template again (about a tenth of a
second per ``preview``). The cache checks each template's source: an edit recompiles it.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Iterable
from functools import cache
from typing import Any

from jinja2 import BytecodeCache, Environment, FileSystemBytecodeCache, StrictUndefined
from jinja2.bccache import Bucket
from markupsafe import Markup

from servegate.findings import Area, Finding
from servegate.report.values import short_value, status_of
from servegate.templates_dir import template_loader

# Characters that start Markdown syntax inline (emphasis, code, links, tables, strikethrough).
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
_LINE_BREAKS = re.compile(r"[\r\n]+")


def md_escape(value: Any) -> Markup:
    """``value`` as literal text inside Markdown (a table cell or a list item): HTML
    escaped, Markdown syntax backslash-escaped, kept on one line."""
    if isinstance(value, Markup):
        return value
    text = html.escape(str(value), quote=False)
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    return Markup(_LINE_BREAKS.sub(" ", text))


def md_code(value: Any) -> Markup:
    """Escaped text shown in a monospace font."""
    return Markup(f"<code>{md_escape(value)}</code>")


def md_code_span(value: Any) -> Markup:
    """``value`` as a Markdown code span, verbatim (PromQL, record names), on one line."""
    return Markup(f"`{_LINE_BREAKS.sub(' ', str(value))}`")


def md_code_cell(value: Any) -> Markup:
    """A code span inside a Markdown table cell: a pipe would end the cell, so it is escaped."""
    return md_code_span(str(value).replace("|", "\\|"))


def urn_name(urn: str) -> str:
    """The resource name: the last ``::`` segment of a Pulumi URN."""
    return urn.rsplit("::", 1)[-1]


def area_title(area: Area) -> str:
    """The area as a heading: "SLA", "Residency", ..."""
    return area.value.upper() if area is Area.SLA else area.value.capitalize()


def by_rule(findings: Iterable[Finding]) -> list[tuple[str, int]]:
    """(rule id, number of findings) pairs, most findings first."""
    counts = Counter(f.rule_id for f in findings)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def _common(env: Environment) -> Environment:
    env.filters["short_value"] = short_value
    env.filters["urn_name"] = urn_name
    env.filters["by_rule"] = by_rule
    env.filters["area_title"] = area_title
    env.filters["status"] = status_of
    env.trim_blocks = True
    env.lstrip_blocks = True
    return env


class _QuietBytecodeCache(FileSystemBytecodeCache):
    """A bytecode cache that never fails a report: a cache it cannot write is skipped."""

    def dump_bytecode(self, bucket: Bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:
            return


@cache
def _bytecode_cache() -> BytecodeCache | None:
    try:
        return _QuietBytecodeCache(pattern="servegate-%s.cache")
    except (OSError, RuntimeError):
        # No private temporary folder (RuntimeError: one another user owns): compile each run.
        return None


@cache
def html_environment() -> Environment:
    """Autoescaping environment for report.html.j2 (``.j2`` names defeat select_autoescape's
    extension check, so autoescape is switched on outright)."""
    return _common(
        Environment(
            loader=template_loader("report"),
            autoescape=True,
            undefined=StrictUndefined,
            bytecode_cache=_bytecode_cache(),
        )
    )


@cache
def markdown_environment() -> Environment:
    """Environment for Markdown templates: every ``{{ value }}`` passes through md_escape
    unless it is already Markup (what md_code and explicit markup return)."""
    env = Environment(
        loader=template_loader("report"),
        autoescape=False,
        undefined=StrictUndefined,
        finalize=md_escape,
        bytecode_cache=_bytecode_cache(),
    )
    env.filters["code"] = md_code
    env.filters["code_span"] = md_code_span
    env.filters["code_cell"] = md_code_cell
    env.filters["md"] = md_escape
    return _common(env)
