"""report.json and the inventory follow the JSON Schemas checked into servegate/schemas/."""

from __future__ import annotations

import json
from dataclasses import asdict

import jsonschema
import pytest

from servegate.declared import declared_of
from servegate.report.json_report import render_json
from servegate.schemas import INVENTORY_SCHEMA_FILE, REPORT_SCHEMA_FILE, load, report_schema
from tests import stacks
from tests.report_builders import failing_report
from tests.test_rule_status import gated


def _validator(schema: dict[str, object]) -> jsonschema.Draft202012Validator:
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_report_schema_file_is_the_model_schema() -> None:
    # Regenerate with `python -m servegate.schemas` after changing servegate/findings.py.
    assert load(REPORT_SCHEMA_FILE) == json.loads(json.dumps(report_schema()))


@pytest.mark.parametrize("stack", stacks.SHIPPED)
def test_every_shipped_stack_report_and_inventory_validate(stack: str) -> None:
    document = json.loads(render_json(gated(stack)))
    assert document["declared"] is not None and document["rule_status"]
    _validator(load(REPORT_SCHEMA_FILE)).validate(document)
    _validator(load(INVENTORY_SCHEMA_FILE)).validate(stacks.inventory(stack))


def test_a_failing_report_validates() -> None:
    report = failing_report()
    document = json.loads(render_json(report))
    assert document["verdict"] == "fail" and document["findings"]
    _validator(load(REPORT_SCHEMA_FILE)).validate(document)


def test_the_schemas_reject_what_the_loader_rejects() -> None:
    document = json.loads(render_json(failing_report()))
    document["findings"][0]["severity"] = "urgent"
    with pytest.raises(jsonschema.ValidationError):
        _validator(load(REPORT_SCHEMA_FILE)).validate(document)
    inventory = json.loads(json.dumps(stacks.inventory("dev")))
    inventory["resources"][0]["op"] = "teleport"
    with pytest.raises(jsonschema.ValidationError):
        _validator(load(INVENTORY_SCHEMA_FILE)).validate(inventory)


def test_declared_is_in_the_schema() -> None:
    document = json.loads(render_json(failing_report()))
    document["declared"] = json.loads(json.dumps(asdict(declared_of(stacks.inventory("prod-ca")))))
    _validator(load(REPORT_SCHEMA_FILE)).validate(document)
    document["declared"]["sovereign"] = "yes"
    with pytest.raises(jsonschema.ValidationError):
        _validator(load(REPORT_SCHEMA_FILE)).validate(document)
