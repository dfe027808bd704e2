"""The error-budget document: the loader and the checked-in JSON schema agree, and a bad
file is one line naming the file and the key."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from servegate.error_budget import ErrorBudget, ModelBudget, load_error_budget, parse_error_budget
from servegate.errors import GateError
from servegate.schemas import SCHEMAS

FIXTURE = Path(__file__).parent / "fixtures" / "error_budget" / "prod-ca-spent.json"
SCHEMA = json.loads((SCHEMAS / "error_budget.schema.json").read_text())


def _document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(FIXTURE.read_text())
    return document


def test_fixture_loads_as_frozen_data_and_matches_the_schema() -> None:
    jsonschema.Draft202012Validator(SCHEMA).validate(_document())
    budget = load_error_budget(FIXTURE)
    assert budget == ErrorBudget(
        stack="prod-ca",
        as_of="2026-12-01T15:00:00Z",
        window="30d",
        models=(
            (
                "llama-8b",
                ModelBudget(
                    99.9,
                    -0.25,
                    "meta-llama/Llama-3.1-8B-Instruct",
                    "fixture: llama-8b overspent its budget",
                ),
            ),
            (
                "mixtral-8x7b",
                ModelBudget(
                    99.9,
                    0.6,
                    "mistralai/Mixtral-8x7B-Instruct-v0.1",
                    "fixture: mixtral-8x7b has budget left",
                ),
            ),
        ),
    )
    assert budget.model("llama-8b").spent  # type: ignore[union-attr]
    assert not budget.model("mixtral-8x7b").spent  # type: ignore[union-attr]
    assert budget.to_dict() == _document()


def _without(path: tuple[str, ...]) -> dict[str, Any]:
    document = _document()
    target = document
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return document


def _with(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    document = _document()
    target = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return document


BAD = [
    (_without(("window",)), "window is missing"),
    (_with(("schema",), "v0"), "schema must be"),
    (_with(("as_of",), "yesterday"), "as_of must be a UTC time"),
    (_with(("window",), "1w"), "window must be a whole number of days"),
    (_with(("models",), []), "models must be an object"),
    (
        _without(("models", "llama-8b", "remaining_ratio")),
        "models.llama-8b.remaining_ratio is missing",
    ),
    (
        _with(("models", "llama-8b", "remaining_ratio"), "spent"),
        "models.llama-8b.remaining_ratio must be a finite number",
    ),
    (
        _with(("models", "llama-8b", "remaining_ratio"), True),
        "models.llama-8b.remaining_ratio must be a finite number",
    ),
    (
        _with(("models", "llama-8b", "objective"), 100),
        "models.llama-8b.objective must be a percentage",
    ),
    (_with(("models", "llama-8b", "remaining"), 1), "models.llama-8b.remaining is not a key"),
    (_with(("extra",), 1), "extra is not a key"),
    (
        _with(("models", "llama-8b", "source"), ""),
        "models.llama-8b.source must be a non-empty string",
    ),
]


@pytest.mark.parametrize(("document", "message"), BAD, ids=[m for _, m in BAD])
def test_bad_documents_fail_with_one_line_and_the_schema_agrees(
    document: dict[str, Any], message: str
) -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(SCHEMA).validate(copy.deepcopy(document))
    with pytest.raises(GateError) as caught:
        parse_error_budget(document, "budget.json")
    text = str(caught.value)
    assert text.startswith("budget.json: ") and message in text and "\n" not in text


def test_unreadable_and_non_json_files(tmp_path: Path) -> None:
    with pytest.raises(GateError, match=r"missing\.json: cannot read the error-budget file"):
        load_error_budget(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text('{"schema": ')
    with pytest.raises(GateError, match=r"broken\.json: not JSON \(line 1"):
        load_error_budget(broken)
    nan = tmp_path / "nan.json"
    nan.write_text(FIXTURE.read_text().replace("-0.25", "NaN"))
    with pytest.raises(GateError, match="remaining_ratio must be a finite number"):
        load_error_budget(nan)
