"""In-process CPU each rule file adds to its area's `deny`, on a synthetic plan: the library
alone, then the library plus one rule file at a time (regorus). The profile that finds a join
written as a scan: such a file's cost grows faster than the plan (compare two sizes).

    .venv/bin/python bench/rule_cost.py AREA SIZE [--top N]

AREA is a policy area (residency, security, sla, audit, cost); SIZE the synthetic plan's
resources (bench/bench_gate.py builds it from prod-ca's own resources). CPU seconds
(``time.process_time``), so it can be read on a busy machine; not part of the test command.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import regorus  # noqa: E402

from bench.bench_gate import Benchmark, plan_inventory  # noqa: E402

RULE_PREFIXES = ("res_", "sla_", "aud_", "sec_", "cost_")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("area")
    parser.add_argument("size", type=int)
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()
    bench = Benchmark("prod-ca", ROOT / "policies", Path(tempfile.mkdtemp()))
    document = json.dumps(plan_inventory(bench.plan(args.size), bench.spec).inventory, default=str)
    modules = {p: s for p, s in bench.bundle.modules.items() if not p.endswith("_test.rego")}
    rule_files = sorted(p for p in modules if Path(p).name.startswith(RULE_PREFIXES))
    library = {p: s for p, s in modules.items() if p not in rule_files}
    data = json.dumps(bench.bundle.data)

    def cost(files: list[str]) -> float:
        engine = regorus.Engine()
        for path, text in {**library, **{f: modules[f] for f in files}}.items():
            engine.add_policy(path, text)
        engine.add_data_json(data)
        engine.set_input_json(document)
        started = time.process_time()
        engine.eval_query_as_json(f"data.{args.area}.deny")
        return time.process_time() - started

    base = cost([])
    print(f"library alone: {base:.3f} s CPU")
    area_files = [f for f in rule_files if f.startswith(f"{args.area}/")]
    added = []
    for path in area_files:
        try:
            added.append((cost([path]) - base, path))
        except RuntimeError:
            # A rule file that reads another's helpers (SEC-013 reads SEC-012's table).
            print(f"{path}: does not compile alone")
    added.sort(reverse=True)
    for seconds, path in added[: args.top]:
        print(f"{seconds:7.3f}  {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
