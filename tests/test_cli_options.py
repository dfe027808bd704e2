"""Common options are checked before anything runs; global options work after the subcommand."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from servegate import run as run_module
from servegate.cli.main import app
from servegate.cli.options import hoist_global_options
from servegate.engines import ENGINE_NAMES

runner = CliRunner()


@pytest.fixture
def program_never_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: Any, **__: Any) -> Any:
        raise AssertionError("the Pulumi program ran although an option was invalid")

    monkeypatch.setattr(run_module, "offline_run", refuse)
    monkeypatch.setattr(run_module, "plan_inventory", refuse)
    monkeypatch.setattr("servegate.pulumi_cli.preview_with_plan", refuse)


BAD_OPTIONS = [
    (["--engine", "nope"], f"--engine 'nope' is not an engine; allowed: {', '.join(ENGINE_NAMES)}"),
    (
        ["--format", "json,pdf"],
        "--format 'pdf' is not a report format; allowed: json, md, html, sarif, junit, codequality",
    ),
    (["--format", " , "], "--format is empty; allowed: json, md, html, sarif, junit, codequality"),
    (
        ["--engine", "opa", "--opa-url", "localhost:8181"],
        "--opa-url 'localhost:8181' (or OPA_URL) is not an http:// or https:// URL with a host",
    ),
    (["--engine", "opa", "--opa-url", "http://"], "--opa-url 'http://' (or OPA_URL) is not an"),
    (["--engine", "opa"], "--engine opa needs --opa-url URL or the OPA_URL variable"),
]


@pytest.mark.parametrize("command", ["preview", "check", "up"])
@pytest.mark.parametrize(("options", "message"), BAD_OPTIONS)
@pytest.mark.usefixtures("program_never_runs")
def test_a_bad_common_option_exits_2_in_one_line_before_the_program_runs(
    project: Path,
    monkeypatch: pytest.MonkeyPatch,
    command: str,
    options: list[str],
    message: str,
) -> None:
    monkeypatch.delenv("OPA_URL", raising=False)
    plan = project / "plan.json"
    plan.write_text("{}")
    target = [str(plan)] if command == "check" else []
    result = runner.invoke(app, ["-C", str(project), command, *target, "-s", "prod-ca", *options])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.output
    # Nothing was judged and no report written; the refusal itself is in the audit log.
    assert not (project / "reports" / "prod-ca").exists()
    [entry] = [
        json.loads(line) for line in (project / "reports/audit.jsonl").read_text().splitlines()
    ]
    assert (entry["verdict"], entry["exit_code"]) == ("error", 2)


def test_a_bad_opa_url_from_the_environment_is_named_too(
    project: Path, monkeypatch: pytest.MonkeyPatch, program_never_runs: None
) -> None:
    monkeypatch.setenv("OPA_URL", "opa:8181")
    result = runner.invoke(app, ["-C", str(project), "preview", "-s", "dev", "--engine", "opa"])
    assert result.exit_code == 2
    assert "--opa-url 'opa:8181' (or OPA_URL) is not an http:// or https:// URL" in result.output


def test_policies_test_checks_its_engine_first(project: Path) -> None:
    result = runner.invoke(app, ["-C", str(project), "policies", "test", "--engine", "rego"])
    assert result.exit_code == 2
    assert result.output.strip() == (
        f"error: --engine 'rego' is not an engine; allowed: {', '.join(ENGINE_NAMES)}"
    )


def test_global_options_work_after_the_subcommand(project: Path) -> None:
    result = runner.invoke(
        app, ["preview", "-s", "dev", "--format", "json", "-q", "--project-dir", str(project)]
    )
    assert result.exit_code == 0, result.output
    # --quiet took effect: only the verdict line, no summary tables.
    assert result.output.startswith("PASS dev"), result.output
    assert "GPU pools" not in result.output
    assert (project / "reports" / "dev" / "report.json").is_file()  # --project-dir too


def test_project_dir_short_and_attached_forms_after_the_subcommand(project: Path) -> None:
    for args in (["-C", str(project)], [f"-C{project}"], [f"--project-dir={project}"]):
        result = runner.invoke(app, ["inventory", "-s", "dev", *args])
        assert result.exit_code == 0, result.output
        assert json.loads(result.output)["stack"]["name"] == "dev"


def test_debug_after_the_subcommand_shows_the_traceback(project: Path) -> None:
    plan = project / "broken.json"
    plan.write_text("{not json")
    quiet = runner.invoke(app, ["check", str(plan), "-s", "prod-ca", "-C", str(project)])
    loud = runner.invoke(app, ["check", str(plan), "-s", "prod-ca", "-C", str(project), "--debug"])
    assert quiet.exit_code == loud.exit_code == 2
    assert "Traceback" not in quiet.output
    assert "Traceback" in loud.output


def _group_params() -> list[Any]:
    from typer.main import get_command

    return list(get_command(app).params)


@pytest.mark.parametrize(
    ("given", "parsed"),
    [
        (["preview", "-s", "dev", "-q"], ["-q", "preview", "-s", "dev"]),
        (["-C", "x", "preview", "-s", "dev"], ["-C", "x", "preview", "-s", "dev"]),
        (["policies", "test", "--debug", "-C", "x"], ["--debug", "-C", "x", "policies", "test"]),
        (
            ["up", "-s", "prod-ca", "-q", "--", "-q", "--debug"],
            ["-q", "up", "-s", "prod-ca", "--", "-q", "--debug"],
        ),
    ],
)
def test_hoisting_moves_only_the_groups_options_and_stops_at_double_dash(
    given: list[str], parsed: list[str]
) -> None:
    assert hoist_global_options(given, _group_params()) == parsed
