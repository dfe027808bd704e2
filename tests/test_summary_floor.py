"""The preview summary says when the SLA's replica floor raised a model's declared bounds."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from typer.testing import CliRunner

from components.config import load_stack
from servegate.cli.main import app
from servegate.summary import floor_note

runner = CliRunner()


def _set_replicas(project: Path, stack: str, model: int, replicas: dict[str, int]) -> None:
    path = project / "stacks" / f"Pulumi.{stack}.yaml"
    document = yaml.safe_load(path.read_text())
    document["config"]["llm-serving:models"][model]["replicas"] = replicas
    path.write_text(yaml.safe_dump(document))


def test_a_raised_minimum_is_stated_in_the_terminal_and_summary_json(project: Path) -> None:
    _set_replicas(project, "prod-ca", 1, {"min": 1, "max": 3})
    result = runner.invoke(app, ["-C", str(project), "preview", "-s", "prod-ca"])
    assert result.exit_code == 0, result.output
    assert "mixtral-8x7b replicas: min 1 → 2 by the 99.9 % floor" in result.output
    summary = json.loads((project / "reports" / "prod-ca" / "summary.json").read_text())
    notes = {m["name"]: m["floor_note"] for m in summary["models"]}
    assert notes == {"llama-8b": None, "mixtral-8x7b": "min 1 → 2 by the 99.9 % floor"}
    assert [m["min_replicas"] for m in summary["models"]] == [2, 2]


def test_a_raised_maximum_is_stated_with_the_minimum(project: Path) -> None:
    _set_replicas(project, "prod-eu", 0, {"min": 1, "max": 2})
    spec = load_stack("prod-eu", project)
    assert floor_note(spec, spec.models[0]) == "min 1 → 3, max 2 → 3 by the 99.95 % floor"


def test_no_note_without_an_sla_or_when_the_declared_minimum_holds() -> None:
    dev = load_stack("dev")
    assert dev.sla is None and floor_note(dev, dev.models[0]) is None
    prod = load_stack("prod-ca")
    assert all(m.replicas.min >= prod.replica_floor for m in prod.models)
    assert [floor_note(prod, m) for m in prod.models] == [None, None]
