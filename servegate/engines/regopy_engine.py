"""regopy: Microsoft's rego-cpp interpreter, the second embedded engine.

rego-cpp reports errors as s-expressions (``(error 8:bad.rego|58|1 (errormsg 16:...))``,
strings prefixed by their length, locations as byte offsets); this module turns them into
``file:line: message``. Built-in errors are made strict so that a missing or failing
built-in (``net.cidr_contains``) is an error instead of a silently undefined rule.
"""

from __future__ import annotations

import json
import re
from typing import Any

from servegate.engines.base import EmbeddedEngine, EngineError, FileCoverage

DISTRIBUTION = "regopy"

_ERROR_HEAD = re.compile(r"\(error (\d+):")
_ERROR_MESSAGE = re.compile(r"\(errormsg (\d+):")
_OFFSET = re.compile(r"\|(\d+)\|(\d+)")


class RegopyEngine(EmbeddedEngine):
    """A ``regopy.Interpreter`` in the engine worker or in process."""

    name = "regopy"
    distribution = DISTRIBUTION

    def __init__(self) -> None:
        super().__init__()
        import regopy
        from regopy import rego_shared

        self._regopy = regopy
        self._shared = rego_shared
        self._interpreter: Any = None
        self._sources: dict[str, str] = {}

    def load(self, modules: dict[str, str], data_json: str, *, coverage: bool) -> None:
        interpreter = self._regopy.Interpreter()
        # Errors go into the results, not onto stdout.
        interpreter.log_level = self._regopy.LogLevel.NONE
        interpreter.strict_built_in_errors = True
        self._sources = dict(modules)
        for path, source in modules.items():
            try:
                interpreter.add_module(path, source)
            except self._shared.RegoError as exc:
                raise EngineError(f"regopy cannot compile {self._describe(str(exc))}") from None
        try:
            interpreter.add_data_json(data_json)
        except self._shared.RegoError as exc:
            reason = self._describe(str(exc))
            raise EngineError(f"regopy rejected the data document: {reason}") from None
        self._interpreter = interpreter

    def set_input(self, input_json: str) -> None:
        try:
            self._interpreter.set_input_term(input_json)
        except self._shared.RegoError as exc:
            reason = self._describe(str(exc))
            raise EngineError(f"regopy rejected the input document: {reason}") from None

    def evaluate_queries(self, queries: list[str]) -> tuple[dict[str, Any], dict[str, str]]:
        values: dict[str, Any] = {}
        errors: dict[str, str] = {}
        for query in queries:
            try:
                defined, value = self._query(query)
            except _QueryError as exc:
                errors[query] = str(exc)
                continue
            if defined:
                values[query] = value
        return values, errors

    def coverage(self) -> tuple[FileCoverage, ...] | None:
        return None

    def _query(self, query: str) -> tuple[bool, Any]:
        shared = self._shared
        try:
            output = shared.rego_query(self._interpreter._impl, query)
        except shared.RegoError as exc:
            # Compile errors surface at the first query.
            raise _QueryError(self._describe(str(exc))) from None
        try:
            if not shared.rego_output_ok(output):
                raise _QueryError(self._error_from_node(shared.rego_output_node(output)))
            text = shared.rego_output_string(output)
        finally:
            shared.rego_free_output(output)
        if text.strip() == "undefined":
            return False, None
        if text.lstrip().startswith("("):
            raise _QueryError(self._describe(text))
        try:
            answer = json.loads(text)
        except ValueError as exc:
            # rego-cpp 1.5 does not escape quotes that sprintf("%s") keeps around a string
            # passed as a function argument.
            raise _QueryError(f"regopy produced unreadable output ({exc}): {text[:80]}") from None
        first = answer[0] if isinstance(answer, list) else answer
        expressions = first.get("expressions", [])
        return (True, expressions[0]) if expressions else (False, None)

    def _error_from_node(self, node: Any) -> str:
        """The first error message of an ErrorSeq node (its kind names are unreadable)."""
        shared = self._shared
        lib = shared.rego
        error = lib.regoNodeGet(node, 0) if lib.regoNodeSize(node) else None
        if error is None or not lib.regoNodeSize(error):
            return "evaluation failed (regopy gave no message)"
        message = shared.rego_node_value(lib.regoNodeGet(error, 0)).strip()
        code = shared.rego_node_value(lib.regoNodeGet(error, lib.regoNodeSize(error) - 1)).strip()
        return f"{message} ({code})" if code else message

    def _describe(self, text: str) -> str:
        """``file:line: message`` for the first error of a rego-cpp error s-expression."""
        message_match = _ERROR_MESSAGE.search(text)
        if message_match is None:
            return text.strip().splitlines()[0] if text.strip() else "unknown error"
        message = _take(text, message_match.end(), int(message_match.group(1))).strip()
        head = _ERROR_HEAD.search(text)
        if head is None or head.start() > message_match.start():
            return message
        path = _take(text, head.end(), int(head.group(1)))
        offset = _OFFSET.match(text, head.end() + len(path))
        if not path:
            return message
        if offset is None or path not in self._sources:
            return f"{path}: {message}"
        line = self._sources[path].encode()[: int(offset.group(1))].count(b"\n") + 1
        return f"{path}:{line}: {message}"


class _QueryError(Exception):
    """One query failed; its message is already one line."""


def _take(text: str, start: int, length: int) -> str:
    return text[start : start + length]
