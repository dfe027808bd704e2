"""``python -m servegate.schemas``: regenerate report.schema.json from the Report model."""

from servegate.schemas import write_report_schema

write_report_schema()
