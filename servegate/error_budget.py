"""The error-budget document: what is left of each model's availability budget.

Written by ``servegate slo budget`` from Prometheus (the recording rule
``components.slo_rules.BUDGET_REMAINING_RECORD``), read by the gate's ``--error-budget``
option and handed to the policies as ``input.error_budget``. The format is
servegate/schemas/error_budget.schema.json; :func:`parse_error_budget` checks the same
constraints without a schema library, and fails with one line naming the file and key.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from servegate.errors import GateError

ERROR_BUDGET_SCHEMA = "servegate/error-budget/v1"
_AS_OF = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$")
_WINDOW = re.compile(r"^[1-9][0-9]*d$")
_TOP_KEYS = ("schema", "stack", "as_of", "window", "models")
_MODEL_KEYS = ("objective", "remaining_ratio", "served_model_name", "source")


@dataclass(frozen=True)
class ModelBudget:
    """One model's availability budget over the window."""

    objective: float
    """Availability objective, %."""
    remaining_ratio: float
    """1 untouched, 0 spent, below 0 overspent."""
    served_model_name: str
    """The id its servers serve (``--served-model-name``): the gate finds them by it."""
    source: str

    @property
    def spent(self) -> bool:
        return self.remaining_ratio <= 0


@dataclass(frozen=True)
class ErrorBudget:
    """A stack's error budget per model, measured at ``as_of`` over ``window``."""

    stack: str
    as_of: str
    window: str
    models: tuple[tuple[str, ModelBudget], ...]

    def model(self, name: str) -> ModelBudget | None:
        return dict(self.models).get(name)

    def to_dict(self) -> dict[str, Any]:
        """The JSON document (also what the policies read as ``input.error_budget``)."""
        return {
            "schema": ERROR_BUDGET_SCHEMA,
            "stack": self.stack,
            "as_of": self.as_of,
            "window": self.window,
            "models": {
                name: {
                    "objective": budget.objective,
                    "remaining_ratio": budget.remaining_ratio,
                    "served_model_name": budget.served_model_name,
                    "source": budget.source,
                }
                for name, budget in self.models
            },
        }


def load_error_budget(path: Path) -> ErrorBudget:
    """Read and check an error-budget file; GateError (one line) if it cannot be used."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise GateError(f"{path}: cannot read the error-budget file: {reason}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise GateError(
            f"{path}: not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    return parse_error_budget(document, str(path))


def parse_error_budget(document: Any, file: str) -> ErrorBudget:
    """An error-budget document as data; GateError naming ``file`` and the key otherwise."""

    def bad(key: str, allowed: str) -> GateError:
        return GateError(f"{file}: {key} {allowed} ({ERROR_BUDGET_SCHEMA})")

    if not isinstance(document, dict):
        raise bad("the document", "must be an object")
    for key in _TOP_KEYS:
        if key not in document:
            raise bad(key, "is missing")
    for key in document:
        if key not in _TOP_KEYS:
            raise bad(
                str(key)[:60], f"is not a key of the format (allowed: {', '.join(_TOP_KEYS)})"
            )
    if document["schema"] != ERROR_BUDGET_SCHEMA:
        raise bad("schema", f"must be {ERROR_BUDGET_SCHEMA!r}")
    stack = _text(document["stack"], "stack", bad)
    as_of = _text(document["as_of"], "as_of", bad)
    if not _AS_OF.match(as_of):
        raise bad("as_of", "must be a UTC time like 2026-12-01T15:00:00Z")
    window = _text(document["window"], "window", bad)
    if not _WINDOW.match(window):
        raise bad("window", "must be a whole number of days like 30d")
    models = document["models"]
    if not isinstance(models, dict):
        raise bad("models", "must be an object of model name to budget")
    budgets = tuple(
        (str(name), _model(entry, f"models.{name}", bad)) for name, entry in models.items()
    )
    return ErrorBudget(stack=stack, as_of=as_of, window=window, models=budgets)


def _model(entry: Any, where: str, bad: Any) -> ModelBudget:
    if not isinstance(entry, dict):
        raise bad(where, f"must be an object with {', '.join(_MODEL_KEYS)}")
    for key in _MODEL_KEYS:
        if key not in entry:
            raise bad(f"{where}.{key}", "is missing")
    for key in entry:
        if key not in _MODEL_KEYS:
            raise bad(
                f"{where}.{str(key)[:60]}",
                f"is not a key of the format (allowed: {', '.join(_MODEL_KEYS)})",
            )
    objective = _number(entry["objective"], f"{where}.objective", bad)
    if not 0 < objective < 100:
        raise bad(f"{where}.objective", "must be a percentage between 0 and 100")
    remaining = _number(entry["remaining_ratio"], f"{where}.remaining_ratio", bad)
    served = _text(entry["served_model_name"], f"{where}.served_model_name", bad)
    source = _text(entry["source"], f"{where}.source", bad)
    return ModelBudget(
        objective=objective, remaining_ratio=remaining, served_model_name=served, source=source
    )


def _text(value: Any, key: str, bad: Any) -> str:
    if not isinstance(value, str) or not value:
        raise bad(key, "must be a non-empty string")
    return value


def _number(value: Any, key: str, bad: Any) -> float:
    # JSON has no NaN or infinity; Python's reader accepts them, the format does not.
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise bad(key, "must be a finite number")
    return float(value)


def inventory_entry(budget: ErrorBudget | None) -> Mapping[str, Any]:
    """``input.error_budget`` for the policies: the document, or absent without one."""
    return {} if budget is None else {"error_budget": budget.to_dict()}
