"""Diagnostic: the gate over synthetic N-resource documents, with the time of each policy package.

The figures of BENCHMARKS.md come from ``bench/run_all.py`` (``bench/gate_scale.py``); this
script is the profiling aid behind them: ``--per-package`` times each ``data.<area>.deny``
alone on the largest document.

Measured per run, in this process (wall clock): ``load_plan`` of the document from a file,
``build_inventory`` (normalization) and ``gate.evaluate`` on the engine, which includes
handing the inventory to the engine's worker process, evaluating every ``data.<area>.deny``
there and reading the answers back. Not measured: building the synthetic document and
writing it to a temporary file, loading the policy bundle, and starting the engine worker
and compiling the policies (one warm-up evaluation per engine does that first, as a
long-lived gate or the CrossGuard pack would have done).

Targets (issue #3): on regorus, 10k resources in <= 2 s and time(10k) / time(1k) <= 12.
The benchmark reports; it does not gate (exit 0 whatever the result).

    .venv/bin/python bench/bench_gate.py                      # 1k + 10k on regorus and regopy
    .venv/bin/python bench/bench_gate.py --engine regorus --per-package
    .venv/bin/python bench/bench_gate.py --engine regopy --sizes 1000 --runs 1
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.synthetic import base_document, resource_steps, synthetic_document  # noqa: E402
from components.config import StackSpec, load_stack  # noqa: E402
from servegate.engines import get_engine  # noqa: E402
from servegate.engines.base import Engine  # noqa: E402
from servegate.gate import evaluate  # noqa: E402
from servegate.policy.bundle import PolicyBundle, load_bundle  # noqa: E402
from servegate.run import plan_inventory  # noqa: E402

TARGET_10K_S = 2.0
TARGET_RATIO = 12.0
# regopy is much slower than regorus (about 40 s at 10k resources here): fewer runs.
DEFAULT_RUNS = {"regorus": 5, "regopy": 3}
DEFAULT_SIZES = {"regorus": (1000, 10000), "regopy": (1000, 10000)}
ENGINE_TIMEOUT_S = 1800.0


@dataclass(frozen=True)
class Measurement:
    """The wall times of one engine on one document size."""

    engine: str
    resources: int
    findings: int
    # Per run: (load_plan + build_inventory, evaluate) seconds.
    phases: list[tuple[float, float]]

    @property
    def times(self) -> list[float]:
        return [normalize + evaluate for normalize, evaluate in self.phases]

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def median_normalize(self) -> float:
        return statistics.median(normalize for normalize, _ in self.phases)

    @property
    def median_evaluate(self) -> float:
        return statistics.median(evaluate for _, evaluate in self.phases)


class Benchmark:
    """Synthetic documents of one stack, written once, gated on demand."""

    def __init__(self, stack: str, policies: Path, workdir: Path) -> None:
        self.spec: StackSpec = load_stack(stack, ROOT)
        self.bundle: PolicyBundle = load_bundle(policies)
        self._base = base_document(stack, ROOT)
        self._workdir = workdir
        self._paths: dict[int, Path] = {}

    @property
    def base_resources(self) -> int:
        return len(resource_steps(self._base))

    def plan(self, resources: int) -> Path:
        """The document of at least ``resources`` resources, as a file."""
        if resources not in self._paths:
            path = self._workdir / f"preview-{resources}.json"
            path.write_text(json.dumps(synthetic_document(self._base, resources)))
            self._paths[resources] = path
        return self._paths[resources]

    def gate_once(self, path: Path, engine: Engine) -> tuple[tuple[float, float], int, int]:
        """Load + normalize, then evaluate: ((seconds, seconds), resources, findings)."""
        started = time.perf_counter()
        inventory = plan_inventory(path, self.spec).inventory
        normalized = time.perf_counter()
        findings = evaluate(inventory, bundle=self.bundle, engine=engine)
        evaluated = time.perf_counter()
        phases = (normalized - started, evaluated - normalized)
        return phases, len(inventory["resources"]), len(findings)

    def measure(self, engine: Engine, resources: int, runs: int) -> Measurement:
        path = self.plan(resources)
        phases: list[tuple[float, float]] = []
        counts: set[tuple[int, int]] = set()
        for _ in range(runs):
            run_phases, total, findings = self.gate_once(path, engine)
            phases.append(run_phases)
            counts.add((total, findings))
        if len(counts) != 1:
            raise SystemExit(f"{engine.name} judged one plan differently across runs: {counts}")
        (total, findings) = counts.pop()
        return Measurement(engine.name, total, findings, phases)

    def per_package(self, engine: Engine, resources: int) -> list[tuple[str, float]]:
        """Seconds per ``data.<area>.deny`` query, each evaluated alone on the inventory.

        Every evaluation also pays for transferring and parsing the input; the row
        ``(input only)`` is that cost alone (a query reading ``input.stack``).
        """
        inventory = plan_inventory(self.plan(resources), self.spec).inventory
        rows: list[tuple[str, float]] = []
        for query in ["input.stack", *self.bundle.queries]:
            started = time.perf_counter()
            engine.evaluate(self.bundle.modules, self.bundle.data, inventory, [query])
            label = "(input only)" if query == "input.stack" else query
            rows.append((label, time.perf_counter() - started))
        return rows


def _warm_up(bench: Benchmark, engine: Engine) -> None:
    # Starts the worker and compiles the bundle; later evaluations reuse both.
    bench.gate_once(bench.plan(bench.base_resources), engine)


def _report(measurement: Measurement) -> None:
    times = ", ".join(f"{t:.3f}" for t in measurement.times)
    print(
        f"  {measurement.engine:8} {measurement.resources:6d} resources: "
        f"median {measurement.median:7.3f} s over {len(measurement.times)} run(s) "
        f"[{times}]  findings {measurement.findings}"
    )
    print(
        f"{'':32}load+normalize median {measurement.median_normalize:.3f} s, "
        f"evaluate median {measurement.median_evaluate:.3f} s"
    )


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def _judge_regorus(results: dict[int, Measurement]) -> None:
    large = results.get(max(results))
    small = results.get(min(results))
    if large is None or small is None or large is small:
        return
    print(
        f"  target: {large.resources} resources <= {TARGET_10K_S:.1f} s -> "
        f"{large.median:.3f} s: {_verdict(large.median <= TARGET_10K_S)}"
    )
    ratio = large.median / small.median
    print(
        f"  target: time({large.resources}) / time({small.resources}) <= {TARGET_RATIO:g} -> "
        f"{ratio:.2f}: {_verdict(ratio <= TARGET_RATIO)}"
    )


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", default="prod-ca", help="the stack replicated (default prod-ca)")
    parser.add_argument(
        "--engine",
        choices=("regorus", "regopy", "both"),
        default="both",
        help="which embedded engine(s) to measure (default both)",
    )
    parser.add_argument(
        "--sizes",
        type=lambda text: [int(part) for part in text.split(",")],
        help="resource counts, comma-separated (default 1000,10000)",
    )
    parser.add_argument("--runs", type=int, help="runs per size (default 5 regorus, 3 regopy)")
    parser.add_argument(
        "--policies",
        type=Path,
        default=ROOT / "policies",
        help="the policy library judged (default policies/; another copy to compare versions)",
    )
    parser.add_argument(
        "--per-package",
        action="store_true",
        help="also time each data.<area>.deny query alone at the largest size (diagnostic)",
    )
    return parser.parse_args()


def main() -> int:
    args = _parse_args()
    engines = ["regorus", "regopy"] if args.engine == "both" else [args.engine]
    load = os.getloadavg()
    print(
        f"gate benchmark: {args.stack} replicated, policies {args.policies}; "
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} CPUs"
    )
    with tempfile.TemporaryDirectory(prefix="servegate-bench-") as workdir:
        bench = Benchmark(args.stack, args.policies, Path(workdir))
        print(
            f"  base plan: {bench.base_resources} resources per copy; measured per run: "
            f"load_plan + build_inventory + evaluate (worker warm)"
        )
        for name in engines:
            engine = get_engine(name, timeout_s=ENGINE_TIMEOUT_S)
            _run_engine(bench, engine, args, name)
    return 0


def _run_engine(bench: Benchmark, engine: Engine, args: argparse.Namespace, name: str) -> None:
    sizes: list[int] = sorted(args.sizes or DEFAULT_SIZES[name])
    runs: int = args.runs or DEFAULT_RUNS[name]
    close: Callable[[], None] | None = getattr(engine, "close", None)
    try:
        _warm_up(bench, engine)
        results: dict[int, Measurement] = {}
        for size in sizes:
            results[size] = bench.measure(engine, size, runs)
            _report(results[size])
        if name == "regorus":
            _judge_regorus(results)
        if args.per_package:
            print(f"  per package on {name}, {max(sizes)} resources (one evaluation each):")
            rows = bench.per_package(engine, max(sizes))
            input_only = rows[0][1]
            for label, seconds in rows:
                extra = "" if label == rows[0][0] else f"  (+{seconds - input_only:.3f} s)"
                print(f"    {label:24} {seconds:7.3f} s{extra}")
    finally:
        if close is not None:
            close()


if __name__ == "__main__":
    sys.exit(main())
