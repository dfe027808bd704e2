"""The hash-chained audit log: append, verify, and tampering named by line."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from servegate.audit_log import GENESIS, append, run_by, verify
from servegate.errors import GateError
from tests.report_builders import failing_report, passing_report

GITHUB = {
    "GITHUB_ACTIONS": "true",
    "GITHUB_ACTOR": "octocat",
    "GITHUB_WORKFLOW": "gate",
    "GITHUB_RUN_ID": "42",
    "GITHUB_TOKEN": "ghs_must_never_be_logged",
}


def _log(tmp_path: Path, entries: int = 4) -> Path:
    path = tmp_path / "reports" / "audit.jsonl"
    for i in range(entries):
        report = failing_report() if i % 2 else passing_report()
        append(path, report, env=GITHUB, now=datetime(2026, 11, 22, 10, i, tzinfo=UTC))
    return path


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def test_entries_record_the_decision_and_chain(tmp_path: Path) -> None:
    path = _log(tmp_path, 2)
    raw = path.read_bytes().split(b"\n")
    first, second = (json.loads(line) for line in raw[:2])
    assert raw[2] == b""
    assert first["prev"] == GENESIS and first["seq"] == 1
    assert second["prev"] == hashlib.sha256(raw[0]).hexdigest() and second["seq"] == 2
    assert first["time"] == "2026-11-22T10:00:00Z"
    assert first["stack"] == "prod-ca" and first["verdict"] == "pass"
    assert first["plan_sha256"] == "a" * 64 and first["policies_sha256"] == "b" * 64
    assert first["engine"] == {"name": "regorus", "version": "0.13.2"}
    assert first["summary"]["waived"] == 1
    assert first["waivers"] == [
        {
            "rule_id": "AUD-001",
            "resource": passing_report().findings[1].resource_urn,
            "approved_by": "compliance@example.com",
            "expires": "2027-03-31",
            "findings": 1,
        }
    ]
    assert first["run_by"] == {
        "ci": "github-actions",
        "actor": "octocat",
        "workflow": "gate",
        "run_id": "42",
    }
    assert second["verdict"] == "fail" and second["waiver_problems"] == 1


def test_no_environment_secret_is_logged(tmp_path: Path) -> None:
    path = _log(tmp_path, 1)
    assert b"ghs_must_never_be_logged" not in path.read_bytes()


def test_identity_from_gitlab_generic_ci_and_local_user(monkeypatch: pytest.MonkeyPatch) -> None:
    gitlab = run_by({"GITLAB_CI": "true", "GITLAB_USER_LOGIN": "alice", "CI_PIPELINE_ID": "7"})
    assert gitlab == {"ci": "gitlab-ci", "actor": "alice", "pipeline_id": "7"}
    monkeypatch.setattr("getpass.getuser", lambda: "bob")
    assert run_by({"CI": "true"}) == {"ci": "generic", "actor": "bob"}
    assert run_by({}) == {"ci": "none", "actor": "bob"}


def test_untouched_log_verifies(tmp_path: Path) -> None:
    path = _log(tmp_path)
    result = verify(path)
    assert result.ok and result.lines == 4
    assert result.head == hashlib.sha256(_lines(path)[-1].rstrip(b"\n")).hexdigest()
    assert "intact, 4 entries" in result.describe(path)


def test_empty_log_verifies(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    path.write_bytes(b"")
    assert verify(path).ok


def test_edited_line_is_named(tmp_path: Path) -> None:
    path = _log(tmp_path)
    lines = _lines(path)
    lines[1] = lines[1].replace(b'"verdict":"fail"', b'"verdict":"pass"')
    path.write_bytes(b"".join(lines))
    result = verify(path)
    assert not result.ok and result.broken_line == 2
    assert "changed" in result.reason
    assert result.problem.startswith("line 2: ")
    assert result.describe(path) == f"{path}: {result.problem}"


def test_edit_with_recomputed_digest_is_named_by_the_next_prev(tmp_path: Path) -> None:
    path = _log(tmp_path)
    lines = _lines(path)
    entry = json.loads(lines[1])
    entry["verdict"] = "pass"
    del entry["digest"]
    canonical = json.dumps(entry, sort_keys=True, separators=(",", ":")).encode()
    entry["digest"] = hashlib.sha256(canonical).hexdigest()
    lines[1] = json.dumps(entry, sort_keys=True, separators=(",", ":")).encode() + b"\n"
    path.write_bytes(b"".join(lines))
    result = verify(path)
    assert result.broken_line == 2 and "line 3's prev" in result.reason


def test_deleted_line_is_named(tmp_path: Path) -> None:
    path = _log(tmp_path)
    lines = _lines(path)
    del lines[2]
    path.write_bytes(b"".join(lines))
    result = verify(path)
    assert result.broken_line == 3 and "removed" in result.reason


def test_deleted_first_line_is_named(tmp_path: Path) -> None:
    path = _log(tmp_path)
    path.write_bytes(b"".join(_lines(path)[1:]))
    assert verify(path).broken_line == 1


def test_reordered_lines_are_named(tmp_path: Path) -> None:
    path = _log(tmp_path)
    lines = _lines(path)
    lines[1], lines[2] = lines[2], lines[1]
    path.write_bytes(b"".join(lines))
    result = verify(path)
    assert result.broken_line == 2 and "reordered" in result.reason


def test_bad_json_line_is_named(tmp_path: Path) -> None:
    path = _log(tmp_path)
    lines = _lines(path)
    lines[3] = b"{oops\n"
    path.write_bytes(b"".join(lines))
    result = verify(path)
    assert result.broken_line == 4 and "not valid JSON" in result.reason


def test_truncated_last_line_is_named_and_blocks_appending(tmp_path: Path) -> None:
    path = _log(tmp_path, 2)
    path.write_bytes(path.read_bytes()[:-10])
    assert verify(path).broken_line == 2
    with pytest.raises(GateError, match="no line end"):
        append(path, passing_report(), env={})


def test_appending_after_verification_keeps_the_chain(tmp_path: Path) -> None:
    path = _log(tmp_path, 3)
    append(path, passing_report(), env={})
    result = verify(path)
    assert result.ok and result.lines == 4


def test_unreadable_log_is_a_gate_error(tmp_path: Path) -> None:
    with pytest.raises(GateError, match="cannot read the audit log"):
        verify(tmp_path / "missing.jsonl")


def test_last_line_is_found_across_read_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("servegate.audit_log._CHUNK", 7)  # far shorter than one line
    path = _log(tmp_path, 3)
    result = verify(path)
    assert result.ok and result.lines == 3
