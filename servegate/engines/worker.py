"""The engine worker: an embedded interpreter in its own process.

``python -m servegate.engines.worker <regorus|regopy|opa-go>`` reads requests from stdin and
answers on stdout, one JSON line each. A request is two lines: a header
``{"key", "queries", "coverage"[, "modules", "data"]}`` and the input document's JSON
text (passed to the interpreter as is, never re-parsed here). The answer is
``{"values", "errors", "coverage"}`` or ``{"fatal": "one line"}``.

The worker keeps the last loaded policies while ``key`` stays the same, so repeated
evaluations of one bundle (the CrossGuard pack judges resource after resource) compile
once; the gate then leaves ``modules`` and ``data`` out of the header. A request with no
queries only compiles (the gate starts the worker that way while the program runs). It
runs in its own process so the gate can kill it at its deadline (regorus holds
the GIL, so a thread could not be abandoned) and survive a crash of native code.
"""

from __future__ import annotations

import json
import os
import sys
from typing import IO, Any

from servegate.engines.base import EmbeddedEngine, EngineError, FileCoverage


def embedded_engine(engine: str) -> EmbeddedEngine:
    """The in-process interpreter for an engine name (imported on demand: each is large)."""
    if engine == "regorus":
        from servegate.engines.regorus_engine import RegorusEngine

        return RegorusEngine()
    if engine == "regopy":
        from servegate.engines.regopy_engine import RegopyEngine

        return RegopyEngine()
    if engine == "opa-go":
        from servegate.engines.opa_go_engine import OpaGoEngine

        return OpaGoEngine()
    raise EngineError(f"unknown embedded engine {engine!r}; choose regorus, regopy or opa-go")


def serve(engine: str, requests: IO[bytes], answers: IO[str]) -> None:
    """Answer requests until stdin closes (the gate exited or dropped this worker)."""
    try:
        runtime = embedded_engine(engine)
    except EngineError as exc:
        raise SystemExit(f"servegate engine worker: {exc}") from None
    while True:
        header_line = requests.readline()
        input_line = requests.readline()
        if not header_line or not input_line:
            return
        header: dict[str, Any] = json.loads(header_line)
        try:
            if "modules" in header:
                runtime.load_bundle(
                    header["key"],
                    header["modules"],
                    json.dumps(header["data"]),
                    coverage=header["coverage"],
                )
            elif not runtime.holds(header["key"]):
                raise EngineError("the worker lost its policies; run the gate again")
            input_json = input_line.decode("utf-8")
            # Only the interpreter's parsed input stays alive while the queries run, and the
            # previous input goes first (both at once: 713 MiB instead of 440 at 50k).
            del input_line
            runtime.set_input("{}")
            runtime.set_input(input_json)
            del input_json
            values, errors = runtime.evaluate_queries(header["queries"])
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
