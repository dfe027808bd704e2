"""Long runs of the engine agreement test: regorus against the official OPA engine (opa-go) on
inventories another tool could have written.

The same strategies and comparison as the bounded run in tests/test_engine_agreement.py
(tests/inventory_mutations.py, tests/agreement.py), with as many examples as asked. Unlike the
test it does not stop at the first difference: it prints every kind of difference it met (a
rule one engine reported and the other did not, or one engine unable to judge, with the
error's file and line), how often, and the first input that showed it; exit 1 if any.

    .venv/bin/python bench/agree_engines.py --examples 2000
    .venv/bin/python bench/agree_engines.py --examples 500 --seed 7
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hypothesis import HealthCheck, given, seed, settings  # noqa: E402

from servegate.engines import get_engine  # noqa: E402
from servegate.policy.bundle import load_bundle  # noqa: E402
from tests.agreement import CouldNotJudge, differences, outcome  # noqa: E402
from tests.inventory_mutations import Mutation, inventories, mutated  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=None, help="repeat a run exactly")
    args = parser.parse_args()
    bundle = load_bundle(ROOT / "policies")
    engines = {name: get_engine(name, timeout_s=300) for name in ("regorus", "opa-go")}
    kinds: collections.Counter[str] = collections.Counter()
    first: dict[str, tuple[str, list[Mutation]]] = {}
    judged = collections.Counter[str]()

    @settings(
        max_examples=args.examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(inventories())
    def run(case: tuple[str, list[Mutation]]) -> None:
        inventory = mutated(*case)
        results = {name: outcome(engine, bundle, inventory) for name, engine in engines.items()}
        judged["examples"] += 1
        judged["neither judged"] += all(isinstance(r, CouldNotJudge) for r in results.values())
        for line in differences(results["regorus"], results["opa-go"]):
            if not line.startswith(("regorus only", "opa-go only")):
                # The error's file and line, without the value that varies between examples.
                kind = line.split("Got", 1)[0].split(" instead", 1)[0]
            else:
                side, finding = line.split(": ", 1)
                kind = f"{side}: {finding.split(',', 1)[0].strip('(')}"
            kinds[kind] += 1
            first.setdefault(kind, case)

    if args.seed is not None:
        run = seed(args.seed)(run)
    started = time.perf_counter()
    try:
        run()
    finally:
        for engine in engines.values():
            close = getattr(engine, "close", None)
            if close is not None:
                close()
    print(
        f"{judged['examples']} examples in {time.perf_counter() - started:.0f}s; "
        f"{judged['neither judged']} that neither engine could judge; "
        f"{sum(kinds.values())} differences"
    )
    for kind, count in kinds.most_common():
        print(f"{count:5d}  {kind}\n       first: {first[kind]!r}"[:2000])
    return 1 if kinds else 0


if __name__ == "__main__":
    sys.exit(main())
