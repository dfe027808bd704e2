"""The gate on synthetic preview documents of 1k to 50k resources, on every engine.

Documents are built from prod-ca's own resources (``bench/synthetic.py``) and written once.
Each (engine, document) pair is measured in a fresh process (``--child``), so its peak
memory is its own: per run, ``load_plan`` + ``build_inventory`` (parse and normalise) and
``gate.evaluate`` (hand-over to the engine worker, evaluation of every ``data.<area>.deny``,
the answers read back), with the worker already started and the policies compiled by a
first, separately reported evaluation. Figures: wall and CPU (this process + the worker)
medians, the peak RSS of both processes (VmHWM, summed), findings.

    .venv/bin/python bench/gate_scale.py --child --engine regorus --plan FILE --runs 5
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.procstats import cpu_seconds, peak_rss_mib  # noqa: E402
from bench.synthetic import ROOT_STACK_TYPE, copies_for, replicated_steps, resource_steps  # noqa: E402

ENGINE_TIMEOUT_S = 3600.0


def write_document(base: Mapping[str, Any], resources: int, path: Path) -> int:
    """Write the synthetic document of at least ``resources`` resources, one copy at a time
    (the 50k document is never held in memory whole); returns its resource count."""
    per_copy = len(resource_steps(base))
    copies = copies_for(resources, per_copy)
    head = {key: value for key, value in base.items() if key not in ("steps", "changeSummary")}
    roots = [step for step in base["steps"] if _type(step) == ROOT_STACK_TYPE]
    with path.open("w", encoding="utf-8") as out:
        out.write(json.dumps(head)[:-1])
        summary = {"create": copies * per_copy, "same": len(roots)}
        out.write(f', "changeSummary": {json.dumps(summary)}, "steps": [')
        first = True
        for step in _all_steps(base, roots, copies):
            out.write(("" if first else ", ") + json.dumps(step))
            first = False
        out.write("]}\n")
    return copies * per_copy


def _all_steps(base: Mapping[str, Any], roots: list[Any], copies: int) -> Iterator[Any]:
    yield from roots
    for index in range(copies):
        yield from replicated_steps(base, index)


def _type(step: Mapping[str, Any]) -> str:
    state = step.get("newState") or step.get("oldState") or {}
    return str(state.get("type", ""))


def child(engine_name: str, plan: Path, runs: int, stack: str) -> dict[str, Any]:
    from components.config import load_stack
    from servegate.engines import get_engine
    from servegate.gate import evaluate
    from servegate.policy.bundle import load_bundle
    from servegate.run import plan_inventory

    spec = load_stack(stack, ROOT)
    bundle = load_bundle(ROOT / "policies")
    engine = get_engine(engine_name, timeout_s=ENGINE_TIMEOUT_S)

    def once() -> tuple[float, float, float, int, int]:
        worker_cpu = _worker_cpu(engine)
        cpu = time.process_time()
        began = time.perf_counter()
        inventory = plan_inventory(plan, spec).inventory
        normalised = time.perf_counter()
        findings = evaluate(inventory, bundle=bundle, engine=engine)
        done = time.perf_counter()
        spent = time.process_time() - cpu + (_worker_cpu(engine) - worker_cpu)
        return (
            normalised - began,
            done - normalised,
            spent,
            len(inventory["resources"]),
            len(findings),
        )

    try:
        first = once()
        measured = [once() for _ in range(runs)]
        worker_peak = peak_rss_mib(engine._process.pid) if engine._process else 0.0  # type: ignore[attr-defined]
    finally:
        engine.close()  # type: ignore[attr-defined]
    counts = {(m[3], m[4]) for m in [first, *measured]}
    if len(counts) != 1:
        raise SystemExit(f"{engine_name} judged one plan differently across runs: {counts}")
    ((resources, findings),) = counts
    totals = [m[0] + m[1] for m in measured]
    return {
        "engine": engine_name,
        "resources": resources,
        "findings": findings,
        "runs": runs,
        "first_s": round(first[0] + first[1], 3),
        "wall_median_s": round(statistics.median(totals), 3),
        "wall_min_s": round(min(totals), 3),
        "wall_max_s": round(max(totals), 3),
        "normalise_median_s": round(statistics.median(m[0] for m in measured), 3),
        "evaluate_median_s": round(statistics.median(m[1] for m in measured), 3),
        "cpu_median_s": round(statistics.median(m[2] for m in measured), 3),
        "peak_rss_mib": round(peak_rss_mib() + worker_peak, 1),
        "peak_rss_gate_mib": round(peak_rss_mib(), 1),
        "peak_rss_worker_mib": round(worker_peak, 1),
    }


def _worker_cpu(engine: Any) -> float:
    process = getattr(engine, "_process", None)
    if process is None or process.poll() is not None:
        return 0.0
    return cpu_seconds(process.pid)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", action="store_true", required=True)
    parser.add_argument("--engine", required=True)
    parser.add_argument("--plan", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--stack", default="prod-ca")
    args = parser.parse_args()
    print(json.dumps(child(args.engine, args.plan, args.runs, args.stack)))


if __name__ == "__main__":
    main()
