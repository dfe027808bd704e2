"""What every Rego engine offers the gate."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from servegate.errors import GateError


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


class Engine(Protocol):
    """A Rego evaluator. Implementations: regorus, regopy, opa (see ``get_engine``)."""

    name: str

    @property
    def version(self) -> str: ...

    def query(
        self,
        modules: dict[str, str],
        data: dict[str, Any],
        input_doc: dict[str, Any],
        queries: list[str],
    ) -> dict[str, Any]:
        """Evaluate each query (e.g. ``data.residency.deny``) and return its value.

        ``modules`` maps a file name to Rego source; ``data`` is the base document.
        An undefined query result is ``None``, except for ``*.deny`` queries, where it
        means the policy package did not load and raises. ``deny`` values come back as
        lists of violation objects in a stable order. Any failure raises EngineError.
        """
        ...

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

        Failures that concern every query (a module does not compile, the engine is
        unreachable or times out) still raise EngineError.
        """
        ...
