"""Cold, fresh-process ``servegate preview`` of the shipped stacks, side by side with the SDK
import floor and ``servegate check`` of the saved plan, all in one run on one machine.

Every command runs ``--runs`` times after one warm-up (which also writes the bytecode and
template caches a user's second run has); each figure is the median and the min–max, in
wall and CPU seconds of the whole process tree, with the load average of each run.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.procstats import TreeRun, run_tree

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    # What a user's machine does: compiled bytecode is cached after the first run.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def summarise(runs: Sequence[TreeRun]) -> dict[str, Any]:
    walls = [run.wall_s for run in runs]
    cpus = [run.cpu_s for run in runs]
    return {
        "runs": len(runs),
        "wall_median_s": round(statistics.median(walls), 3),
        "wall_min_s": round(min(walls), 3),
        "wall_max_s": round(max(walls), 3),
        "cpu_median_s": round(statistics.median(cpus), 3),
        "cpu_min_s": round(min(cpus), 3),
        "cpu_max_s": round(max(cpus), 3),
        "peak_rss_mib_max": round(max(run.peak_rss_mib for run in runs), 1),
        "load_1min": [run.load[0] for run in runs],
        "exit_codes": sorted({run.returncode for run in runs}),
    }


def measure(command: Sequence[str], runs: int) -> dict[str, Any]:
    """Warm-up once, then ``runs`` measured runs of ``command``."""
    run_tree(command, cwd=ROOT, env=_env())
    return summarise([run_tree(command, cwd=ROOT, env=_env()) for _ in range(runs)])


def cold_previews(stacks: Sequence[str], runs: int, workdir: Path) -> dict[str, Any]:
    python = sys.executable
    results: dict[str, Any] = {}
    for stack in stacks:
        out = workdir / f"reports-{stack}"
        plan = workdir / f"plan-{stack}.json"
        modules = workdir / f"sdk-modules-{stack}.json"
        cli = [python, "-m", "servegate.cli.main", "-C", str(ROOT), "-q"]
        audit = ["--audit-log", str(workdir / "audit.jsonl")]
        preview = [*cli, "preview", "-s", stack, "--out", str(out), *audit]
        # The plan `check` gates, and the SDK modules the floor imports, from this stack.
        run_tree([*preview, "--save-plan", str(plan)], cwd=ROOT, env=_env())
        phases = [
            run_tree(
                [
                    python,
                    str(BENCH / "preview_phases.py"),
                    stack,
                    "--out",
                    str(out),
                    "--modules",
                    str(modules),
                ],
                cwd=ROOT,
                env=_env(),
            )
            for _ in range(runs)
        ]
        results[stack] = {
            "preview": measure(preview, runs),
            "sdk_floor": measure(
                [python, str(BENCH / "sdk_floor.py"), "--modules", str(modules)], runs
            ),
            "check": measure(
                [*cli, "check", str(plan), "-s", stack, "--out", str(out), *audit], runs
            ),
            "phases": _median_phases(phases),
            "sdk_modules": len(json.loads(modules.read_text())),
        }
        preview_median = results[stack]["preview"]["wall_median_s"]
        floor_median = results[stack]["sdk_floor"]["wall_median_s"]
        results[stack]["preview_over_floor"] = round(preview_median / floor_median, 2)
    return results


def _median_phases(runs: Sequence[TreeRun]) -> dict[str, Any]:
    """Per stage, the median over the instrumented runs."""
    answers = [json.loads(run.stdout.strip().splitlines()[-1]) for run in runs]
    stages = sorted(
        {name for answer in answers for name in answer["stages_s"]},
        key=lambda name: -statistics.median(a["stages_s"].get(name, 0.0) for a in answers),
    )
    imports = sorted({group for answer in answers for group in answer["imports_s"]})

    def median_of(values: list[float]) -> float:
        return round(statistics.median(values), 3)

    return {
        "runs": len(answers),
        "wall_s": median_of([run.wall_s for run in runs]),
        "in_process_s": median_of([a["in_process_s"] for a in answers]),
        "cpu_s": median_of([a["cpu_s"] for a in answers]),
        "imports_s": {g: median_of([a["imports_s"].get(g, 0.0) for a in answers]) for g in imports},
        "stages_s": {s: median_of([a["stages_s"].get(s, 0.0) for a in answers]) for s in stages},
        "unbooked_s": median_of([a["unbooked_s"] for a in answers]),
        "load_1min": [run.load[0] for run in runs],
    }
