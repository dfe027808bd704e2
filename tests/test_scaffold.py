"""`servegate ci init` and `servegate new-stack`: the files they write."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
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


def test_github_pipeline_previews_gates_uploads_comments_and_fails(project: Path) -> None:
    code, output = _run(project, "ci", "init", "--provider", "github")
    assert code == 0, output
    workflow = yaml.safe_load((project / ".github/workflows/servegate.yml").read_text())
    job = workflow["jobs"]["gate"]
    assert job["strategy"]["matrix"]["stack"] == ["dev", "prod-ca", "prod-eu"]
    runs = [step.get("run", "") for step in job["steps"]]
    uses = [step.get("uses", "") for step in job["steps"]]
    order = [
        next(i for i, r in enumerate(runs) if "pulumi preview --json --show-sames" in r),
        next(i for i, r in enumerate(runs) if "servegate check plan.json" in r),
        next(i for i, u in enumerate(uses) if u.startswith("github/codeql-action/upload-sarif")),
        next(i for i, r in enumerate(runs) if "gh pr comment" in r and "report.md" in r),
        next(i for i, r in enumerate(runs) if "exit ${{ steps.gate.outputs.code }}" in r),
    ]
    assert order == sorted(order)
    sarif_step = job["steps"][order[2]]
    assert sarif_step["if"] == "always()"
    assert sarif_step["with"]["sarif_file"].endswith("report.sarif")
    assert job["steps"][order[4]]["if"] == "steps.gate.outputs.code != '0'"


def test_gitlab_pipeline_has_a_job_per_stack_with_reports(project: Path) -> None:
    code, output = _run(project, "ci", "init", "--provider", "gitlab")
    assert code == 0, output
    pipeline = yaml.safe_load((project / ".gitlab-ci.yml").read_text())
    jobs = {name: job for name, job in pipeline.items() if name.startswith("servegate:")}
    assert set(jobs) == {"servegate:dev", "servegate:prod-ca", "servegate:prod-eu"}
    script = "\n".join(pipeline[".servegate"]["script"])
    assert script.index("pulumi preview --json --show-sames") < script.index("servegate check")
    assert "merge_requests/$CI_MERGE_REQUEST_IID/notes" in script
    assert script.rstrip().endswith("exit $code")
    assert pipeline[".servegate"]["artifacts"]["reports"]["junit"] == "reports/$STACK/junit.xml"


def test_ci_init_refuses_unknown_provider_and_overwrites(project: Path) -> None:
    code, output = _run(project, "ci", "init", "--provider", "jenkins")
    assert code == 2 and "use one of github, gitlab" in output
    assert _run(project, "ci", "init", "--provider", "gitlab")[0] == 0
    code, output = _run(project, "ci", "init", "--provider", "gitlab")
    assert code == 2 and "already exists" in output


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
