"""Benchmark: what in-program enforcement adds to a program run (Pulumi SDK mocks, no CLI).

The ServingStack program of a stack, run under the SDK's mock monitor as `pulumi up` would
run it (preview=False), with `llm-serving:enforcement` on and off; the median of --runs
each, in one process after a first enforced run (bundle loaded, engine worker started).
Also counts the engine calls the resource checks were batched into.

    .venv/bin/python bench/bench_enforcement.py [--stack prod-ca] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", default="prod-ca")
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    os.environ["SERVEGATE_AUDIT_LOG"] = str(Path(tempfile.mkdtemp()) / "audit.jsonl")

    import pulumi

    from components.config import parse_spec, read_stack_config, stack_file
    from components.serving_stack import ServingStack, ServingStackArgs
    from servegate import enforcement
    from tests.components.conftest import RecordingMocks

    calls = [0]
    judge = enforcement.ProgramGate._judge_resources

    def counted(self: enforcement.ProgramGate, batch: list[object]) -> object:
        calls[0] += 1
        return judge(self, batch)  # type: ignore[arg-type]

    enforcement.ProgramGate._judge_resources = counted  # type: ignore[assignment,method-assign]
    config = read_stack_config(stack_file(options.stack, ROOT))

    def run(setting: str) -> tuple[float, int]:
        spec = parse_spec(options.stack, {**config, "llm-serving:enforcement": setting})
        mocks = RecordingMocks()
        pulumi.runtime.set_mocks(mocks, project="llm-serving", stack=options.stack, preview=False)

        @pulumi.runtime.test
        def program() -> None:
            ServingStack(options.stack, ServingStackArgs(spec=spec))

        started = time.perf_counter()
        program()
        return time.perf_counter() - started, len(mocks.resources)

    first, _ = run("on")
    print(f"first enforced run (bundle load, engine worker start): {first:.2f} s")
    for setting in ("off", "on"):
        calls[0] = 0
        results = [run(setting) for _ in range(options.runs)]
        seconds = [s for s, _ in results]
        print(
            f"enforcement {setting}: median {statistics.median(seconds):.2f} s "
            f"({min(seconds):.2f}-{max(seconds):.2f}), {results[0][1]} resources, "
            f"{calls[0] / options.runs:.0f} engine calls per run; load {os.getloadavg()[0]:.1f}"
        )


if __name__ == "__main__":
    main()
