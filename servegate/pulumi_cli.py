"""Driving the real Pulumi CLI for `servegate up`: gate an update plan, then apply exactly it.

1. ``pulumi preview --json --show-sames --save-plan PLAN``: the preview document the gate
   judges, and the Pulumi update plan of the same run (a Preview feature of the Pulumi CLI).
2. the gate, on that preview.
3. only on a pass, ``pulumi up --plan PLAN``: the engine refuses any step that was not in
   the gated plan, so a program that would now do something else fails instead of deploying
   it. The CrossGuard pack runs as a second line, with the same engine, waivers and policy
   bundle as the gate (handed to it through its environment).

The same extra arguments go to both Pulumi runs.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from servegate.errors import GateError
from servegate.gate_env import ENGINE_ENV, PROJECT_DIR_ENV, WAIVERS_ENV

PACK_DIR = Path("policies") / "pack"
PREVIEW_FILE = "plan.json"
UPDATE_PLAN_FILE = "update-plan.json"
# The OPA server the `opa` engine talks to; the pack's engine reads the same variable.
OPA_URL_ENV = "OPA_URL"


def pulumi_binary() -> str:
    path = shutil.which("pulumi")
    if path is None:
        raise GateError(
            "the Pulumi CLI is not installed or not on PATH "
            "(install it from pulumi.com/docs/install); "
            "`servegate preview` gates offline without it"
        )
    return path


@dataclass(frozen=True)
class PackSettings:
    """What the CrossGuard pack must judge with: the gate's own engine, waivers and bundle."""

    engine: str
    project_dir: Path
    waivers: Path | None = None
    opa_url: str | None = None

    def environment(self) -> dict[str, str]:
        env = {ENGINE_ENV: self.engine, PROJECT_DIR_ENV: str(self.project_dir.resolve())}
        if self.waivers is not None:
            env[WAIVERS_ENV] = str(self.waivers.resolve())
        if self.opa_url:
            env[OPA_URL_ENV] = self.opa_url
        return env


@dataclass(frozen=True)
class GatedPreview:
    """The preview document the gate judges and the update plan saved by the same run."""

    document: Path
    update_plan: Path

    @property
    def update_plan_sha256(self) -> str:
        return hashlib.sha256(self.update_plan.read_bytes()).hexdigest()


def _stack_args(stack: str, project_dir: Path) -> list[str]:
    return ["--non-interactive", "--stack", stack, "--cwd", str(project_dir)]


def preview_with_plan(
    stack: str, project_dir: Path, reports_dir: Path, extra: Sequence[str] = ()
) -> GatedPreview:
    """Run the preview that saves an update plan; GateError (exit 2) when there is none."""
    reports_dir.mkdir(parents=True, exist_ok=True)
    document = reports_dir / PREVIEW_FILE
    update_plan = reports_dir / UPDATE_PLAN_FILE
    update_plan.unlink(missing_ok=True)
    command = [
        pulumi_binary(),
        "preview",
        "--json",
        "--show-sames",
        "--save-plan",
        str(update_plan),
        *_stack_args(stack, project_dir),
        *extra,
    ]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0 and not completed.stdout.strip().startswith("{"):
        last = (completed.stderr.strip().splitlines() or ["no output"])[-1]
        raise GateError(f"pulumi preview failed (exit {completed.returncode}): {last}")
    document.write_text(completed.stdout, encoding="utf-8")
    if not update_plan.is_file() or not update_plan.stat().st_size:
        raise GateError(
            f"pulumi preview wrote no update plan to {update_plan}: `servegate up` applies "
            "only a gated plan (`--save-plan`, a Preview feature of the Pulumi CLI; "
            "update the CLI if it does not know the flag)"
        )
    return GatedPreview(document=document, update_plan=update_plan)


def apply_plan(
    stack: str,
    project_dir: Path,
    preview: GatedPreview,
    pack: PackSettings,
    extra: Sequence[str] = (),
    environ: Mapping[str, str] = os.environ,
) -> int:
    """`pulumi up --plan` the gated plan, the pack judging with the gate's settings.

    `--yes` here is the user's earlier confirmation (or their own `--yes`), never a default.
    """
    command = [
        pulumi_binary(),
        "up",
        "--plan",
        str(preview.update_plan),
        "--yes",
        *_stack_args(stack, project_dir),
        "--policy-pack",
        str(project_dir / PACK_DIR),
        *extra,
    ]
    return subprocess.run(command, env={**environ, **pack.environment()}, check=False).returncode
