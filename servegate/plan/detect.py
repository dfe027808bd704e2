"""Which kind of plan document a parsed JSON value is."""

from __future__ import annotations

from typing import Any, Literal

from servegate.errors import GateError

PlanFormat = Literal["preview", "export"]


def detect_format(doc: Any, file: str) -> PlanFormat:
    """``preview`` for ``pulumi preview --json`` (has ``steps``), ``export`` for ``pulumi
    stack export`` (has ``version`` and ``deployment``); anything else is refused."""
    if isinstance(doc, dict):
        if "steps" in doc:
            return "preview"
        if "deployment" in doc and "version" in doc:
            return "export"
    shape = type(doc).__name__ if not isinstance(doc, dict) else "an object without them"
    raise GateError(
        f"{file}: not a Pulumi plan: expected `pulumi preview --json` output (with steps) or "
        f"`pulumi stack export` output (with version and deployment), got {shape}"
    )
