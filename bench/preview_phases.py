"""Where a cold ``servegate preview`` spends its time: one fresh, instrumented run.

Runs ``servegate preview -s STACK`` in this process with timers around each stage (the CLI
code is unchanged; the timers wrap its functions) and an import hook that books every
module's own import time to the SDKs, servegate or other dependencies. Prints one JSON
object; ``--modules FILE`` also writes the SDK modules the run loaded, for
``bench/sdk_floor.py``.

    .venv/bin/python bench/preview_phases.py prod-ca --out DIR [--modules FILE]
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()

import argparse  # noqa: E402
import importlib._bootstrap_external as external  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
from collections import defaultdict  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

_import_self: defaultdict[str, float] = defaultdict(float)
_stack: list[float] = []  # time spent in nested imports, per open import
_during: dict[str, float] = {}


def _group(name: str) -> str:
    top = name.split(".", 1)[0]
    if top in ("pulumi", "pulumi_aws", "pulumi_kubernetes"):
        return "sdk"
    if top in ("servegate", "components", "__main__"):
        return "servegate"
    return "other"


def _timed_exec(original: Callable[..., Any]) -> Callable[..., Any]:
    def exec_module(self: Any, module: Any) -> Any:
        began = time.perf_counter()
        _stack.append(0.0)
        try:
            return original(self, module)
        finally:
            took = time.perf_counter() - began
            nested = _stack.pop()
            _import_self[_group(module.__name__)] += took - nested
            if _stack:
                _stack[-1] += took

    return exec_module


external._LoaderBasics.exec_module = _timed_exec(external._LoaderBasics.exec_module)  # type: ignore[method-assign]
external.ExtensionFileLoader.exec_module = _timed_exec(external.ExtensionFileLoader.exec_module)  # type: ignore[method-assign]

stages: defaultdict[str, float] = defaultdict(float)


def _imports_total() -> float:
    return sum(_import_self.values())


def timed(owner: Any, name: str, stage: str) -> None:
    """Book the calls of ``owner.name`` to ``stage`` (imports inside them apart)."""
    original = getattr(owner, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        began, imports = time.perf_counter(), _imports_total()
        try:
            return original(*args, **kwargs)
        finally:
            stages[stage] += (time.perf_counter() - began) - (_imports_total() - imports)

    setattr(owner, name, wrapper)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stack")
    parser.add_argument("--out", type=Path, required=True, help="report folder of the run")
    parser.add_argument("--modules", type=Path, help="write the SDK modules loaded here")
    args = parser.parse_args()

    began = time.perf_counter()
    from servegate.cli import main as cli

    cli_import = time.perf_counter() - began
    import servegate.report.writer as writer
    import servegate.run as run
    import servegate.summary as summary

    timed(cli, "load_stack", "stack file and config checks")
    timed(run, "prepare_gate", "policies loaded, engine worker started")
    timed(run, "offline_run", "program under the mock engine (SDK registration)")
    timed(run, "offline_inventory", "normalisation")
    timed(run, "judge", "evaluation (waiting for the worker) and findings")
    timed(run, "locate", "source locations of findings")
    timed(summary, "summarize", "summary")
    timed(run.audit_log, "append", "audit log")
    for format_name, (file_name, render) in list(writer.RENDERERS.items()):
        holder = type("Holder", (), {"render": staticmethod(render)})
        timed(holder, "render", f"render {format_name}")
        writer.RENDERERS[format_name] = (file_name, holder.render)
    timed(writer, "_write_atomically", "write report files")

    sys.argv = [
        "servegate",
        "-C",
        str(ROOT),
        "-q",
        "preview",
        "-s",
        args.stack,
        "--out",
        str(args.out),
        "--audit-log",
        str(args.out / "audit.jsonl"),
    ]
    code = 0
    try:
        cli.app()
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    total = time.perf_counter() - STARTED
    imports = {group: round(seconds, 4) for group, seconds in sorted(_import_self.items())}
    booked = sum(stages.values()) + _imports_total()
    result = {
        "stack": args.stack,
        "exit_code": code,
        "in_process_s": round(total, 4),
        "cpu_s": round(time.process_time(), 4),
        "cli_import_s": round(cli_import, 4),
        "imports_s": imports,
        "stages_s": {name: round(seconds, 4) for name, seconds in stages.items() if seconds},
        "unbooked_s": round(total - booked, 4),
    }
    if args.modules:
        loaded = sorted(
            name
            for name, module in sys.modules.items()
            if name.split(".", 1)[0] in ("pulumi", "pulumi_aws", "pulumi_kubernetes")
            and type(module).__name__ == "module"
        )
        args.modules.write_text(json.dumps(loaded))
        result["sdk_modules"] = len(loaded)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
