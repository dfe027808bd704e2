"""Reports rendered from one Report: report.json, report.md, report.html, report.sarif,
junit.xml, and the control catalog."""

from servegate.report.catalog_doc import catalog_markdown
from servegate.report.json_report import load_report_json, render_json
from servegate.report.writer import FORMATS, parse_formats, write_reports

__all__ = [
    "FORMATS",
    "load_report_json",
    "parse_formats",
    "catalog_markdown",
    "render_json",
    "write_reports",
]
