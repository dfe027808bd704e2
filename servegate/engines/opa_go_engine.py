"""opa-go: the official OPA v1 Go engine, in-process through PyPI
``opa-golib-python-bindings`` (a Go c-shared library behind ctypes).

It is the reference for Rego semantics: the policy test suite and the agreement test run on
it, and the benchmarks compare the embedded engines with it. It runs in the engine worker
like regorus and regopy, so a crash of native code or a timeout is exit 2, never a pass.

The distribution declares Python >= 3.14 although its ctypes wrapper runs on 3.11, so it is
installed with ``pip install --ignore-requires-python opa-golib-python-bindings`` (tasks.py
does so for the test environment).
"""

from __future__ import annotations

import json
import re
from typing import Any

from servegate.engines.base import EmbeddedEngine, EngineError, FileCoverage

DISTRIBUTION = "opa-golib-python-bindings"
INSTALL = f"pip install --ignore-requires-python {DISTRIBUTION}"
# The Go module version the bridge library was built with (Go build info in the binary).
_OPA_MODULE = re.compile(rb"dep\tgithub\.com/open-policy-agent/opa\t(v[0-9][^\t\s]*)")


def opa_version() -> str | None:
    """The OPA release inside the bridge library (e.g. v1.20.2), None if unreadable."""
    try:
        from importlib.resources import files

        library = files("opa_bindings").joinpath("libopabridge.so").read_bytes()
    except (ImportError, OSError):
        return None
    match = _OPA_MODULE.search(library)
    return match.group(1).decode("ascii") if match else None


# The Go engine's count of the errors it lists after it ("2 errors occurred:").
_ERROR_COUNT = re.compile(r"\d+ errors? occurred:\s*$")


class OpaGoEngine(EmbeddedEngine):
    """One ``opa_bindings.OpaEngine`` in the engine worker or in process."""

    name = "opa-go"
    distribution = DISTRIBUTION

    @property
    def version(self) -> str:
        """The bindings' version and the OPA release inside, as SubprocessEngine reports it."""
        release = opa_version()
        return f"{super().version} (OPA {release})" if release else super().version

    def __init__(self) -> None:
        super().__init__()
        import opa_bindings

        self._bindings = opa_bindings
        self._engine: Any = None
        self._input: Any = None
        self._coverage_on = False
        self._covered: dict[str, set[int]] = {}
        self._not_covered: dict[str, set[int]] = {}

    def load(self, modules: dict[str, str], data_json: str, *, coverage: bool) -> None:
        if self._engine is not None:
            self._engine.close()
        engine = self._bindings.OpaEngine()
        for path, source in modules.items():
            try:
                engine.add_policy(path, source)
            except self._bindings.OpaError as exc:
                raise EngineError(f"opa-go cannot compile {path}: {one_line(exc)}") from None
        try:
            engine.add_data(json.loads(data_json))
        except self._bindings.OpaError as exc:
            raise EngineError(f"opa-go rejected the data document: {one_line(exc)}") from None
        # Compile now: a module error is the bundle's, not one query's.
        try:
            engine.eval_query("true = true")
        except self._bindings.OpaError as exc:
            raise EngineError(f"opa-go cannot compile the policies: {one_line(exc)}") from None
        self._engine = engine
        self._coverage_on = coverage
        self._covered, self._not_covered = {}, {}

    def set_input(self, input_json: str) -> None:
        self._input = json.loads(input_json)

    def evaluate_queries(self, queries: list[str]) -> tuple[dict[str, Any], dict[str, str]]:
        input_doc = self._input
        values: dict[str, Any] = {}
        errors: dict[str, str] = {}
        for query in queries:
            try:
                bindings = self._engine.eval_query(
                    f"__servegate_value = {query}", input_doc, coverage=self._coverage_on
                )
            except self._bindings.OpaError as exc:
                errors[query] = one_line(exc)
                continue
            if self._coverage_on:
                self._merge_coverage(self._engine.last_coverage)
            # An undefined query has no bindings.
            if bindings:
                values[query] = bindings[0]["__servegate_value"]
        return values, errors

    def coverage(self) -> tuple[FileCoverage, ...] | None:
        paths = sorted(set(self._covered) | set(self._not_covered))
        return tuple(
            FileCoverage(
                path=path,
                covered=frozenset(self._covered.get(path, set())),
                # A line any query covered is covered.
                not_covered=frozenset(
                    self._not_covered.get(path, set()) - self._covered.get(path, set())
                ),
            )
            for path in paths
        )

    def _merge_coverage(self, report: dict[str, Any] | None) -> None:
        for path, entry in ((report or {}).get("files") or {}).items():
            self._covered.setdefault(path, set()).update(_lines(entry.get("covered")))
            self._not_covered.setdefault(path, set()).update(_lines(entry.get("not_covered")))


def _lines(ranges: Any) -> set[int]:
    """OPA's cover report gives ranges {"start": {"row": a}, "end": {"row": b}}."""
    lines: set[int] = set()
    for item in ranges or []:
        start = int(item["start"]["row"])
        end = int(item["end"]["row"])
        lines.update(range(start, end + 1))
    return lines


def one_line(error: Exception) -> str:
    """The first error the Go engine names, with how many more there are.

    OPA writes "bundle activation failed: 2 errors occurred:" and then one error per line;
    the header alone would hide which file and line failed.
    """
    message = getattr(error, "message", None) or str(error)
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    if not lines:
        return "unknown error"
    details = lines[1:] if _ERROR_COUNT.search(lines[0]) else []
    if not details:
        return _ERROR_COUNT.sub("", lines[0])
    more = f" (and {len(details) - 1} more)" if len(details) > 1 else ""
    return f"{details[0]}{more}"
