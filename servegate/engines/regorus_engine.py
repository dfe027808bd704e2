"""regorus (PyPI ``gordon-to-regorus``): Microsoft's Rust Rego interpreter, the default engine."""

from __future__ import annotations

import contextlib
import json
import re
from typing import Any

from servegate.engines.base import EmbeddedEngine, EngineError, FileCoverage, is_deny_query

DISTRIBUTION = "gordon-to-regorus"

# What regorus evaluates to drop the rule values it keeps from the last evaluation (see
# evaluate_queries).
_RELEASE_QUERY = "true"

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

    def evaluate_queries(self, queries: list[str]) -> tuple[dict[str, Any], dict[str, str]]:
        """The gate's queries (every ``deny``, and the report's data-flow view) in one
        evaluation: the library's collections (the workloads, the model servers, the resources
        by type) are then built once for all packages instead of once per package. The gate's
        queries when that evaluation fails or is undefined, and other queries (the policy test
        runner builds its own combined query), one by one, which says which query failed or
        is undefined.

        regorus keeps every rule value of an evaluation until the next one starts; the
        worker's next input would be parsed beside them (at 50k resources the combined
        evaluation's values are ~90 MiB). A constant query after the evaluation drops them.
        """
        try:
            together = self._evaluate_together(queries) if _gate_queries(queries) else None
            if together is not None:
                return together, {}
            return self._evaluate_each(queries)
        finally:
            self._release()

    def _release(self) -> None:
        """Drop the rule values of the last evaluation. Policies that do not compile fail
        this constant query too; their error is already in the answers, named by its file."""
        with contextlib.suppress(RuntimeError):
            self._engine.eval_query_as_json(_RELEASE_QUERY)

    def _evaluate_together(self, queries: list[str]) -> dict[str, Any] | None:
        """Every query as one array, evaluated once; None when that fails or is undefined
        (one undefined query makes the array undefined)."""
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


def _gate_queries(queries: list[str]) -> bool:
    """The gate's evaluation: several queries, the ``deny`` ones among them (with the report's
    ``data.evidence.flow``). The policy test runner's are never ``deny`` queries."""
    return len(queries) > 1 and any(is_deny_query(query) for query in queries)


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
