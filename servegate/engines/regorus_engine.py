"""regorus (PyPI ``gordon-to-regorus``): Microsoft's Rust Rego interpreter, the default engine."""

from __future__ import annotations

import json
import re
from typing import Any

from servegate.engines.base import EmbeddedEngine, EngineError, FileCoverage, is_deny_query

DISTRIBUTION = "gordon-to-regorus"

# Inputs up to this many characters of JSON are judged in one evaluation of every query (the
# library's collections, the model servers, workloads and resources by type, built once for all
# packages instead of once per package); larger ones one query at a time, so that only one
# package's intermediate results are alive at once. 32 Mi characters is ~18,000 resources of
# the synthetic prod-ca plans (the 10k one is 17.5 MiB, the 50k one 87 MiB): the measured
# memory of both ways and the reason for the bound are in BENCHMARKS.md and docs/design.md.
TOGETHER_MAX_INPUT_CHARS = 32 * 1024 * 1024

_LOCATION = re.compile(r"-->\s*(\S+)")
_MESSAGE = re.compile(r"^error:\s*(.+)$", re.MULTILINE)


class RegorusEngine(EmbeddedEngine):
    """A ``regorus.Engine`` in the engine worker or in process (unsendable: one thread only)."""

    name = "regorus"
    distribution = DISTRIBUTION

    def __init__(self) -> None:
        super().__init__()
        import regorus

        self._regorus = regorus
        self._engine: Any = None
        self._input_chars = 0

    def load(self, modules: dict[str, str], data_json: str, *, coverage: bool) -> None:
        engine = self._regorus.Engine()
        engine.set_enable_coverage(coverage)
        for path, source in modules.items():
            try:
                engine.add_policy(path, source)
            except RuntimeError as exc:
                raise EngineError(f"regorus cannot compile {one_line(str(exc), path)}") from None
        try:
            engine.add_data_json(data_json)
        except RuntimeError as exc:
            raise EngineError(f"regorus rejected the data document: {one_line(str(exc))}") from None
        self._engine = engine

    def set_input(self, input_json: str) -> None:
        try:
            self._engine.set_input_json(input_json)
        except RuntimeError as exc:
            reason = one_line(str(exc))
            raise EngineError(f"regorus rejected the input document: {reason}") from None
        self._input_chars = len(input_json)

    def evaluate_queries(self, queries: list[str]) -> tuple[dict[str, Any], dict[str, str]]:
        if self._together(queries):
            together = self._evaluate_together(queries)
            if together is not None:
                return together, {}
        return self._evaluate_each(queries)

    def _together(self, queries: list[str]) -> bool:
        """The gate's several ``deny`` queries over an input within the bound. (The policy test
        runner makes its own combined query and falls back to one by one on purpose.)"""
        return (
            len(queries) > 1
            and self._input_chars <= TOGETHER_MAX_INPUT_CHARS
            and all(is_deny_query(query) for query in queries)
        )

    def _evaluate_together(self, queries: list[str]) -> dict[str, Any] | None:
        """Every query as one array, evaluated once; None when that fails or is undefined
        (one undefined query makes the array undefined): the caller then evaluates them one
        by one, which says which query failed or is undefined."""
        try:
            answer = json.loads(self._engine.eval_query_as_json(f"[{', '.join(queries)}]"))
        except RuntimeError:
            return None
        results = answer.get("result", [])
        if not results:
            return None
        found = results[0]["expressions"][0]["value"]
        if not isinstance(found, list) or len(found) != len(queries):
            return None
        return dict(zip(queries, found, strict=True))

    def _evaluate_each(self, queries: list[str]) -> tuple[dict[str, Any], dict[str, str]]:
        values: dict[str, Any] = {}
        errors: dict[str, str] = {}
        for query in queries:
            try:
                answer = json.loads(self._engine.eval_query_as_json(query))
            except RuntimeError as exc:
                errors[query] = one_line(str(exc))
                continue
            results = answer.get("result", [])
            # An undefined query has no result; a reference has exactly one expression.
            if results:
                values[query] = results[0]["expressions"][0]["value"]
        return values, errors

    def coverage(self) -> tuple[FileCoverage, ...] | None:
        report = json.loads(self._engine.get_coverage_report_as_json())
        return tuple(
            FileCoverage(
                path=entry["path"],
                covered=frozenset(entry.get("covered", [])),
                not_covered=frozenset(entry.get("not_covered", [])),
            )
            for entry in report.get("files", [])
        )


def one_line(message: str, fallback_location: str = "") -> str:
    """``file:line:col: message`` from regorus's multi-line, source-quoting error text."""
    location = _LOCATION.search(message)
    reason = _MESSAGE.search(message)
    text = reason.group(1).strip() if reason else _first_line(message)
    where = location.group(1) if location else fallback_location
    return f"{where}: {text}" if where else text


def _first_line(message: str) -> str:
    for line in message.splitlines():
        if line.strip():
            return line.strip()
    return "unknown error"
