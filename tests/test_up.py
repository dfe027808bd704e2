"""`servegate up` with a fake `pulumi` on PATH: the exact command lines, the environment the
CrossGuard pack gets, refusal on exit 1 and 2, the confirmation prompt, and the audit entry."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from servegate.audit_log import verify
from servegate.cli import main as cli
from servegate.cli.main import app
from tests import stacks

FIXTURES = Path(__file__).parent / "fixtures" / "plans"
runner = CliRunner()
UPDATE_PLAN = '{"manifest": {"time": "2026-12-01T00:00:00Z"}, "resourcePlans": {}}'


def _fake_pulumi(
    project: Path,
    preview: Path,
    monkeypatch: pytest.MonkeyPatch,
    *,
    save_plan: bool = True,
    up_exit: int = 0,
) -> Path:
    """A `pulumi` that logs each call (arguments, then the pack's environment) and answers
    `preview` with ``preview`` (writing the --save-plan file) and `up` with ``up_exit``."""
    log = project / "pulumi.log"
    bin_dir = project / "bin"
    bin_dir.mkdir()
    script = bin_dir / "pulumi"
    write_plan = (
        f"      if [ \"$previous\" = --save-plan ]; then printf '%s' '{UPDATE_PLAN}' > \"$a\"; fi\n"
        if save_plan
        else ""
    )
    script.write_text(
        "#!/bin/sh\n"
        f'echo "ARGS $*" >> "{log}"\n'
        f'echo "ENV engine=$SERVEGATE_ENGINE project=$SERVEGATE_PROJECT_DIR '
        f'waivers=$SERVEGATE_WAIVERS" >> "{log}"\n'
        'case "$1" in\n'
        "  preview)\n"
        "    previous=''\n"
        '    for a in "$@"; do\n'
        f"{write_plan}"
        '      previous="$a"\n'
        "    done\n"
        f'    cat "{preview}" ;;\n'
        f"  up) echo applied; exit {up_exit} ;;\n"
        "esac\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return log


def _calls(log: Path) -> list[tuple[str, str]]:
    lines = log.read_text().splitlines()
    return list(zip(lines[::2], lines[1::2], strict=True))


def _good(project: Path) -> Path:
    path = project / "good.json"
    path.write_text(json.dumps(stacks.preview_document("prod-ca")))
    return path


def invoke(project: Path, *args: str, input: str | None = None) -> tuple[int, str]:  # noqa: A002
    result = runner.invoke(app, ["-C", str(project), *args], input=input)
    return result.exit_code, result.output


def test_up_previews_a_plan_gates_it_and_applies_exactly_that_plan(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = _fake_pulumi(project, _good(project), monkeypatch)
    waivers = project / "waivers.yaml"
    waivers.write_text("waivers: []\n")
    code, output = invoke(
        project,
        "up",
        "-s",
        "prod-ca",
        "--yes",
        "--format",
        "json",
        "--waivers",
        str(waivers),
        "--",
        "--refresh",
        "--parallel",
        "4",
    )
    assert code == 0, output
    (preview_args, _), (up_args, up_env) = _calls(log)
    plan = project / "reports/prod-ca/update-plan.json"
    stack = f"--non-interactive --stack prod-ca --cwd {project}"
    assert preview_args == (
        f"ARGS preview --json --show-sames --save-plan {plan} {stack} --refresh --parallel 4"
    )
    assert up_args == (
        f"ARGS up --plan {plan} --yes {stack} --policy-pack {project / 'policies/pack'} "
        "--refresh --parallel 4"
    )
    assert up_env == f"ENV engine=regorus project={project.resolve()} waivers={waivers.resolve()}"


def test_up_records_the_plan_verdict_and_update_exit_code(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_pulumi(project, _good(project), monkeypatch, up_exit=3)
    code, output = invoke(project, "up", "-s", "prod-ca", "--yes", "--format", "json")
    assert code == 3, output
    audit = project / "reports/audit.jsonl"
    assert verify(audit).ok
    gate_line, update_line = (json.loads(line) for line in audit.read_text().splitlines())
    assert gate_line["verdict"] == "pass"
    assert update_line["source"] == "pulumi up --plan"
    assert update_line["update_plan_sha256"] == hashlib.sha256(UPDATE_PLAN.encode()).hexdigest()
    assert update_line["plan_sha256"] == gate_line["plan_sha256"]
    assert (update_line["verdict"], update_line["update_exit_code"]) == ("pass", 3)


@pytest.mark.parametrize(
    ("preview", "expected_code", "message"),
    [
        (FIXTURES / "preview-prod-ca.json", 1, "pulumi up was not run"),
        (None, 2, "not valid JSON"),
    ],
)
def test_up_refuses_to_apply_when_the_gate_does_not_pass(
    project: Path,
    monkeypatch: pytest.MonkeyPatch,
    preview: Path | None,
    expected_code: int,
    message: str,
) -> None:
    if preview is None:
        preview = project / "broken.json"
        preview.write_text("{ not json")
    log = _fake_pulumi(project, preview, monkeypatch)
    code, output = invoke(project, "up", "-s", "prod-ca", "--yes", "--format", "json")
    assert code == expected_code, output
    assert message in output
    assert [args.split()[1] for args, _ in _calls(log)] == ["preview"]


def test_up_refuses_a_preview_that_saved_no_update_plan(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = _fake_pulumi(project, _good(project), monkeypatch, save_plan=False)
    code, output = invoke(project, "up", "-s", "prod-ca", "--yes")
    assert code == 2
    assert "wrote no update plan" in output
    assert [args.split()[1] for args, _ in _calls(log)] == ["preview"]


def test_up_without_yes_and_without_a_terminal_does_not_apply(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = _fake_pulumi(project, _good(project), monkeypatch)
    monkeypatch.setattr(cli, "_interactive", lambda: False)
    code, output = invoke(project, "up", "-s", "prod-ca", "--format", "json")
    assert code == 2
    assert "pass --yes" in output
    assert [args.split()[1] for args, _ in _calls(log)] == ["preview"]


@pytest.mark.parametrize(("answer", "expected"), [("y\n", 0), ("n\n", 1), ("\n", 1)])
def test_up_asks_before_applying(
    project: Path, monkeypatch: pytest.MonkeyPatch, answer: str, expected: int
) -> None:
    log = _fake_pulumi(project, _good(project), monkeypatch)
    monkeypatch.setattr(cli, "_interactive", lambda: True)
    code, output = invoke(project, "up", "-s", "prod-ca", "--format", "json", input=answer)
    assert code == expected, output
    plan = project / "reports/prod-ca/update-plan.json"
    digest = hashlib.sha256(plan.read_bytes()).hexdigest()
    assert f"Apply the gated plan (sha256 {digest[:12]}) to stack prod-ca? [y/N]" in output
    assert "PASS" in output.upper()  # the verdict summary comes before the question
    ran = [args.split()[1] for args, _ in _calls(log)]
    assert ran == (["preview", "up"] if expected == 0 else ["preview"])
    if expected:
        assert "not applied" in output


def test_up_without_the_pulumi_cli_is_a_clear_error(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(project / "empty"))
    code, output = invoke(project, "up", "-s", "prod-ca")
    assert code == 2
    assert "Pulumi CLI is not installed" in output
