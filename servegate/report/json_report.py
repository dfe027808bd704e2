"""report.json (the ``servegate/report/v1`` contract) and its loader."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from servegate.errors import GateError
from servegate.findings import (
    REPORT_SCHEMA,
    Evidence,
    Report,
)
from servegate.report.view import baseline_counts

REPORT_ADAPTER: TypeAdapter[Report] = TypeAdapter(Report)


def evidence_to_dict(evidence: Evidence) -> dict[str, Any]:
    """path and value found; limit (path and value) only for rules that judge against one."""
    limit = evidence.limit
    return {
        "path": evidence.path,
        "value": evidence.value,
        "limit": None if limit is None else {"path": limit.path, "value": limit.value},
    }


def report_to_dict(report: Report) -> dict[str, Any]:
    """The report as the JSON document of the docs/design.md contract: the Report model as
    ``load_report_json`` validates it (servegate/schemas/report.schema.json), plus the
    values derived from it (summary, baseline diff counts, each finding's ``waived``)."""
    document: dict[str, Any] = REPORT_ADAPTER.dump_python(report, mode="json")
    document.pop("baseline_path", None)
    document["summary"] = asdict(report.summary)
    document["baseline"] = _baseline_to_dict(report)
    for key in ("findings", "resolved"):
        for entry, finding in zip(document[key], getattr(report, key), strict=True):
            entry["waived"] = finding.waived
    return document


def _baseline_to_dict(report: Report) -> dict[str, Any] | None:
    counts = baseline_counts(report)
    if counts is None:
        return None
    return {"path": report.baseline_path, **counts}


def render_json(report: Report) -> str:
    """report.json text: indented, UTF-8 characters kept, newline-terminated."""
    return json.dumps(report_to_dict(report), indent=2, ensure_ascii=False, default=str) + "\n"


def load_report_json(path: Path) -> Report:
    """Read a report.json written by servegate (e.g. an approved baseline).

    Raises GateError with one line naming the file and the first problem found.
    """
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise GateError(f"{path}: cannot read report: {error.strerror or error}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise GateError(f"{path}: not a JSON report ({error})") from None
    if not isinstance(document, dict):
        raise GateError(f"{path}: a report must be a JSON object")
    schema = document.get("schema")
    if schema != REPORT_SCHEMA:
        raise GateError(f"{path}: schema is {schema!r}; only {REPORT_SCHEMA!r} is supported")
    # baseline here is the diff summary; Report.baseline_path is the field of the model.
    document = {key: value for key, value in document.items() if key != "baseline"}
    try:
        return REPORT_ADAPTER.validate_python(document)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise GateError(f"{path}: {where}: {first['msg']}") from None
