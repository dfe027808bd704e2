"""Every figure of BENCHMARKS.md, in one command, on this machine, in one run.

    .venv/bin/python bench/run_all.py                 # everything (about 20-40 min on 2 cores)
    .venv/bin/python bench/run_all.py --quick         # smoke run: small sizes, 1 run each

Writes the raw figures to ``bench/out/results.json`` and regenerates the generated part of
``BENCHMARKS.md`` (between its ``<!-- generated -->`` markers) from them; the text around it
(the profile and the fixes) is kept. Not part of the test command; it never fails on a missed
budget (the budget table says which are met).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import benchmarks_md  # noqa: E402
from bench.gate_scale import write_document  # noqa: E402
from bench.preview_cold import cold_previews  # noqa: E402
from bench.procstats import become_subreaper, load_average, run_tree  # noqa: E402

STACKS = ("dev", "prod-ca", "prod-eu")
SIZES = (1000, 5000, 10000, 50000)
ENGINES = ("regorus", "regopy", "opa-go")
PACKAGES = (
    "pulumi",
    "pulumi-aws",
    "pulumi-kubernetes",
    "gordon-to-regorus",
    "regopy",
    "opa-golib-python-bindings",
    "jinja2",
    "orjson",
    "pyyaml",
    "pydantic",
    "typer",
)
RESULTS = ROOT / "bench" / "out" / "results.json"
# A run whose process tree goes above this is stopped (the machine is shared).
RSS_CAP_MIB = 6 * 1024


def machine() -> dict[str, Any]:
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    total_kib = next(int(line.split()[1]) for line in meminfo if line.startswith("MemTotal:"))
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "memory_gib": round(total_kib / 2**20, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": versions,
        "commit": commit,
    }


def runs_for(engine: str, size: int, runs: int) -> int:
    """regopy and opa-go take minutes at the large sizes: fewer runs there."""
    if engine == "regorus":
        return runs if size <= 10000 else max(1, min(runs, 3))
    return max(1, min(runs, 3)) if size <= 5000 else 1


def gate_scale(
    sizes: list[int], engines: list[str], runs: int, workdir: Path, stack: str
) -> dict[str, Any]:
    from bench.synthetic import base_document, resource_steps

    base = base_document(stack, ROOT)
    documents = {"prod-ca": len(resource_steps(base))}
    paths = {"prod-ca": workdir / "preview-base.json"}
    write_document(base, documents["prod-ca"], paths["prod-ca"])
    for size in sizes:
        key = str(size)
        paths[key] = workdir / f"preview-{size}.json"
        documents[key] = write_document(base, size, paths[key])
    del base
    rows: list[dict[str, Any]] = []
    for engine in engines:
        for key, path in paths.items():
            count = runs_for(engine, int(key) if key.isdigit() else 0, runs)
            print(f"  gate {engine} {key} ({count} runs) ...", flush=True)
            tree = run_tree(
                [
                    sys.executable,
                    str(ROOT / "bench" / "gate_scale.py"),
                    "--child",
                    "--engine",
                    engine,
                    "--plan",
                    str(path),
                    "--runs",
                    str(count),
                    "--stack",
                    stack,
                ],
                cwd=ROOT,
            )
            if tree.returncode != 0:
                rows.append({"engine": engine, "document": key, "error": f"exit {tree.returncode}"})
                continue
            row = json.loads(tree.stdout.strip().splitlines()[-1])
            row.update(
                document=key, load_1min=tree.load[0], tree_peak_rss_mib=round(tree.peak_rss_mib, 1)
            )
            rows.append(row)
    stages = None
    largest = str(max(sizes))
    print(f"  stages at {largest} ...", flush=True)
    tree = run_tree(
        [
            sys.executable,
            str(ROOT / "bench" / "stages.py"),
            "--plan",
            str(paths[largest]),
            "--stack",
            stack,
        ],
        cwd=ROOT,
    )
    if tree.returncode == 0:
        stages = json.loads(tree.stdout.strip().splitlines()[-1])
        stages["load_1min"] = tree.load[0]
    return {
        "documents": documents,
        "plan_bytes": {key: path.stat().st_size for key, path in paths.items()},
        "rows": rows,
        "stages": stages,
    }


def _keep_other_rows(
    gate: dict[str, Any], previous: dict[str, Any] | None, started: str | None
) -> None:
    """Rows of engines or documents this run left out, kept from the previous results
    (each row says when it was measured)."""
    if not previous:
        return
    measured = {(row["engine"], row["document"]) for row in gate["rows"]}
    for row in previous["rows"]:
        if (row["engine"], row["document"]) not in measured:
            gate["rows"].append({"measured": started, **row})
            gate["documents"].setdefault(row["document"], previous["documents"][row["document"]])
            gate["plan_bytes"].setdefault(row["document"], previous["plan_bytes"][row["document"]])
    order = {engine: index for index, engine in enumerate(ENGINES)}
    documents = list(previous["documents"]) + [
        d for d in gate["documents"] if d not in previous["documents"]
    ]
    gate["rows"].sort(
        key=lambda row: (order.get(row["engine"], 9), documents.index(row["document"]))
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="measured runs per figure")
    parser.add_argument("--stacks", default=",".join(STACKS))
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--quick", action="store_true", help="1 run, prod-ca, 1k and 5k")
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--markdown", type=Path, default=ROOT / "BENCHMARKS.md")
    parser.add_argument(
        "--render-only", action="store_true", help="regenerate BENCHMARKS.md from --results"
    )
    parser.add_argument(
        "--parts",
        default="preview,gate",
        help="what to measure (default both); a part left out is kept from --results",
    )
    args = parser.parse_args()
    if args.render_only:
        results = json.loads(args.results.read_text())
        benchmarks_md.write(results, args.markdown)
        benchmarks_md.write_readme(results, ROOT / "README.md")
        return 0
    if args.quick:
        args.runs, args.stacks, args.sizes = 1, "prod-ca", "1000,5000"
    become_subreaper()
    command = " ".join(["python", "bench/run_all.py", *sys.argv[1:]])
    results: dict[str, Any] = {
        "command": command,
        "started": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load_at_start": load_average(),
        "machine": machine(),
        "runs": args.runs,
    }
    parts = set(args.parts.split(","))
    previous = json.loads(args.results.read_text()) if args.results.exists() else {}
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="servegate-bench-") as workdir:
        if "preview" in parts:
            print("cold previews ...", flush=True)
            results["preview"] = cold_previews(args.stacks.split(","), args.runs, Path(workdir))
        else:
            results["preview"] = previous["preview"]
            results["preview_from"] = previous.get("preview_from", previous["started"])
        if "gate" in parts:
            print("gate on synthetic documents ...", flush=True)
            results["gate"] = gate_scale(
                [int(size) for size in args.sizes.split(",")],
                args.engines.split(","),
                args.runs,
                Path(workdir),
                "prod-ca",
            )
            for row in results["gate"]["rows"]:
                row["measured"] = results["started"]
            _keep_other_rows(results["gate"], previous.get("gate"), previous.get("started"))
        else:
            results["gate"] = previous.get("gate")
            results["gate_from"] = previous.get("gate_from", previous["started"])
    results["load_at_end"] = load_average()
    results["minutes"] = round((time.perf_counter() - began) / 60, 1)
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(results, indent=1) + "\n")
    benchmarks_md.write(results, args.markdown)
    benchmarks_md.write_readme(results, ROOT / "README.md")
    print(f"wrote {args.results}, {args.markdown} and README.md's headline figures")
    return 0


if __name__ == "__main__":
    sys.exit(main())
