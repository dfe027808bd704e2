"""A small Rego linter for CI: what ``opa check --strict`` and Regal would report here.

``python -m tests.tools.rego_lint [DIR]`` prints one line per finding and exits 1 if there is
any. Neither binary is reachable from CI, so these checks are implemented on the source
(``tests.tools.rego_source``), each named after the check it stands for:

- ``unused-assignment`` (strict mode): a local ``x := ...`` in a rule, function or
  comprehension that nothing reads;
- ``unused-argument`` (strict mode): a function argument its definition never reads (write
  ``_`` instead);
- ``unused-import`` (strict mode);
- ``deprecated-builtin`` (strict mode): ``any``, ``all``, ``re_match``, ``set_diff``,
  ``net.cidr_overlap``, ``cast_*``;
- ``shadows-builtin`` (Regal ``var-shadows-builtin``, ``rule-shadows-builtin``; strict mode for
  ``input``/``data``): a local, argument or rule named like a built-in function or built-in
  namespace (``floor``, ``object``);
- ``line-length`` (Regal): a line over 120 characters;
- ``sprintf`` (this project's messages convention): messages are built with ``concat``,
  ``format_int`` and the ``lib.inventory`` helpers, because rego-cpp's ``sprintf`` quotes and
  formats differently from regorus and OPA; the call is banned everywhere, so no engine
  difference can hide in an evidence path either;
- ``text-ordered-numbers`` (this project's engines): ``max`` and ``min``; rego-cpp 1.5.2 orders
  numbers as text in them (``max([9, 100])`` is 9), so numbers are compared with
  ``lib.inventory``'s ``largest`` and ``smallest``.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from tests.tools.rego_source import masked, top_level_rules

MAX_LINE = 120
BUILTINS_FILE = Path(__file__).resolve().parent / "data" / "opa_builtins.txt"
# Strict mode's deprecated built-ins (OPA docs, "Strict mode").
DEPRECATED: tuple[str, ...] = (
    *("any", "all", "re_match", "set_diff", "net.cidr_overlap"),
    *("cast_array", "cast_set", "cast_string", "cast_boolean", "cast_null", "cast_object"),
)
_KEYWORDS = {"else", "default", "not", "some", "every", "in", "if", "contains", "with", "as"}
_ASSIGN = re.compile(r"(?<![\w.\]\)])([A-Za-z_]\w*)\s*:=")
_DESTRUCTURE = re.compile(r"(?<![\w.\]\)])\[([A-Za-z_][\w\s,]*)\]\s*:=")
_SOME = re.compile(r"\b(?:some|every)\s+([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*)")
_HEAD_ARGS = re.compile(r"^([A-Za-z_]\w*)\(([^()]*)\)")
_IMPORT = re.compile(r"^import\s+([\w.]+)(?:\s+as\s+(\w+))?", re.MULTILINE)


@dataclass(frozen=True)
class Finding:
    file: str
    line: int
    check: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.check}: {self.message}"


def builtin_names() -> frozenset[str]:
    """Built-in function names and namespaces, plus ``input`` and ``data``."""
    lines = BUILTINS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(
        {line for line in lines if line and not line.startswith("#")} | {"input", "data"}
    )


def lint_source(file: str, source: str, builtins: frozenset[str] | None = None) -> list[Finding]:
    """Every finding in one file, in line order."""
    names = builtin_names() if builtins is None else builtins
    text = masked(source)
    findings = [
        *_long_lines(file, source),
        *_calls(file, source, text),
        *_imports(file, source, text),
    ]
    for rule in top_level_rules(source):
        findings.extend(_rule_findings(file, source, text, rule.span.start, rule.span.end, names))
    return sorted(findings, key=lambda f: (f.line, f.check, f.message))


def _line(source: str, offset: int) -> int:
    return source.count("\n", 0, offset) + 1


def _long_lines(file: str, source: str) -> Iterable[Finding]:
    for number, line in enumerate(source.splitlines(), start=1):
        if len(line) > MAX_LINE:
            yield Finding(
                file, number, "line-length", f"{len(line)} characters (at most {MAX_LINE})"
            )


def _calls(file: str, source: str, text: str) -> Iterable[Finding]:
    for match in re.finditer(r"(?<![\w.])sprintf\s*\(", text):
        yield Finding(
            file,
            _line(source, match.start()),
            "sprintf",
            "build text with concat, format_int and the lib.inventory helpers, not sprintf",
        )
    for match in re.finditer(r"(?<![\w.])(max|min)\s*\(", text):
        yield Finding(
            file,
            _line(source, match.start()),
            "text-ordered-numbers",
            f"{match.group(1)}() orders numbers as text on rego-cpp: use lib.inventory's "
            "largest or smallest",
        )
    for name in DEPRECATED:
        for match in re.finditer(rf"(?<![\w.]){re.escape(name)}\s*\(", text):
            yield Finding(
                file, _line(source, match.start()), "deprecated-builtin", f"{name} is deprecated"
            )


def _imports(file: str, source: str, text: str) -> Iterable[Finding]:
    for match in _IMPORT.finditer(text):
        path, alias = match.group(1), match.group(2)
        if path in {"rego.v1"} or path.startswith("future."):
            continue
        name = alias or path.rsplit(".", 1)[-1]
        rest = text[: match.start()] + text[match.end() :]
        if not re.search(rf"(?<![\w.]){re.escape(name)}\b", rest):
            yield Finding(
                file, _line(source, match.start()), "unused-import", f"import {path} is unused"
            )


def _references(text: str, name: str) -> int:
    """Occurrences of the variable ``name`` (not as a field after a dot)."""
    return len(re.findall(rf"(?<![\w.]){re.escape(name)}(?!\w)", text))


def _rule_findings(
    file: str, source: str, text: str, start: int, end: int, builtins: frozenset[str]
) -> Iterable[Finding]:
    chunk = text[start:end]
    head = _HEAD_ARGS.match(chunk)
    rule_name = re.match(r"(?:default\s+)?([A-Za-z_]\w*)", chunk)
    if (
        rule_name
        and rule_name.group(1) in builtins
        and rule_name.group(1) not in {"package", "import"}
    ):
        yield Finding(
            file,
            _line(source, start),
            "shadows-builtin",
            f"rule {rule_name.group(1)} has the name of a built-in",
        )
    declared: list[tuple[str, int, str]] = []  # name, offset in chunk, kind
    if head:
        offset = head.start(2)
        for arg in head.group(2).split(","):
            name = arg.strip()
            if re.fullmatch(r"[A-Za-z_]\w*", name) and name != "_":
                declared.append((name, offset + arg.index(name), "argument"))
            offset += len(arg) + 1
    for match in _ASSIGN.finditer(chunk):
        name = match.group(1)
        # The rule's own head (``x := ...``, ``default x := ...``) defines a rule, not a local.
        if name in _KEYWORDS or chunk[: match.start()].strip() in {"", "default"}:
            continue
        declared.append((name, match.start(1), "assignment"))
    for match in _DESTRUCTURE.finditer(chunk):
        for part in match.group(1).split(","):
            name = part.strip()
            if name and name != "_":
                declared.append((name, match.start(1) + match.group(1).index(part), "assignment"))
    for match in _SOME.finditer(chunk):
        for part in match.group(1).split(","):
            declared.append((part.strip(), match.start(1), "declaration"))
    for name, offset, kind in declared:
        line = _line(source, start + offset)
        if name in builtins:
            yield Finding(file, line, "shadows-builtin", f"{kind} {name} hides the built-in {name}")
        if name.startswith("_"):
            continue
        if kind == "assignment" and _references(chunk, name) == 1:
            yield Finding(file, line, "unused-assignment", f"{name} is assigned but never used")
        if kind == "argument" and _references(chunk, name) == 1:
            yield Finding(file, line, "unused-argument", f"argument {name} is never used (write _)")


def lint_tree(root: Path) -> list[Finding]:
    """Every finding in every ``.rego`` file under ``root`` (paths shown from its parent)."""
    builtins = builtin_names()
    findings: list[Finding] = []
    for path in sorted(root.rglob("*.rego")):
        file = path.relative_to(root.parent).as_posix()
        findings.extend(lint_source(file, path.read_text(encoding="utf-8"), builtins))
    return findings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.tools.rego_lint", description=__doc__)
    parser.add_argument("root", nargs="?", type=Path, default=Path("policies"))
    args = parser.parse_args(argv)
    findings = lint_tree(args.root)
    for finding in findings:
        print(finding)
    print(f"{len(findings)} findings in {args.root}")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
