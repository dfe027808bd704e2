"""The engine worker: an embedded interpreter in its own process.

``python -m servegate.engines.worker <regorus|regopy|opa-go>`` reads requests from stdin and
answers on stdout, one JSON line each. A request is two lines: a header
``{"key", "modules", "data", "queries", "coverage"}`` and the input document's JSON
text (passed to the interpreter as is, never re-parsed here). The answer is
``{"values", "errors", "coverage"}`` or ``{"fatal": "one line"}``.

The worker keeps the last loaded policies while ``key`` stays the same, so repeated
evaluations of one bundle (the CrossGuard pack judges resource after resource) compile
once; the gate then leaves ``modules`` and ``data`` out of the header. A request with no
queries only compiles (the gate starts the worker that way while the program runs).
It runs in its own process so the gate can kill it at its deadline (regorus holds the
GIL, so a thread could not be abandoned) and survive a crash of native code.
"""

from __future__ import annotations

import json
import os
import sys
from typing import IO, Any

from servegate.engines.base import EngineError, FileCoverage
from servegate.engines.runtime import Runtime


def new_runtime(engine: str) -> Runtime:
    """The interpreter for an engine name (imported here: only the worker loads it)."""
    if engine == "regorus":
        from servegate.engines.regorus_engine import RegorusRuntime

        return RegorusRuntime()
    if engine == "regopy":
        from servegate.engines.regopy_engine import RegopyRuntime

        return RegopyRuntime()
    if engine == "opa-go":
        from servegate.engines.opa_go_engine import OpaGoRuntime

        return OpaGoRuntime()
    raise SystemExit(f"servegate engine worker: unknown engine {engine!r}")


def serve(engine: str, requests: IO[bytes], answers: IO[str]) -> None:
    """Answer requests until stdin closes (the gate exited or dropped this worker)."""
    runtime = new_runtime(engine)
    loaded_key: str | None = None
    while True:
        header_line = requests.readline()
        input_line = requests.readline()
        if not header_line or not input_line:
            return
        header: dict[str, Any] = json.loads(header_line)
        try:
            # Coverage accumulates per interpreter: a covered run always starts fresh.
            if header["coverage"] or header["key"] != loaded_key:
                loaded_key = None
                if "modules" not in header:
                    raise EngineError("the worker lost its policies; run the gate again")
                runtime.load(
                    header["modules"], json.dumps(header["data"]), coverage=header["coverage"]
                )
                loaded_key = header["key"]
            input_json = input_line.decode("utf-8")
            # Only the interpreter's parsed input stays alive while the queries run, and the
            # previous input goes first (both at once: 713 MiB instead of 440 at 50k).
            del input_line
            runtime.set_input("{}")
            runtime.set_input(input_json)
            del input_json
            values, errors = runtime.evaluate(header["queries"])
            coverage = runtime.coverage() if header["coverage"] else None
            answer: dict[str, Any] = {
                "values": values,
                "errors": errors,
                "coverage": None if coverage is None else [_coverage_json(c) for c in coverage],
            }
        except EngineError as exc:
            answer = {"fatal": str(exc)}
        answers.write(json.dumps(answer) + "\n")
        answers.flush()


def _coverage_json(coverage: FileCoverage) -> dict[str, Any]:
    return {
        "path": coverage.path,
        "covered": sorted(coverage.covered),
        "not_covered": sorted(coverage.not_covered),
    }


def main() -> None:
    """Entry point; native code printing to stdout must not corrupt the answers."""
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    serve(sys.argv[1], sys.stdin.buffer, answers)


if __name__ == "__main__":
    main()
