"""Time and memory of each stage of the gate on one large preview document (regorus).

Stages, run once in this fresh process: parsing (``load_plan``), normalisation
(``build_inventory``), hand-over to the worker (the input serialised as the engine sends it;
the write to the pipe happens inside the evaluation), evaluation and findings (``judge``:
worker start, compilation, evaluation, waivers, verdict), and the reports (every format,
rendered and written). After each stage: its seconds, this process's resident set (VmRSS)
and peak (VmHWM); the worker's peak after the evaluation; the size of each report file.

    .venv/bin/python bench/stages.py --plan FILE [--stack prod-ca] [--engine regorus]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.procstats import cpu_seconds, peak_rss_mib  # noqa: E402


def _rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def stages(plan: Path, stack: str, engine_name: str) -> dict[str, Any]:
    import orjson

    from components.config import load_stack, read_stack_config, stack_file
    from servegate.engines import get_engine
    from servegate.gate import judge
    from servegate.plan.inventory import build_inventory
    from servegate.plan.load import load_plan
    from servegate.policy.bundle import load_bundle
    from servegate.report.writer import FORMATS, write_reports
    from servegate.waivers import WaiverSet

    spec = load_stack(stack, ROOT)
    bundle = load_bundle(ROOT / "policies")
    engine = get_engine(engine_name, timeout_s=3600.0)
    rows: list[dict[str, Any]] = [{"stage": "start (policies loaded)", "seconds": 0.0}]

    cpu_mark = [time.process_time()]

    def record(stage: str, began: float, **extra: Any) -> None:
        cpu_now = time.process_time()
        rows.append(
            {
                "stage": stage,
                "seconds": round(time.perf_counter() - began, 3),
                "cpu_s": round(cpu_now - cpu_mark[0], 3),
                "rss_mib": round(_rss_mib(), 1),
                "peak_mib": round(peak_rss_mib(), 1),
                **extra,
            }
        )
        cpu_mark[0] = time.process_time()

    rows[0].update(rss_mib=round(_rss_mib(), 1), peak_mib=round(peak_rss_mib(), 1))
    began = time.perf_counter()
    loaded = load_plan(plan, stack=stack)
    record("parsing (load_plan)", began, resources=len(loaded.resources))
    began = time.perf_counter()
    inventory = build_inventory(
        loaded.resources,
        stack=spec.stack,
        project=loaded.project,
        source=str(loaded.source),
        declared=spec.declared(),
        stack_region=loaded.stack_region or spec.region,
        stack_urn=loaded.stack_urn,
        config=loaded.config or read_stack_config(stack_file(spec.stack, ROOT)),
    )
    del loaded
    record("normalisation (build_inventory)", began)
    began = time.perf_counter()
    body = orjson.dumps(inventory, option=orjson.OPT_NON_STR_KEYS)
    size = len(body)
    del body
    record("hand-over: input serialised for the worker", began, input_mib=round(size / 2**20, 1))
    began = time.perf_counter()
    report = judge(
        inventory, bundle=bundle, engine=engine, waivers=WaiverSet(), plan_sha256="0" * 64
    )
    process = getattr(engine, "_process", None)
    worker_peak = peak_rss_mib(process.pid) if process is not None else 0.0
    worker_cpu = cpu_seconds(process.pid) if process is not None else 0.0
    record(
        "evaluation and findings (judge)",
        began,
        findings=len(report.findings),
        worker_cpu_s=round(worker_cpu, 3),
        worker_peak_mib=round(worker_peak, 1),
    )
    engine.close()  # type: ignore[attr-defined]
    with tempfile.TemporaryDirectory(prefix="servegate-stages-") as out:
        began = time.perf_counter()
        written = write_reports(report, FORMATS, Path(out))
        sizes = {path.name: path.stat().st_size for path in written}
        record("reports (every format)", began, report_bytes=sizes)
        markdown_chars = len((Path(out) / "report.md").read_text(encoding="utf-8"))
    return {
        "engine": engine_name,
        "resources": len(inventory["resources"]),
        "findings": len(report.findings),
        "markdown_chars": markdown_chars,
        "stages": rows,
        "peak_tree_mib": round(peak_rss_mib() + worker_peak, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plan", type=Path, required=True)
    parser.add_argument("--stack", default="prod-ca")
    parser.add_argument("--engine", default="regorus")
    args = parser.parse_args()
    print(json.dumps(stages(args.plan, args.stack, args.engine)))


if __name__ == "__main__":
    main()
