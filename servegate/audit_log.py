"""The tamper-evident audit log: one JSON line per gate decision, hash-chained.

Each line carries ``prev``, the SHA-256 (hex) of the previous line's exact bytes (without
its line end; GENESIS for the first line), ``seq``, its 1-based position, and ``digest``,
the SHA-256 of its own canonical JSON without the digest. Editing a line breaks its digest
(or, if the digest was recomputed, the next line's ``prev``); removing or reordering lines
breaks ``seq`` and ``prev``. Dropping lines at the end leaves a valid chain, so keep the
``head`` that ``verify`` returns somewhere the log's writer cannot change (a CI job log, a
ticket) and check it later with ``servegate audit verify --expect-head HEAD``.

Every gate run appends a line: a decision (verdict pass or fail) or, when the gate could
not judge, verdict ``error`` with the one-line reason.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from servegate.errors import GateError
from servegate.findings import Report
from servegate.report.view import waivers_used

if sys.platform != "win32":
    import fcntl

GENESIS = "0" * 64
_CHUNK = 65_536
# Relative to the project folder; --audit-log chooses another file.
DEFAULT_AUDIT_LOG = Path("reports") / "audit.jsonl"
# The verdict of a run that could not judge (exit 2).
ERROR_VERDICT = "error"


def audit_log_path(project_dir: Path, chosen: Path | None = None) -> Path:
    """The log a command writes or checks: ``chosen`` (--audit-log), else the default."""
    return chosen if chosen is not None else project_dir / DEFAULT_AUDIT_LOG


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of checking a log: ``lines`` intact entries before ``broken_line``, the
    first bad line (1-based), and ``head``, the hash of the last intact line."""

    lines: int
    head: str
    broken_line: int | None = None
    reason: str = ""
    # With verify(expect_head=...): the head the chain must end at, and the line whose hash
    # it is (0: the genesis value; None: no intact line has it).
    expected_head: str | None = None
    expected_at: int | None = None

    @property
    def ok(self) -> bool:
        return self.broken_line is None

    @property
    def head_problem(self) -> str:
        """Why the intact chain does not end at the expected head, or empty."""
        if self.expected_head is None or self.expected_head == self.head:
            return ""
        if self.expected_at is not None:
            appended = self.lines - self.expected_at
            return (
                f"the chain goes on past the expected head (line {self.expected_at}): "
                f"{appended} entr{'ies' if appended != 1 else 'y'} appended since"
            )
        return (
            f"the expected head {self.expected_head} is not in the chain: entries were cut "
            "off the end, or the log was replaced"
        )

    @property
    def problem(self) -> str:
        """``line N: what broke``, or empty when the chain is intact."""
        return "" if self.ok else f"line {self.broken_line}: {self.reason}"

    def describe(self, path: Path) -> str:
        """One line for the CLI."""
        if self.ok:
            return f"{path}: intact, {self.lines} entries, head {self.head}"
        return f"{path}: {self.problem}"


def _canonical(entry: Mapping[str, Any]) -> bytes:
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _local_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name in a bare container
        return "unknown"


def run_by(env: Mapping[str, str]) -> dict[str, str]:
    """Who ran the gate: the CI identity from the environment, else the local user.

    Only these identity variables are read; tokens and other secrets never are.
    """
    if env.get("GITHUB_ACTIONS") == "true" or "GITHUB_ACTOR" in env:
        identity = {
            "ci": "github-actions",
            "actor": env.get("GITHUB_ACTOR", ""),
            "workflow": env.get("GITHUB_WORKFLOW", ""),
            "run_id": env.get("GITHUB_RUN_ID", ""),
            "repository": env.get("GITHUB_REPOSITORY", ""),
        }
    elif env.get("GITLAB_CI") == "true" or "GITLAB_USER_LOGIN" in env:
        identity = {
            "ci": "gitlab-ci",
            "actor": env.get("GITLAB_USER_LOGIN", ""),
            "pipeline_id": env.get("CI_PIPELINE_ID", ""),
            "project": env.get("CI_PROJECT_PATH", ""),
        }
    elif env.get("CI", "").lower() in {"1", "true", "yes"}:
        identity = {"ci": "generic", "actor": _local_user()}
    else:
        identity = {"ci": "none", "actor": _local_user()}
    return {key: value for key, value in identity.items() if value}


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def decision_entry(report: Report, env: Mapping[str, str], now: datetime) -> dict[str, Any]:
    """The facts of one gate decision (without the chain fields)."""
    return {
        "time": rfc3339(now),
        "stack": report.stack,
        "source": report.source,
        "plan_sha256": report.plan_sha256,
        "policies_sha256": report.policies_sha256,
        "engine": {"name": report.engine.name, "version": report.engine.version},
        "verdict": report.verdict.value,
        "summary": asdict(report.summary),
        "exit_code": 0 if report.verdict.value == "pass" else 1,
        "waivers_file": report.waivers_file,
        "waivers_sha256": report.waivers_sha256,
        "waiver_problems": len(report.waiver_problems),
        "waivers": [
            {
                "rule_id": use.waiver.rule_id,
                "resource": use.waiver.resource,
                "approved_by": use.waiver.approved_by,
                "expires": use.waiver.expires.isoformat(),
                "findings": use.findings,
            }
            for use in waivers_used(report.findings)
        ],
        "run_by": run_by(env),
    }


