"""write_reports / parse_formats."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from servegate.errors import GateError
from servegate.report.writer import FORMATS, parse_formats, write_reports
from tests.report_builders import failing_report, passing_report

FILE_NAMES = [
    "report.json",
    "report.md",
    "report.html",
    "report.sarif",
    "junit.xml",
    "gl-code-quality-report.json",
]


@pytest.mark.parametrize("build", [passing_report, failing_report])
def test_every_format_is_written(tmp_path: Path, build: object) -> None:
    report = build()  # type: ignore[operator]
    written = write_reports(report, FORMATS, tmp_path / "out")
    assert [p.name for p in written] == FILE_NAMES
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(FILE_NAMES)
    assert json.loads((tmp_path / "out" / "report.json").read_text())["stack"] == report.stack
    assert json.loads((tmp_path / "out" / "report.sarif").read_text())["version"] == "2.1.0"
    ET.parse(tmp_path / "out" / "junit.xml")
    assert isinstance(
        json.loads((tmp_path / "out" / "gl-code-quality-report.json").read_text()), list
    )
    assert report.verdict.value.upper() in (tmp_path / "out" / "report.md").read_text()
    assert (tmp_path / "out" / "report.html").read_text().startswith("<!DOCTYPE html>")


def test_only_the_asked_formats_are_written(tmp_path: Path) -> None:
    written = write_reports(passing_report(), ["md", "junit", "md"], tmp_path)
    assert [p.name for p in written] == ["report.md", "junit.xml"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["junit.xml", "report.md"]


def test_unknown_format_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(GateError, match=r"unknown report format 'pdf'; allowed: json, md, html"):
        write_reports(passing_report(), ["md", "pdf"], tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_parse_formats() -> None:
    assert parse_formats("md,html") == ["md", "html"]
    assert parse_formats(" SARIF , junit,sarif,") == ["sarif", "junit"]
    with pytest.raises(GateError, match="allowed: json, md, html, sarif, junit"):
        parse_formats("md,xlsx")
    with pytest.raises(GateError, match="empty"):
        parse_formats(" , ")


def test_unwritable_directory_is_a_gate_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(GateError, match="cannot write reports"):
        write_reports(passing_report(), ["json"], blocker / "out")
