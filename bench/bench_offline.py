"""Benchmark: the offline run of a stack (Pulumi SDK mock engine), as `servegate preview` does it.

Two figures, each the median of --runs:
- cold: a fresh process running the whole program offline and normalizing the inventory
  (`servegate inventory -s STACK`), imports included — what a user waits for;
- warm: the run itself in a process that has already imported the SDKs.

    .venv/bin/python bench/bench_offline.py [--stack prod-ca] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 3.0


def cold(stack: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "servegate.cli.main", "-C", str(ROOT), "inventory", "-s", stack],
        check=True,
        stdout=subprocess.DEVNULL,
        cwd=ROOT,
    )
    return time.perf_counter() - started


def warm(stack: str, runs: int) -> list[float]:
    sys.path.insert(0, str(ROOT))
    from components.config import load_stack
    from servegate.run import offline_inventory

    spec = load_stack(stack, ROOT)
    offline_inventory(spec, ROOT)  # imports and first-use caches
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        offline_inventory(spec, ROOT)
        times.append(time.perf_counter() - started)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", default="prod-ca")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    cold_times = [cold(args.stack) for _ in range(args.runs)]
    warm_times = warm(args.stack, args.runs)
    cold_median = statistics.median(cold_times)
    print(f"offline run of {args.stack}, {args.runs} runs")
    print(
        f"  cold (fresh process, imports included): median {cold_median:.2f} s "
        f"(min {min(cold_times):.2f}, max {max(cold_times):.2f})"
    )
    print(
        f"  warm (SDKs imported):                   median {statistics.median(warm_times):.2f} s "
        f"(min {min(warm_times):.2f}, max {max(warm_times):.2f})"
    )
    verdict = "meets" if cold_median <= TARGET_S else "MISSES"
    print(f"  target <= {TARGET_S:.1f} s wall (cold): {verdict}")
    return 0 if cold_median <= TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
