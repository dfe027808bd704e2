"""EKS version support: the compliance calendar, the shipped stacks, and the gate judging a
plan ``--as-of`` dates on both sides of each boundary (SEC-012 mandatory, SEC-013 advisory)."""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from components import catalog
from servegate.cli.main import app
from tests import stacks

runner = CliRunner()
CALENDAR = yaml.safe_load((catalog.POLICY_DATA / "eks_versions.yaml").read_text())


def _day(text: str) -> date:
    return date.fromisoformat(text)


@pytest.mark.parametrize("version", sorted(CALENDAR["versions"]))
def test_each_version_has_dates_in_order_and_says_whether_they_were_verified(
    version: str,
) -> None:
    row = CALENDAR["versions"][version]
    standard, extended = _day(row["endOfStandardSupport"]), _day(row["endOfExtendedSupport"])
    # Extended support is the 12 months after standard support (the AWS page).
    assert (extended.year - standard.year, extended.month, extended.day) == (
        1,
        standard.month,
        standard.day,
    )
    assert isinstance(row["verified"], bool)


def test_every_shipped_stack_is_in_standard_support_today() -> None:
    """Fails on the day a shipped stack's version leaves standard support: upgrade it then."""
    today = datetime.now(UTC).date()
    for stack in stacks.SHIPPED:
        version = stacks.spec(stack).cluster.kubernetes_version
        row = CALENDAR["versions"][version]
        assert today < _day(row["endOfStandardSupport"]), f"{stack} pins {version}"


@pytest.fixture
def project(project: Path) -> Path:
    """The shared project folder (tests/conftest.py) with prod-ca's preview as plan.json."""
    (project / "plan.json").write_text(json.dumps(stacks.preview_document("prod-ca")))
    return project


def _check(project: Path, *extra: str) -> tuple[int, dict[str, Any], str]:
    out = project / "out"
    result = runner.invoke(
        app,
        ["-q", "-C", str(project), "check", str(project / "plan.json"), "-s", "prod-ca"]
        + ["--format", "json,md,html,junit,sarif", "--out", str(out), *extra],
    )
    report_path = out / "report.json"
    report = json.loads(report_path.read_text()) if report_path.exists() else {}
    return result.exit_code, report, result.output


def _version_findings(report: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted(
        (f["rule_id"], f["enforcement"])
        for f in report["findings"]
        if f["rule_id"] in {"SEC-012", "SEC-013"}
    )


# prod-ca pins 1.35: standard support ends 2027-03-27, extended support 2028-03-27.
@pytest.mark.parametrize(
    ("as_of", "code", "expected"),
    [
        ("2026-12-26", 0, []),
        ("2026-12-27", 0, [("SEC-013", "advisory")]),
        ("2027-03-26", 0, [("SEC-013", "advisory")]),
        ("2027-03-27", 1, [("SEC-012", "mandatory")]),
        ("2028-03-26", 1, [("SEC-012", "mandatory")]),
        ("2028-03-27", 1, [("SEC-012", "mandatory")]),
    ],
)
def test_the_decision_follows_the_evaluation_date(
    project: Path, as_of: str, code: int, expected: list[tuple[str, str]]
) -> None:
    exit_code, report, output = _check(project, "--as-of", as_of)
    assert exit_code == code, output
    assert _version_findings(report) == expected
    assert report["as_of"] == as_of


def test_past_extended_support_says_so(project: Path) -> None:
    _, report, _ = _check(project, "--as-of", "2028-03-27")
    (finding,) = [f for f in report["findings"] if f["rule_id"] == "SEC-012"]
    assert "past the end of extended support on 2028-03-27" in finding["message"]
    assert finding["evidence"]["value"] == "1.35"


def test_every_report_records_the_evaluation_date(project: Path) -> None:
    code, report, output = _check(project, "--as-of", "2027-01-15")
    assert code == 0, output
    assert report["as_of"] == "2027-01-15"
    out = project / "out"
    assert "as of 2027-01-15" in (out / "report.md").read_text()
    assert "Evaluated as of</dt><dd>2027-01-15" in (out / "report.html").read_text()
    assert 'name="as_of" value="2027-01-15"' in (out / "junit.xml").read_text()
    sarif = json.loads((out / "report.sarif").read_text())
    assert sarif["runs"][0]["properties"]["asOf"] == "2027-01-15"


def test_the_default_evaluation_date_is_today_utc(project: Path) -> None:
    _, report, output = _check(project)
    assert report["as_of"] == datetime.now(UTC).date().isoformat(), output


@pytest.mark.parametrize("value", ["tomorrow", "2026-13-01", "01/12/2026"])
def test_a_malformed_evaluation_date_is_one_line_and_exit_2(project: Path, value: str) -> None:
    code, report, output = _check(project, "--as-of", value)
    assert code == 2
    assert report == {}
    assert f"--as-of: {value!r} is not a date; write it as YYYY-MM-DD" in output
    assert "Traceback" not in output and output.strip().count("\n") == 0


def _fake_pulumi(project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A `pulumi` that prints the prod-ca preview and logs its calls."""
    bin_dir, log = project / "bin", project / "pulumi.log"
    bin_dir.mkdir()
    script = bin_dir / "pulumi"
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$@" >> "{log}"\n'
        # `servegate up` previews with --save-plan FILE: write the update plan it names.
        'previous=""; for a in "$@"; do [ "$previous" = --save-plan ] && echo "{}" > "$a"; '
        'previous="$a"; done\n'
        f'case "$1" in preview) cat "{project / "plan.json"}" ;; up) echo applied ;; esac\n'
    )
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return log


def test_up_never_judges_as_of_a_past_date(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = _fake_pulumi(project, monkeypatch)
    result = runner.invoke(
        app, ["-q", "-C", str(project), "up", "-s", "prod-ca", "--as-of", "2026-01-01"]
    )
    assert result.exit_code == 2
    assert "--as-of: up deploys today" in result.output and "2026-01-01 is earlier" in result.output
    assert not log.exists()


def test_up_as_of_a_later_date_refuses_an_unsupported_version(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = _fake_pulumi(project, monkeypatch)
    result = runner.invoke(
        app,
        ["-q", "-C", str(project), "up", "-s", "prod-ca", "--format", "json"]
        + ["--as-of", "2027-03-27"],
    )
    assert result.exit_code == 1, result.output
    assert "pulumi up was not run" in result.output
    assert [line.split()[0] for line in log.read_text().splitlines()] == ["preview"]
