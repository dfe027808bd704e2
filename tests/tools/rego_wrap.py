"""Break Rego lines longer than the lint allows, the way ``opa fmt`` lays out long terms.

``python -m tests.tools.rego_wrap FILE ...`` rewrites the files in place. A long line is
broken at its leftmost bracket that closes on the same line and holds several items: one
item per line with a trailing comma (``f(\\n\\ta,\\n\\tb,\\n)``), or, for a comprehension,
its head on the first line and each body expression on its own line. A call whose last
argument is the long array (``concat("", [...])``) keeps its short arguments on the first
line. A string too long for any line becomes ``concat("", [...])`` of pieces split at spaces
(inside a ``concat("", ...)`` array the pieces are items of it). Comment lines are continued
on the next line (deeper indented for METADATA's YAML). Lines it cannot break are left for
the lint to report. The Rego tests on every engine judge the result.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from tests.tools.rego_lint import MAX_LINE
from tests.tools.rego_source import masked, matching

_OPEN = "([{"
_CLOSE = ")]}"
_PIECE = 70


def wrap_source(source: str) -> str:
    lines = source.split("\n")
    out: list[str] = []
    for line in lines:
        out.extend(wrap_line(line))
    return "\n".join(out)


def wrap_line(line: str, *, in_concat: bool = False, depth: int = 0) -> list[str]:
    """The line, or the lines it breaks into (each wrapped again while too long)."""
    if _width(line) <= MAX_LINE or depth > 12:
        return [line]
    if line.lstrip().startswith("#"):
        return _wrap_comment(line)
    broken = _break_bracket(line) or _break_items(line) or _break_string(line, in_concat)
    if broken is None:
        return [line]
    result: list[str] = []
    for piece, concat_item in broken:
        result.extend(wrap_line(piece, in_concat=concat_item, depth=depth + 1))
    return result


def _width(line: str) -> int:
    return len(line)


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip("\t"))]


def _split_top(text: str, separator: str) -> list[str]:
    parts, depth, begin = [], 0, 0
    for i, char in enumerate(text):
        if char in _OPEN:
            depth += 1
        elif char in _CLOSE:
            depth -= 1
        elif char == separator and depth == 0:
            parts.append(text[begin:i])
            begin = i + 1
    parts.append(text[begin:])
    return [part.strip() for part in parts if part.strip()]


def _break_bracket(line: str) -> list[tuple[str, bool]] | None:
    text = masked(line)
    indent = _indent(line)
    inner = indent + "\t"
    # A rule head's arguments stay on its line: break what comes after ``:=``.
    rule_head = re.match(r"^[A-Za-z_]\w*\([^()]*\)\s*:=", text)
    start = rule_head.end() if rule_head else 0
    for i, char in enumerate(text):
        if char not in _OPEN or i < start:
            continue
        j = matching(text, i)
        if j is None:
            continue
        content_masked = text[i + 1 : j]
        content = line[i + 1 : j]
        # ``|`` in brackets is a comprehension (in parentheses it would be set union).
        if char != "(" and "|" in _top_chars(content_masked):
            head_end = _top_index(content_masked, "|")
            head = content[:head_end].strip()
            body = _pieces(content, content_masked[head_end + 1 :], head_end + 1, ";")
            lines = [(f"{line[: i + 1]}{head} |", False)]
            lines += [(f"{inner}{part}", False) for part in body]
            lines.append((f"{indent}{line[j:]}", False))
            return lines
        if "," not in _top_chars(content_masked):
            continue
        items = _pieces(content, content_masked, 0, ",")
        is_concat = re.search(r"(?<![\w.])concat\($", text[: i + 1]) is not None
        last = items[-1]
        # concat("", [ ... ]): keep the separator up, break the array.
        if len(items) == 2 and last.startswith("[") and last.endswith("]") and len(items[0]) < 12:
            open_at = i + 1 + content.index(last)
            close_at = open_at + len(last) - 1
            array_items = _pieces(
                line[open_at + 1 : close_at], text[open_at + 1 : close_at], 0, ","
            )
            if len(array_items) < 2:
                continue
            lines = [(f"{line[: open_at + 1]}", False)]
            lines += [(f"{inner}{item},", is_concat) for item in array_items]
            lines.append((f"{indent}{line[close_at:]}", False))
            return lines
        lines = [(line[: i + 1], False)]
        lines += [(f"{inner}{item},", False) for item in items]
        lines.append((f"{indent}{line[j:]}", False))
        return lines
    return None


def _break_items(line: str) -> list[tuple[str, bool]] | None:
    """A line of several items inside a bracket opened above (``"a": 1, "b": 2,``)."""
    text = masked(line)
    if not line.rstrip().endswith(",") or text.strip().startswith(("#", "}", "]", ")")):
        return None
    indent = _indent(line)
    body = line[len(indent) :]
    items = _pieces(body, text[len(indent) :], 0, ",")
    if len(items) < 2 or _depth(text) != 0:
        return None
    return [(f"{indent}{item},", False) for item in items]


def _depth(text: str) -> int:
    return sum(text.count(c) for c in _OPEN) - sum(text.count(c) for c in _CLOSE)


def _pieces(content: str, content_masked: str, offset: int, separator: str) -> list[str]:
    """Split ``content`` at top-level separators found in its masked twin."""
    parts, depth, begin = [], 0, offset
    for k in range(offset, offset + len(content_masked)):
        char = content_masked[k - offset]
        if char in _OPEN:
            depth += 1
        elif char in _CLOSE:
            depth -= 1
        elif char == separator and depth == 0:
            parts.append(content[begin:k])
            begin = k + 1
    parts.append(content[begin:])
    return [part.strip() for part in parts if part.strip()]


def _top_chars(text: str) -> str:
    depth, chars = 0, []
    for char in text:
        if char in _OPEN:
            depth += 1
        elif char in _CLOSE:
            depth -= 1
        elif depth == 0:
            chars.append(char)
    return "".join(chars)


def _top_index(text: str, wanted: str) -> int:
    depth = 0
    for i, char in enumerate(text):
        if char in _OPEN:
            depth += 1
        elif char in _CLOSE:
            depth -= 1
        elif char == wanted and depth == 0:
            return i
    return -1


_STRING_ITEM = re.compile(r'^(\t*)("(?:[^"\\]|\\.)*")(,?)$')
_LITERAL = re.compile(r'"(?:[^"\\\n]|\\.)*"|`[^`]*`')


def _break_string(line: str, in_concat: bool) -> list[tuple[str, bool]] | None:
    """The line's longest string literal as ``concat("", [...])`` of pieces.

    Inside a ``concat("", [...])`` array a line that is one literal becomes several items.
    Object keys, imports and package lines are left alone.
    """
    match = _STRING_ITEM.match(line)
    if in_concat and match is not None:
        indent, literal, _ = match.groups()
        pieces = _literal_pieces(literal)
        return [(f"{indent}{piece},", True) for piece in pieces] if len(pieces) > 1 else None
    if line.lstrip().startswith(("import ", "package ")):
        return None
    literals = [m for m in _LITERAL.finditer(line) if not re.match(r"\s*:", line[m.end() :])]
    if not literals:
        return None
    longest = max(literals, key=lambda m: len(m.group(0)))
    pieces = _literal_pieces(longest.group(0))
    if len(pieces) < 2:
        return None
    indent = _indent(line)
    lines = [(f'{line[: longest.start()]}concat("", [', False)]
    lines += [(f"{indent}\t{piece},", True) for piece in pieces]
    lines.append((f"{indent}]){line[longest.end() :]}", False))
    return lines


def _literal_pieces(literal: str) -> list[str]:
    if literal.startswith("`"):
        body = literal[1:-1]
        return [f"`{body[i : i + _PIECE]}`" for i in range(0, len(body), _PIECE)]
    return [f'"{piece}"' for piece in _split_literal(literal[1:-1])]


def _split_literal(body: str) -> list[str]:
    """Pieces of a string literal's body, cut after spaces (or inside a word too long for a
    piece), never inside an escape."""
    tokens = re.findall(r"\\.|[^\\]", body)
    pieces, current = [], ""
    for index, token in enumerate(tokens):
        current += token
        at_space = token == " " and len(current) >= _PIECE // 2
        too_long = len(current) >= _PIECE and " " not in "".join(tokens[index + 1 : index + 20])
        if (at_space and _next_space_far(tokens, index, _PIECE - len(current))) or too_long:
            pieces.append(current)
            current = ""
    if current:
        pieces.append(current)
    return pieces


def _next_space_far(tokens: list[str], index: int, room: int) -> bool:
    """True when the next word would not fit in the piece's remaining room."""
    for k in range(index + 1, len(tokens)):
        if tokens[k] == " ":
            return k - index > room
    return len(tokens) - index > room


def _wrap_comment(line: str) -> list[str]:
    match = re.match(r"^(\t*#\s*)(\S.*)$", line)
    if match is None:
        return [line]
    prefix, words = match.groups()
    yaml = re.match(r"^([A-Za-z_]\w*:\s)", words)
    continuation = prefix + ("  " if yaml else "")
    cut = line.rfind(" ", 0, MAX_LINE)
    if cut <= len(prefix):
        return [line]
    first, rest = line[:cut], line[cut + 1 :]
    return [first, *_wrap_comment(continuation + rest)]


def main(argv: list[str] | None = None) -> int:
    paths = [Path(arg) for arg in (argv if argv is not None else sys.argv[1:])]
    for path in paths:
        source = path.read_text(encoding="utf-8")
        wrapped = wrap_source(source)
        if wrapped != source:
            path.write_text(wrapped, encoding="utf-8")
            print(f"wrapped {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
