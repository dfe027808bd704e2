"""An embedded Rego interpreter as the engine worker process drives it."""

from __future__ import annotations

from typing import Any, Protocol

from servegate.engines.base import FileCoverage


class Runtime(Protocol):
    """One interpreter instance: load policies and data once, then answer queries.

    Lives in the worker process (``servegate.engines.worker``); never in the gate itself.
    """

    def load(self, modules: dict[str, str], data_json: str, *, coverage: bool) -> None:
        """Compile the modules and add the base document; EngineError when they do not load."""
        ...

    def set_input(self, input_json: str) -> None:
        """Parse the input document (EngineError when the interpreter rejects it).

        Apart from ``evaluate`` so the worker can drop the text (88 MiB at 50k resources)
        before the evaluation runs.
        """
        ...

    def evaluate(self, queries: list[str]) -> tuple[dict[str, Any], dict[str, str]]:
        """Values of the defined queries over the last input, and one-line errors of the
        failed ones."""
        ...

    def coverage(self) -> tuple[FileCoverage, ...] | None:
        """Line coverage since ``load``, or None when the interpreter cannot measure it."""
        ...