def error_entry(
    *,
    stack: str,
    command: str,
    reason: str,
    engine: str,
    env: Mapping[str, str],
    now: datetime,
) -> dict[str, Any]:
    """The facts of a run that could not judge (exit 2), with its one-line reason."""
    return {
        "time": rfc3339(now),
        "stack": stack,
        "source": command,
        "engine": {"name": engine},
        "verdict": ERROR_VERDICT,
        "exit_code": 2,
        "reason": reason,
        "run_by": run_by(env),
    }


def blocked_entry(
    *,
    stack: str,
    source: str,
    resource_urn: str,
    rule_ids: list[str],
    reason: str,
    policies_sha256: str,
    engine: Mapping[str, str],
    env: Mapping[str, str],
    now: datetime,
) -> dict[str, Any]:
    """The facts of a resource the program's own enforcement refused to register."""
    return {
        "time": rfc3339(now),
        "stack": stack,
        "source": source,
        "policies_sha256": policies_sha256,
        "engine": dict(engine),
        "verdict": "fail",
        "exit_code": 1,
        "blocked": {"resource": resource_urn, "rule_ids": rule_ids},
        "reason": reason,
        "run_by": run_by(env),
    }


def update_entry(
    *,
    report: Report,
    update_plan_sha256: str,
    update_exit_code: int,
    env: Mapping[str, str],
    now: datetime,
) -> dict[str, Any]:
    """The facts of a `servegate up` that applied a gated plan: which preview the gate passed
    (``plan_sha256``), the exact update plan handed to `pulumi up --plan`, and its outcome."""
    return {
        "time": rfc3339(now),
        "stack": report.stack,
        "source": "pulumi up --plan",
        "plan_sha256": report.plan_sha256,
        "update_plan_sha256": update_plan_sha256,
        "policies_sha256": report.policies_sha256,
        "engine": {"name": report.engine.name, "version": report.engine.version},
        "verdict": report.verdict.value,
        "update_exit_code": update_exit_code,
        "exit_code": update_exit_code,
        "run_by": run_by(env),
    }


def _last_line(handle: IO[bytes]) -> bytes | None:
    """The file's last line without its line end; None for an empty file."""
    end = handle.seek(0, os.SEEK_END)
    if end == 0:
        return None
    handle.seek(end - 1)
    if handle.read(1) != b"\n":
        raise GateError(
            f"{handle.name}: the last line has no line end (an interrupted write or an edit); "
            "run `servegate audit verify` before appending"
        )
    # Read backwards from the final line end until the line end before it.
    position, tail = end - 1, b""
    while position > 0:
        step = min(_CHUNK, position)
        position -= step
        handle.seek(position)
        tail = handle.read(step) + tail
        newline = tail.rfind(b"\n")
        if newline != -1:
            return tail[newline + 1 :]
    return tail


