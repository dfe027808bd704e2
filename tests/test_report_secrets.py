"""No renderer prints a secret: redacted values stay redacted, nothing else leaks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from servegate.plan.secrets import SECRET
from servegate.report.writer import FORMATS, write_reports
from tests.report_builders import finding, report, urn


def test_redacted_value_renders_as_such_in_every_format(tmp_path: Path) -> None:
    item = finding(
        "SEC-001",
        urn("prod-ca", "kubernetes:core/v1:Secret", "hf-token"),
        path="stringData.token",
        value=SECRET,
        message="the token is stored in plain Kubernetes Secret data",
        resource_type="kubernetes:core/v1:Secret",
    )
    for path in write_reports(report([item]), FORMATS, tmp_path):
        text = path.read_text(encoding="utf-8")
        # Markdown escapes brackets; the reader still sees [secret]
        visible = re.sub(r"\\([\[\]])", r"\1", text) if path.suffix == ".md" else text
        assert SECRET in visible, path.name


def test_nothing_from_the_environment_reaches_a_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI-leak-canary")
    monkeypatch.setenv("GITHUB_TOKEN", "ghs-leak-canary")
    item = finding("SEC-001", urn("prod-ca", "aws:s3/bucket:Bucket", "models"), value=SECRET)
    for path in write_reports(report([item]), FORMATS, tmp_path):
        assert "leak-canary" not in path.read_text(encoding="utf-8"), path.name
