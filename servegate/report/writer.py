"""Write a Report in the formats a user asked for."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

from servegate.errors import GateError
from servegate.findings import Report
from servegate.report.codequality import render_codequality
from servegate.report.html import render_html
from servegate.report.json_report import render_json
from servegate.report.junit import render_junit
from servegate.report.markdown import render_markdown
from servegate.report.sarif import render_sarif

# format name -> (file name, renderer); the order is the order files are written in.
RENDERERS: dict[str, tuple[str, Callable[[Report], str]]] = {
    "json": ("report.json", render_json),
    "md": ("report.md", render_markdown),
    "html": ("report.html", render_html),
    "sarif": ("report.sarif", render_sarif),
    "junit": ("junit.xml", render_junit),
    "codequality": ("gl-code-quality-report.json", render_codequality),
}
FORMATS = tuple(RENDERERS)


def parse_formats(text: str) -> list[str]:
    """``"md,html"`` -> ``["md", "html"]``: trimmed, lower-cased, duplicates dropped.

    Raises GateError naming the unknown format and the allowed ones.
    """
    formats: list[str] = []
    for part in text.split(","):
        name = part.strip().lower()
        if not name:
            continue
        _check(name)
        if name not in formats:
            formats.append(name)
    if not formats:
        raise GateError(f"--format is empty; allowed: {', '.join(FORMATS)}")
    return formats


def _check(name: str) -> None:
    if name not in RENDERERS:
        raise GateError(f"unknown report format {name!r}; allowed: {', '.join(FORMATS)}")


def _write_atomically(path: Path, text: str) -> None:
    # A reader (a CI upload step, a browser) never sees a half-written report.
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def write_reports(report: Report, formats: Iterable[str], out_dir: Path) -> list[Path]:
    """Render ``report`` in each format into ``out_dir`` (created if missing).

    Returns the written paths in the order asked. Unknown formats raise GateError before
    anything is written.
    """
    wanted = list(dict.fromkeys(formats))
    for name in wanted:
        _check(name)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        written: list[Path] = []
        for name in wanted:
            file_name, render = RENDERERS[name]
            path = out_dir / file_name
            _write_atomically(path, render(report))
            written.append(path)
    except OSError as error:
        raise GateError(f"cannot write reports to {out_dir}: {error.strerror or error}") from None
    return written