def append(
    path: Path,
    report: Report,
    env: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Append one chained line for this decision to the log at ``path`` and return it."""
    entry = decision_entry(report, os.environ if env is None else env, now or datetime.now(UTC))
    return append_entry(path, entry)


def append_error(
    path: Path,
    *,
    stack: str,
    command: str,
    reason: str,
    engine: str,
    env: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Append one chained line for a run that ended with exit 2."""
    entry = error_entry(
        stack=stack,
        command=command,
        reason=reason,
        engine=engine,
        env=os.environ if env is None else env,
        now=now or datetime.now(UTC),
    )
    return append_entry(path, entry)


def append_update(
    path: Path,
    *,
    report: Report,
    update_plan_sha256: str,
    update_exit_code: int,
    env: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Append one chained line for an update that applied a gated plan."""
    entry = update_entry(
        report=report,
        update_plan_sha256=update_plan_sha256,
        update_exit_code=update_exit_code,
        env=os.environ if env is None else env,
        now=now or datetime.now(UTC),
    )
    return append_entry(path, entry)


def append_entry(path: Path, entry: dict[str, Any]) -> dict[str, Any]:
    """Chain ``entry`` (seq, prev, digest) onto the log at ``path`` and return it.

    The read of the last line and the write happen under an exclusive lock, so concurrent
    gates on one machine cannot fork the chain; the line goes out in one write and is
    fsync'ed before returning.
    """
    entry = dict(entry)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a+b") as handle:
            if sys.platform != "win32":
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            previous = _last_line(handle)
            entry["seq"] = 1 if previous is None else _previous_seq(path, previous) + 1
            entry["prev"] = GENESIS if previous is None else _sha256(previous)
            entry["digest"] = _sha256(_canonical(entry))
            handle.write(_canonical(entry) + b"\n")
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as error:
        reason = error.strerror or error
        raise GateError(f"{path}: cannot append to the audit log: {reason}") from None
    return entry


def _previous_seq(path: Path, line: bytes) -> int:
    try:
        seq = json.loads(line)["seq"]
    except (ValueError, KeyError, TypeError):
        seq = None
    if not isinstance(seq, int):
        raise GateError(
            f"{path}: the last line is not a servegate audit entry; run `servegate audit verify`"
        )
    return seq


def _check_line(number: int, line: bytes, expected_prev: str) -> tuple[int, str] | None:
    """(line number, what broke) for the first problem this line shows, else None."""
    if not line:
        return number, "empty line (a line was blanked or an extra line end inserted)"
    try:
        entry = json.loads(line)
    except ValueError:
        return number, "not valid JSON (the line was changed or damaged)"
    if not isinstance(entry, dict) or not isinstance(entry.get("digest"), str):
        return number, "not a servegate audit entry (no digest): the line was changed"
    digest = entry.pop("digest")
    if _sha256(_canonical(entry)) != digest:
        return number, "content does not match its digest: the line was changed"
    seq = entry.get("seq")
    if seq != number:
        return number, (
            f"holds entry #{seq} where #{number} belongs: "
            "a line before it was removed, or lines were reordered or duplicated"
        )
    if entry.get("prev") != expected_prev and number == 1:
        return number, "prev is not the genesis value: the first lines were removed"
    if entry.get("prev") != expected_prev:
        # This line is intact, so the one before it was rewritten (digest recomputed).
        return number - 1, f"was changed: line {number}'s prev does not match its hash"
    return None


def parse_head(text: str) -> str:
    """A head digest as given on the command line: 64 hex digits (case ignored)."""
    head = text.strip().lower()
    if len(head) != 64 or any(c not in "0123456789abcdef" for c in head):
        raise GateError(f"--expect-head {text[:80]!r} is not a SHA-256 digest (64 hex digits)")
    return head


def verify(path: Path, expect_head: str | None = None) -> VerifyResult:
    """Check the whole chain; report the first line that was changed, removed or reordered.

    With ``expect_head`` (a head printed by an earlier verify), also say whether the chain
    ends there: lines cut off the end leave a valid chain with an older head.
    Raises GateError when the file cannot be read at all.
    """
    try:
        data = path.read_bytes()
    except OSError as error:
        raise GateError(f"{path}: cannot read the audit log: {error.strerror or error}") from None
    expected_at = 0 if expect_head == GENESIS else None

    def result(
        lines: int, head: str, broken_line: int | None = None, reason: str = ""
    ) -> VerifyResult:
        return VerifyResult(
            lines=lines,
            head=head,
            broken_line=broken_line,
            reason=reason,
            expected_head=expect_head,
            expected_at=expected_at,
        )

    if not data:
        return result(0, GENESIS)
    lines = data.split(b"\n")
    complete = lines[-1] == b""
    if complete:
        lines.pop()
    expected_prev = GENESIS
    for number, line in enumerate(lines, start=1):
        problem = _check_line(number, line, expected_prev)
        if problem is not None:
            return result(number - 1, expected_prev, problem[0], problem[1])
        expected_prev = _sha256(line)
        if expected_prev == expect_head:
            expected_at = number
    if not complete:
        return result(
            len(lines) - 1,
            expected_prev,
            len(lines),
            "no line end (an interrupted write or an edit)",
        )
    return result(len(lines), expected_prev)
