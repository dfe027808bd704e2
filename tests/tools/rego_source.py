"""Just enough of Rego's surface syntax for the lint and the mutation tests.

Neither needs a full parser: both work on top-level rules (a line starting at column 0 and
everything up to where brackets balance again) and on the statements of rule bodies (split
at newlines and ``;`` outside brackets). Comments and string contents are blanked first
(``masked``), so brackets, keywords and names inside them never count; offsets into the
masked text are offsets into the source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_OPEN = "([{"
_CLOSE = ")]}"
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def masked(source: str) -> str:
    """The source with comments and the insides of string literals replaced by spaces.

    Quotes stay (so a string is still visible as ``"   "``); newlines stay, so line numbers
    and offsets are unchanged.
    """
    out = list(source)
    i, n = 0, len(source)
    while i < n:
        char = source[i]
        if char == "#":
            while i < n and source[i] != "\n":
                out[i] = " "
                i += 1
        elif char == '"':
            i += 1
            while i < n and source[i] != '"':
                if source[i] == "\\":
                    out[i] = " "
                    i += 1
                if i < n and source[i] != "\n":
                    out[i] = " "
                i += 1
            i += 1
        elif char == "`":
            i += 1
            while i < n and source[i] != "`":
                if source[i] != "\n":
                    out[i] = " "
                i += 1
            i += 1
        else:
            i += 1
    return "".join(out)


@dataclass(frozen=True)
class Span:
    """A piece of source: ``start``/``end`` offsets, its 1-based first line, its text."""

    start: int
    end: int
    line: int
    text: str


@dataclass(frozen=True)
class RegoRule:
    """One top-level rule (or function), with its body when it has one."""

    span: Span
    # The rule's name (``deny``, ``_helper``); empty for package/import lines.
    name: str
    # Offsets of the body's braces ``{`` and ``}`` when the head ends in ``if {`` or ``{``.
    body: tuple[int, int] | None


def line_of(source: str, offset: int) -> int:
    return source.count("\n", 0, offset) + 1


def top_level_rules(source: str) -> list[RegoRule]:
    """Every top-level statement: package, imports, rules and functions, in order."""
    text = masked(source)
    rules: list[RegoRule] = []
    offset = 0
    lines = text.split("\n")
    starts = []
    position = 0
    for line in lines:
        starts.append(position)
        position += len(line) + 1
    index = 0
    while index < len(lines):
        line = lines[index]
        if not line.strip() or line[0].isspace():
            index += 1
            continue
        offset = starts[index]
        depth = 0
        end_index = index
        while True:
            depth += _depth_change(lines[end_index])
            following = lines[end_index + 1] if end_index + 1 < len(lines) else ""
            # A rule goes on while brackets are open or an ``else`` continues it.
            if depth > 0 or following.lstrip().startswith("else"):
                end_index += 1
                if end_index >= len(lines):
                    break
                continue
            break
        end = starts[end_index] + len(lines[end_index])
        chunk = text[offset:end]
        name_match = _NAME.match(chunk)
        name = name_match.group(0) if name_match else ""
        if name in {"package", "import"}:
            name = ""
        rules.append(
            RegoRule(
                span=Span(offset, end, index + 1, source[offset:end]),
                name=name,
                body=_body(text, offset, end),
            )
        )
        index = end_index + 1
    return rules


def _depth_change(line: str) -> int:
    return sum(line.count(c) for c in _OPEN) - sum(line.count(c) for c in _CLOSE)


def _body(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The braces of the first body: the ``{`` that ends the head's line."""
    head_end = text.find("\n", start, end)
    head = text[start : head_end if head_end >= 0 else end].rstrip()
    if not head.endswith("{") or not re.search(r"(\bif\s*|\))\{$|\bif \{$", head):
        return None
    open_at = start + len(head) - 1
    close_at = matching(text, open_at)
    return (open_at, close_at) if close_at is not None and close_at <= end else None


def matching(text: str, open_at: int) -> int | None:
    """Offset of the bracket closing the one at ``open_at``."""
    depth = 0
    for i in range(open_at, len(text)):
        char = text[i]
        if char in _OPEN:
            depth += 1
        elif char in _CLOSE:
            depth -= 1
            if depth == 0:
                return i
    return None


def statements(source: str, open_at: int, close_at: int) -> list[Span]:
    """The statements of the body between braces at ``open_at`` and ``close_at``.

    A statement ends at a newline or ``;`` outside brackets; one that opens a bracket (a
    multi-line call, an ``every`` block) runs until it closes.
    """
    text = masked(source)
    found: list[Span] = []
    depth = 0
    begin = open_at + 1
    for i in range(open_at + 1, close_at + 1):
        char = text[i]
        if char in _OPEN:
            depth += 1
        elif char in _CLOSE and i < close_at:
            depth -= 1
        if i == close_at or (depth == 0 and char in "\n;"):
            piece = text[begin:i]
            stripped = piece.strip()
            if stripped:
                lead = len(piece) - len(piece.lstrip())
                start = begin + lead
                stop = start + len(stripped)
                found.append(Span(start, stop, line_of(source, start), source[start:stop]))
            begin = i + 1
    return found


def top_level_operator(text: str, operator: str) -> bool:
    """Whether the (masked) statement has ``operator`` outside any bracket."""
    depth = 0
    i = 0
    while i < len(text):
        char = text[i]
        if char in _OPEN:
            depth += 1
        elif char in _CLOSE:
            depth -= 1
        elif depth == 0 and text.startswith(operator, i):
            before = text[i - 1] if i else " "
            after = text[i + len(operator)] if i + len(operator) < len(text) else " "
            if operator == "=" and (before in ":=!<>" or after == "="):
                i += 1
                continue
            return True
        i += 1
    return False
