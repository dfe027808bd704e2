"""CPU seconds of one gate evaluation per engine, in process, for comparisons on a busy machine.

The gate's evaluation without its worker process: the input serialised as the gate sends it,
then what the worker does with it (``EmbeddedEngine.evaluate_json``: the input parsed, every
``data.<area>.deny`` and the report's ``data.evidence.flow``) and the checks of the deny
answers (``checked_results``), timed with
``time.process_time`` (every thread of this process: opa-go's Go runtime included), many
runs, medians. CPU time moves far less with the load of a shared machine than wall time, so
two versions of the code can be compared in one session: ``--root`` names the checkout
whose policies and code are measured (default: this one), e.g.

    .venv/bin/python bench/engine_cpu.py --plan PLAN --root /path/to/other/checkout

The budgets are judged on wall time by ``bench/run_all.py`` on a quiet machine; this is the
profiling tool behind the figures BENCHMARKS.md marks as "in-process CPU".
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

DEFAULT_ROOT = Path(__file__).resolve().parent.parent


def measure(
    root: Path, plan: Path, engines: list[str], runs: int, stack: str, *, one_query: bool
) -> dict[str, Any]:
    sys.path.insert(0, str(root))
    import orjson

    from components.config import load_stack
    from servegate.engines.base import Evaluation, checked_results
    from servegate.engines.worker import embedded_engine
    from servegate.policy.bundle import load_bundle
    from servegate.run import plan_inventory

    bundle = load_bundle(root / "policies")
    inventory = plan_inventory(plan, load_stack(stack, root)).inventory
    deny = list(bundle.queries)
    # What the gate asks (gate.evaluate_with_flow): every deny, and the report's data-flow view
    # where the checkout has one.
    queries = [*deny, *_flow_query(bundle.modules)]
    together = f"[{', '.join(queries)}]"
    rows: dict[str, Any] = {}
    for name in engines:
        engine = embedded_engine(name)
        engine.load(bundle.modules, json.dumps(bundle.data), coverage=False)

        def as_the_gate(engine: Any = engine) -> int:
            text = orjson.dumps(inventory, option=orjson.OPT_NON_STR_KEYS).decode("utf-8")
            values, errors = engine.evaluate_json(text, queries)
            results = checked_results(Evaluation(values, errors), deny)
            return sum(len(results[query]) for query in deny)

        def in_one_query(engine: Any = engine, name: str = name) -> int:
            # Every package in one query, whatever the engine's own way.
            text = orjson.dumps(inventory, option=orjson.OPT_NON_STR_KEYS).decode("utf-8")
            values, errors = engine.evaluate_json(text, [together])
            if errors or together not in values:
                raise SystemExit(f"{name}: the one-query evaluation failed: {errors}")
            return sum(len(value) for value in values[together][: len(deny)])

        rows[name] = _timed(as_the_gate, runs)
        if one_query:
            rows[f"{name} (one query)"] = _timed(in_one_query, runs)
    if "regorus" in rows:
        for row in rows.values():
            row["vs_regorus"] = round(row["cpu_median_s"] / rows["regorus"]["cpu_median_s"], 2)
    return {"root": str(root), "resources": len(inventory["resources"]), "runs": runs, **rows}


def _flow_query(modules: dict[str, str]) -> list[str]:
    try:
        from servegate.flow import FLOW_MODULE, FLOW_QUERY
    except ImportError:
        return []
    return [FLOW_QUERY] if FLOW_MODULE in modules else []


def _timed(evaluate: Callable[[], int], runs: int) -> dict[str, Any]:
    """CPU seconds of ``evaluate`` after one warm-up run; its findings must not change."""
    evaluate()
    seconds: list[float] = []
    findings: set[int] = set()
    for _ in range(runs):
        began = time.process_time()
        findings.add(evaluate())
        seconds.append(time.process_time() - began)
    if len(findings) != 1:
        raise SystemExit(f"the findings changed between runs: {sorted(findings)}")
    return {
        "findings": findings.pop(),
        "cpu_median_s": round(statistics.median(seconds), 4),
        "cpu_min_s": round(min(seconds), 4),
        "cpu_max_s": round(max(seconds), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plan", type=Path, required=True)
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT)
    parser.add_argument("--engines", default="regorus,opa-go")
    parser.add_argument("--runs", type=int, default=31)
    parser.add_argument("--stack", default="prod-ca")
    parser.add_argument(
        "--one-query",
        action="store_true",
        help="also time every engine with all packages in one query",
    )
    args = parser.parse_args()
    result = measure(
        args.root.resolve(),
        args.plan,
        args.engines.split(","),
        args.runs,
        args.stack,
        one_query=args.one_query,
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
