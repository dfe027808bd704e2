"""`servegate new-stack`: the stack files it writes (CI pipelines: test_ci_pipelines.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from components import catalog
from components.config import load_stack
from servegate.cli.main import app

runner = CliRunner()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(catalog.PROJECT_ROOT / "stacks", tmp_path / "stacks")
    (tmp_path / "policies").symlink_to(catalog.PROJECT_ROOT / "policies")
    shutil.copy(catalog.PROJECT_ROOT / "__main__.py", tmp_path / "__main__.py")
    return tmp_path


def _run(project: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["--project-dir", str(project), *args])
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("zone", "region", "extra"),
    [("ca", "ca-central-1", ["--air-gapped"]), ("eu", "eu-west-1", []), ("us", "us-west-2", [])],
)
def test_new_stack_writes_a_config_that_passes_its_gate(
    project: Path, zone: str, region: str, extra: list[str]
) -> None:
    code, output = _run(
        project, "new-stack", f"new-{zone}", "--zone", zone, "--region", region, *extra
    )
    assert code == 0, output
    spec = load_stack(f"new-{zone}", project)
    assert (spec.residency.zone, spec.region) == (zone, region)
    assert spec.residency.air_gapped is bool(extra)
    assert spec.models[0].replicas.min >= spec.replica_floor
    # The new stack passes its own gate offline.
    code, output = _run(project, "preview", "-s", f"new-{zone}", "--format", "json")
    assert code == 0, output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["x", "--zone", "mars", "--region", "ca-central-1"], "--zone 'mars' is not a known zone"),
        (["x", "--zone", "ca", "--region", "us-east-1"], "--region 'us-east-1' is not in zone ca"),
        (["Bad_Name", "--zone", "ca", "--region", "ca-central-1"], "use lowercase letters"),
        (["prod-ca", "--zone", "ca", "--region", "ca-central-1"], "already exists"),
    ],
)
def test_new_stack_rejects_bad_input_in_one_line(
    project: Path, args: list[str], message: str
) -> None:
    code, output = _run(project, "new-stack", *args)
    assert code == 2
    assert message in output
    assert "Traceback" not in output
