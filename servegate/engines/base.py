"""The one interface every Rego engine implements, and the strict answer the gate relies on.

``Engine`` is the abstract base of every evaluator: the engine worker's embedded interpreters
(regorus, regopy, opa-go, each an ``EmbeddedEngine``), the ``SubprocessEngine`` that runs one
of them in a worker process, the OPA server client, and the tests' fakes. A subclass says
how to ``evaluate``; ``query`` is defined here once, so every engine's answer to the gate is
checked the same way (``checked_results``): a failed query raises, a ``deny`` query must be
defined and yield violation objects carrying ``rule_id``, ``urn`` and ``message``.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, ClassVar, final

from servegate.errors import GateError

# What every violation object must carry for the gate to report it.
REQUIRED_VIOLATION_KEYS = ("rule_id", "urn", "message")


class EngineError(GateError):
    """The engine could not evaluate: compile error, missing built-in, timeout, crash."""


@dataclass(frozen=True)
class FileCoverage:
    """Which lines of one policy file the evaluation executed."""

    path: str
    covered: frozenset[int]
    not_covered: frozenset[int]

    @property
    def percent(self) -> float:
        """Covered lines over coverable lines, 100 for a file with nothing to cover."""
        total = len(self.covered | self.not_covered)
        return 100.0 if total == 0 else 100.0 * len(self.covered) / total


@dataclass(frozen=True)
class Evaluation:
    """Per-query outcome of evaluating several queries on one engine instance.

    A query is in ``values`` when defined, in ``errors`` (one line) when its evaluation
    failed, and in neither when undefined. ``coverage`` is None when not requested or
    when the engine cannot measure it.
    """

    values: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)
    coverage: tuple[FileCoverage, ...] | None = None


class Engine(ABC):
    """A Rego evaluator (see ``servegate.engines.get_engine`` for the shipped ones)."""

    name: str

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # The gate trusts ``query`` to have checked every violation: no engine may bypass it.
        if "query" in vars(cls):
            raise TypeError(f"{cls.__name__} overrides Engine.query; override evaluate instead")

    @property
    @abstractmethod
    def version(self) -> str:
        """The evaluator's version as the reports record it."""

    @abstractmethod
    def evaluate(
        self,
        modules: dict[str, str],
        data: dict[str, Any],
        input_doc: dict[str, Any],
        queries: list[str],
        *,
        coverage: bool = False,
    ) -> Evaluation:
        """Evaluate queries, keeping each query's error apart (the policy test runner).

        ``modules`` maps a file name to Rego source; ``data`` is the base document.
        Failures that concern every query (a module does not compile, the engine is
        unreachable or times out) raise EngineError.
        """

    @final
    def query(
        self,
        modules: dict[str, str],
        data: dict[str, Any],
        input_doc: dict[str, Any],
        queries: list[str],
    ) -> dict[str, Any]:
        """Evaluate each query (e.g. ``data.residency.deny``) and return its value.

        An undefined query result is ``None``, except for ``*.deny`` queries, where it
        means the policy package did not load and raises. ``deny`` values come back as
        lists of violation objects in a stable order. Any failure raises EngineError.
        """
        return checked_results(self.evaluate(modules, data, input_doc, queries), queries)

    def close(self) -> None:  # noqa: B027 (most engines hold nothing to release)
        """Release what the engine holds (a worker process); a no-op by default."""


class EmbeddedEngine(Engine):
    """An interpreter in this process: compiles a bundle once, then answers queries.

    The engine worker (``servegate.engines.worker``) drives these through ``load_bundle``
    and ``evaluate_json`` so the input's JSON text reaches the interpreter unparsed; in
    process (the mutation tests), ``evaluate`` does the same from Python values.
    """

    # The Python distribution that provides the interpreter.
    distribution: ClassVar[str]

    def __init__(self) -> None:
        self._loaded_key: str | None = None

    @property
    def version(self) -> str:
        """The interpreter's package version."""
        try:
            return metadata.version(self.distribution)
        except metadata.PackageNotFoundError:
            raise EngineError(
                f"engine {self.name} needs the Python package {self.distribution}"
            ) from None

    @abstractmethod
    def load(self, modules: dict[str, str], data_json: str, *, coverage: bool) -> None:
        """Compile the modules and add the base document; EngineError when they do not load."""

    @abstractmethod
    def set_input(self, input_json: str) -> None:
        """Parse the input document (EngineError when the interpreter rejects it).

        Apart from ``evaluate_queries`` so the worker can drop the text (88 MiB at 50k
        resources) before the evaluation runs.
        """

    @abstractmethod
    def evaluate_queries(self, queries: list[str]) -> tuple[dict[str, Any], dict[str, str]]:
        """Values of the defined queries over the last input, and one-line errors of the
        failed ones."""

    def evaluate_json(
        self, input_json: str, queries: list[str]
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """Values of the defined queries over ``input_json`` and errors of the failed ones."""
        self.set_input(input_json)
        return self.evaluate_queries(queries)

    @abstractmethod
    def coverage(self) -> tuple[FileCoverage, ...] | None:
        """Line coverage since ``load``, or None when the interpreter cannot measure it."""

    def holds(self, key: str) -> bool:
        """True when the bundle ``key`` is loaded (coverage off)."""
        return key == self._loaded_key

    def load_bundle(
        self, key: str, modules: dict[str, str], data_json: str, *, coverage: bool
    ) -> None:
        """Load the bundle unless ``key`` (``bundle_key``) is the one loaded already.

        Coverage accumulates per interpreter: a covered run always starts fresh.
        """
        if coverage or key != self._loaded_key:
            self._loaded_key = None
            self.load(modules, data_json, coverage=coverage)
            self._loaded_key = key

    def evaluate(
        self,
        modules: dict[str, str],
        data: dict[str, Any],
        input_doc: dict[str, Any],
        queries: list[str],
        *,
        coverage: bool = False,
    ) -> Evaluation:
        """See ``Engine.evaluate``."""
        try:
            input_json = json.dumps(input_doc)
        except (TypeError, ValueError) as exc:
            raise EngineError(f"the policy input is not JSON: {exc}") from None
        self.load_bundle(bundle_key(modules, data), modules, json.dumps(data), coverage=coverage)
        values, errors = self.evaluate_json(input_json, queries)
        return Evaluation(values, errors, self.coverage() if coverage else None)


def bundle_key(modules: dict[str, str], data: dict[str, Any]) -> str:
    """What identifies a loaded bundle: the same key needs no second compilation."""
    return hashlib.sha256(json.dumps([modules, data], sort_keys=True).encode("utf-8")).hexdigest()


def checked_results(evaluation: Evaluation, queries: list[str]) -> dict[str, Any]:
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
                f"each violation must be an object with {', '.join(REQUIRED_VIOLATION_KEYS)}"
            )
        missing = [key for key in REQUIRED_VIOLATION_KEYS if not isinstance(item.get(key), str)]
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
