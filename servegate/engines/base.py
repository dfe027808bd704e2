"""What every Rego engine offers the gate."""

from __future__ import annotations

from typing import Any, Protocol

from servegate.errors import GateError


class EngineError(GateError):
    """The engine could not evaluate: compile error, missing built-in, timeout, crash."""


class Engine(Protocol):
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
        An undefined query result is ``None``. Any failure raises EngineError.
        """
        ...
