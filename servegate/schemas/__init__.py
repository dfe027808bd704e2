"""JSON Schemas of servegate's documents, checked into the repository.

``report.schema.json`` is generated from the Report model that ``load_report_json``
validates, plus the values report.json derives from it (summary, baseline counts, each
finding's ``waived``): regenerate it with ``python -m servegate.schemas`` after changing
the model (tests/test_schemas.py fails while the file is stale). ``inventory.schema.json``
describes the normalized inventory (docs/design.md, "Normalized inventory").
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SCHEMAS = Path(__file__).parent
REPORT_SCHEMA_FILE = SCHEMAS / "report.schema.json"
INVENTORY_SCHEMA_FILE = SCHEMAS / "inventory.schema.json"

_COUNT = {"type": "integer", "minimum": 0}


def report_schema() -> dict[str, Any]:
    """The report.json schema, from the model (mode: serialization)."""
    from servegate.findings import REPORT_SCHEMA
    from servegate.report.json_report import REPORT_ADAPTER

    schema = REPORT_ADAPTER.json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = REPORT_SCHEMA
    properties = schema["properties"]
    properties.pop("baseline_path", None)
    properties["schema"] = {"const": REPORT_SCHEMA}
    properties["summary"] = {
        "type": "object",
        "required": ["by_area", "by_severity", "mandatory_failed", "advisory", "waived"],
        "properties": {
            "by_area": {"type": "object", "additionalProperties": _COUNT},
            "by_severity": {"type": "object", "additionalProperties": _COUNT},
            **{k: _COUNT for k in ("mandatory_failed", "advisory", "waived", "undecided", "total")},
        },
    }
    properties["baseline"] = {
        "anyOf": [
            {"type": "null"},
            {
                "type": "object",
                "required": ["path", "new", "unchanged", "resolved"],
                "properties": {
                    "path": {"type": ["string", "null"]},
                    "new": _COUNT,
                    "unchanged": _COUNT,
                    "resolved": _COUNT,
                },
            },
        ]
    }
    schema["required"] = sorted({*schema.get("required", ()), "schema", "summary", "baseline"})
    finding = schema["$defs"]["Finding"]
    finding["properties"]["waived"] = {"type": "boolean"}
    finding["required"] = sorted({*finding.get("required", ()), "waived"})
    return schema


def load(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def write_report_schema() -> None:
    REPORT_SCHEMA_FILE.write_text(
        json.dumps(report_schema(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
