"""Turning an engine's per-query outcome into the strict answer the gate relies on."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from typing import Any

from servegate.engines.base import EngineError, Evaluation

# What every violation object must carry for the gate to report it.
_REQUIRED_VIOLATION_KEYS = ("rule_id", "urn", "message")


def strict_results(evaluation: Evaluation, queries: list[str]) -> dict[str, Any]:
    """The value of every query, or EngineError for the first query that failed.

    ``deny`` queries must be defined and hold violation objects; they come back sorted so
    every engine gives the same answer in the same order.
    """
    for query in queries:
        if query in evaluation.errors:
            raise EngineError(f"{query}: {evaluation.errors[query]}")
    results: dict[str, Any] = {}
    for query in queries:
        value = evaluation.values.get(query)
        results[query] = _checked_deny(query, value) if is_deny_query(query) else value
    return results


class StrictQueries(ABC):
    """Engines whose ``query`` is their ``evaluate`` held to the gate's strict answer."""

    @abstractmethod
    def evaluate(
        self,
        modules: dict[str, str],
        data: dict[str, Any],
        input_doc: dict[str, Any],
        queries: list[str],
        *,
        coverage: bool = False,
    ) -> Evaluation: ...

    def query(
        self,
        modules: dict[str, str],
        data: dict[str, Any],
        input_doc: dict[str, Any],
        queries: list[str],
    ) -> dict[str, Any]:
        """See ``Engine.query``."""
        return strict_results(self.evaluate(modules, data, input_doc, queries), queries)


def is_deny_query(query: str) -> bool:
    """True for the gate's entrypoints, ``data.<package>.deny``."""
    return query.startswith("data.") and query.endswith(".deny")


def _checked_deny(query: str, value: Any) -> list[dict[str, Any]]:
    if value is None:
        raise EngineError(f"{query} is undefined: the policy package did not load")
    if not isinstance(value, list):
        raise EngineError(
            f"{query} returned {type(value).__name__}; a deny rule must yield a set of objects"
        )
    for item in value:
        if not isinstance(item, dict):
            raise EngineError(
                f"{query} yielded {type(item).__name__} {_short(item)}; "
                f"each violation must be an object with {', '.join(_REQUIRED_VIOLATION_KEYS)}"
            )
        missing = [key for key in _REQUIRED_VIOLATION_KEYS if not isinstance(item.get(key), str)]
        if missing:
            raise EngineError(
                f"{query} yielded a violation without string {', '.join(missing)}: {_short(item)}"
            )
    return sorted(value, key=_sort_key)


def _sort_key(violation: dict[str, Any]) -> tuple[str, str, str]:
    return (
        violation["rule_id"],
        violation["urn"],
        json.dumps(violation, sort_keys=True, default=str),
    )


def _short(value: Any, limit: int = 120) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."
