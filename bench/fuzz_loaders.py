"""Long fuzzing runs of the loaders: plans (preview and stack export), stack config, waivers.

The same strategies and properties as the bounded run in tests/test_fuzz_loaders.py
(tests/fuzzing.py), with as many examples as asked. A loader that raises anything but the
project's one-line errors fails the run: Hypothesis prints the smallest input it found and
the command exits 1.

    .venv/bin/python bench/fuzz_loaders.py --examples 20000
    .venv/bin/python bench/fuzz_loaders.py --examples 5000 --target plan-bytes --seed 7
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hypothesis import HealthCheck, given, seed, settings  # noqa: E402

from tests.fuzzing import TARGETS  # noqa: E402


def fuzz(name: str, examples: int, random_seed: int | None) -> bool:
    strategy, check = TARGETS[name]

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def run(value: Any) -> None:
        check(value)

    if random_seed is not None:
        run = seed(random_seed)(run)
    started = time.perf_counter()
    try:
        run()
    except Exception as failure:  # noqa: BLE001 - report every target, then exit 1
        # The traceback carries Hypothesis's notes: the smallest failing input of each bug.
        print("".join(traceback.format_exception(failure)), file=sys.stderr)
        print(f"{name}: FAILED after {time.perf_counter() - started:.1f}s: {failure!r}")
        return False
    print(f"{name}: {examples} examples, no crash ({time.perf_counter() - started:.1f}s)")
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=10_000, help="examples per target")
    parser.add_argument(
        "--target", action="append", choices=sorted(TARGETS), help="default: every target"
    )
    parser.add_argument("--seed", type=int, default=None, help="repeat a run exactly")
    args = parser.parse_args()
    results = [fuzz(name, args.examples, args.seed) for name in args.target or sorted(TARGETS)]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
