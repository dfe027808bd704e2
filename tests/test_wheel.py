"""The distribution works outside the checkout: the wheel carries its templates and data.

Builds the wheel from a copy of the sources (no network, no build isolation), installs it
into a fresh virtualenv whose dependencies come from this interpreter's site-packages, and
renders every report format and both CI pipelines from a folder outside the checkout.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from components import catalog
from servegate.report import FORMATS, render_json
from servegate.report.writer import RENDERERS
from tests.report_builders import failing_report

ROOT = catalog.PROJECT_ROOT

# Run by the installed wheel: servegate must come from the fresh venv, not the checkout.
RENDER = """
import json, sys
from pathlib import Path
import servegate
from servegate.ci_pipeline import render_ci
from servegate.report import FORMATS, load_report_json, write_reports

report = load_report_json(Path("report-in.json"))
written = write_reports(report, FORMATS, Path("out"))
pipelines = {p: sorted(str(f) for f in render_ci(p)) for p in ("github", "gitlab")}
print(json.dumps({"servegate": servegate.__file__, "written": [str(p) for p in written],
                  "pipelines": pipelines}))
"""


def _run(*command: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    return subprocess.run(  # noqa: S603 - our own interpreter and pip, no network
        [str(c) for c in command],
        cwd=cwd,
        env={**env, "PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Built from a copy so the build's egg-info and build/ never land in the checkout.
    source = tmp_path_factory.mktemp("source")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("components", "servegate", "policies"):
        shutil.copytree(ROOT / folder, source / folder, ignore=ignore)
    for file in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy(ROOT / file, source / file)
    dist = tmp_path_factory.mktemp("dist")
    built = _run(
        sys.executable,
        *("-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", dist, source),
        cwd=source,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (path,) = dist.glob("servegate-*.whl")
    return path


def test_the_wheel_carries_every_template_and_data_table(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {
        path.relative_to(ROOT).as_posix()
        for folder in ("servegate/templates", "components/data")
        for path in (ROOT / folder).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert shipped, "no templates or data found in the checkout"
    assert shipped <= names, sorted(shipped - names)
    # The policy library (rules, tests, parameters, the pack) at components/policies.
    policies = {
        f"components/{path.relative_to(ROOT).as_posix()}"
        for path in (ROOT / "policies").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert any(name.endswith("data/zones.yaml") for name in policies)
    assert policies <= names, sorted(policies - names)


def _installed(wheel: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A fresh venv outside the checkout with the wheel installed: (venv, its python)."""
    venv = tmp_path / "venv"
    created = _run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    installed = _run(
        sys.executable,
        *("-m", "pip", "--python", python, "install", "--no-deps", "--quiet", wheel),
        cwd=tmp_path,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    # The heavy dependencies come from this interpreter's site-packages, appended after the
    # venv's own (a plain path line: the editable install's finder there is not loaded).
    site = Path(
        _run(
            python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))", cwd=tmp_path
        ).stdout.strip()
    )
    (site / "zz-shared-deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    return venv, python


def test_an_installed_wheel_renders_every_report_outside_the_checkout(
    wheel: Path, tmp_path: Path
) -> None:
    venv, python = _installed(wheel, tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    (work / "report-in.json").write_text(render_json(failing_report()), encoding="utf-8")
    rendered = _run(python, "-I", "-c", RENDER, cwd=work)
    assert rendered.returncode == 0, rendered.stderr
    result = json.loads(rendered.stdout)

    assert Path(result["servegate"]).is_relative_to(venv), result["servegate"]
    assert [Path(p).name for p in result["written"]] == [RENDERERS[f][0] for f in FORMATS]
    for name in FORMATS:
        text = (work / "out" / RENDERERS[name][0]).read_text(encoding="utf-8")
        assert "RES-001" in text, name
    html = (work / "out" / "report.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html  # the installed template still escapes
    assert result["pipelines"] == {
        "github": [".github/workflows/servegate.yml"],
        "gitlab": [".gitlab-ci.yml", ".gitlab/servegate-gate.yml"],
    }


def test_an_installed_wheel_scaffolds_and_previews_a_stack_outside_the_checkout(
    wheel: Path, tmp_path: Path
) -> None:
    """A project of its own (program, Pulumi.yaml, no policies/): the wheel's library judges it."""
    venv, python = _installed(wheel, tmp_path)
    project = tmp_path / "project"
    project.mkdir()
    for file in ("__main__.py", "Pulumi.yaml"):
        shutil.copy(ROOT / file, project / file)
    cli = (python, "-I", "-m", "servegate.cli.main", "-q", "-C", project)

    scaffolded = _run(
        *cli, "new-stack", "test-ca", "--zone", "ca", "--region", "ca-central-1", cwd=project
    )
    assert scaffolded.returncode == 0, scaffolded.stdout + scaffolded.stderr
    assert (project / "stacks" / "Pulumi.test-ca.yaml").is_file()

    previewed = _run(*cli, "preview", "-s", "test-ca", "--format", "json", cwd=project)
    # The scaffold's placeholders are advisory (AUD-010): the stack passes its own gate.
    assert previewed.returncode == 0, previewed.stdout + previewed.stderr
    report = json.loads((project / "reports" / "test-ca" / "report.json").read_text())
    assert report["verdict"] == "pass"
    assert {f["rule_id"] for f in report["findings"]} == {"AUD-010"}
    assert len(report["rule_status"]) > 50
    # The bundle judged is the wheel's copy, not the checkout's.
    imported = _run(
        python,
        "-I",
        "-c",
        "from components import catalog; print(catalog.policies_dir())",
        cwd=project,
    )
    assert Path(imported.stdout.strip()).is_relative_to(venv), imported.stdout
