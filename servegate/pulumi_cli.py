"""Driving the real Pulumi CLI for `servegate up`: preview as JSON, then up on a pass."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from servegate.errors import GateError

PACK_DIR = Path("policies") / "pack"


def pulumi_binary() -> str:
    path = shutil.which("pulumi")
    if path is None:
        raise GateError(
            "the Pulumi CLI is not installed or not on PATH "
            "(install it from pulumi.com/docs/install); "
            "`servegate preview` gates offline without it"
        )
    return path


def preview_json(stack: str, project_dir: Path, out: Path, extra: Sequence[str] = ()) -> Path:
    """Run `pulumi preview --json --show-sames` and keep its document for the gate."""
    command = [
        pulumi_binary(),
        "preview",
        "--json",
        "--show-sames",
        "--non-interactive",
        "--stack",
        stack,
        "--cwd",
        str(project_dir),
        *extra,
    ]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0 and not completed.stdout.strip().startswith("{"):
        last = (completed.stderr.strip().splitlines() or ["no output"])[-1]
        raise GateError(f"pulumi preview failed (exit {completed.returncode}): {last}")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(completed.stdout, encoding="utf-8")
    return out


def up(stack: str, project_dir: Path, extra: Sequence[str] = ()) -> int:
    """Run `pulumi up` with the CrossGuard pack as a second line of enforcement."""
    command = [
        pulumi_binary(),
        "up",
        "--yes",
        "--non-interactive",
        "--stack",
        stack,
        "--cwd",
        str(project_dir),
        "--policy-pack",
        str(project_dir / PACK_DIR),
        *extra,
    ]
    return subprocess.run(command, check=False).returncode
