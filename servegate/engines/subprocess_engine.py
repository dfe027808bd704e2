"""The embedded engines, run in a worker process the gate can stop at its deadline."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import IO, Any

import orjson

import servegate
from servegate.engines.base import Engine, EngineError, Evaluation, FileCoverage

# Where ``servegate`` is imported from, so the worker finds the same code.
_SOURCE_ROOT = str(Path(servegate.__file__).resolve().parent.parent)


class SubprocessEngine(Engine):
    """regorus or regopy behind ``servegate.engines.worker``, with a wall-clock timeout.

    The worker starts on first use and stays up across queries (the policies compile once
    per bundle). When an evaluation exceeds ``timeout_s`` the worker is killed, the call
    raises EngineError, and the next call starts a new worker. Calls are serialized.
    """

    def __init__(
        self,
        name: str,
        distribution: str,
        *,
        timeout_s: float,
        install: str | None = None,
        detail: Callable[[], str | None] | None = None,
    ) -> None:
        self.name = name
        self._distribution = distribution
        self._install = install or f"pip install {distribution}"
        # What the package version does not say (the OPA release inside opa-go's library).
        self._detail = detail
        self._timeout_s = timeout_s
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._stderr: IO[str] | None = None
        # The policies the running worker has compiled (None: send them with the next call).
        self._loaded_key: str | None = None

    @property
    def version(self) -> str:
        """The interpreter's package version."""
        try:
            version = metadata.version(self._distribution)
        except metadata.PackageNotFoundError:
            raise EngineError(
                f"engine {self.name} needs the Python package {self._distribution}; "
                f"install it: {self._install}"
            ) from None
        detail = self._detail() if self._detail is not None else None
        return f"{version} ({detail})" if detail else version

    def prepare(self, modules: dict[str, str], data: dict[str, Any]) -> None:
        """Start the worker and compile ``modules`` with ``data`` in the background.

        Returns at once; the next call waits until the worker is ready. A cold
        ``preview`` calls this before it runs the Pulumi program, so the worker's start-up
        and the compilation overlap the program on another core. A failure here is not
        reported: the evaluation that follows meets it again and raises it.
        """
        request = self._request(modules, data, {}, [], coverage=False)
        self._lock.acquire()

        def compile_now() -> None:
            try:
                self._exchange(request, coverage=False)
            except EngineError:
                return
            finally:
                self._lock.release()

        threading.Thread(
            target=compile_now, name=f"servegate-{self.name}-prepare", daemon=True
        ).start()

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
        request = self._request(modules, data, input_doc, queries, coverage=coverage)
        with self._lock:
            answer = self._exchange(request, coverage=coverage)
        if "fatal" in answer:
            raise EngineError(str(answer["fatal"]))
        return Evaluation(
            values=answer["values"],
            errors=answer["errors"],
            coverage=None if answer["coverage"] is None else _coverage(answer["coverage"]),
        )

    def _request(
        self,
        modules: dict[str, str],
        data: dict[str, Any],
        input_doc: dict[str, Any],
        queries: list[str],
        *,
        coverage: bool,
    ) -> _Request:
        try:
            # The input is the large part (18 MB at 10k resources): orjson writes it ~10x
            # faster than json, which is most of the hand-over to the worker.
            # In the bundle's order: the engines load modules in the order given, and the
            # key changes with it (the same policies in another order compile again).
            policies = orjson.dumps(
                {"modules": modules, "data": data}, option=orjson.OPT_NON_STR_KEYS
            )
            # Kept as bytes and written to the pipe as they are: no second copy of the input.
            body = orjson.dumps(input_doc, option=orjson.OPT_NON_STR_KEYS)
        except (TypeError, ValueError) as exc:
            raise EngineError(f"the policy input is not JSON: {exc}") from None
        key = hashlib.sha256(policies).hexdigest()
        header = json.dumps({"key": key, "queries": queries, "coverage": coverage}).encode()
        # The header is one JSON object: the policies' members are spliced in before "}".
        return _Request(
            key=key,
            header=header,
            header_with_policies=header[:-1] + b", " + policies[1:],
            body=body,
        )

    def close(self) -> None:
        """Stop the worker (it also stops by itself when the gate exits)."""
        with self._lock:
            self._stop()

    def _exchange(self, request: _Request, *, coverage: bool) -> dict[str, Any]:
        process = self._running_worker()
        # A worker holding these policies gets only the queries and the input.
        compiled = not coverage and request.key == self._loaded_key
        header = request.header if compiled else request.header_with_policies
        reply: list[bytes] = []

        def talk() -> None:
            # EOF or a broken pipe here means the worker died; reported below.
            try:
                assert process.stdin is not None and process.stdout is not None
                for part in (header, b"\n", request.body, b"\n"):
                    process.stdin.write(part)
                process.stdin.flush()
                reply.append(process.stdout.readline())
            except (BrokenPipeError, OSError, ValueError):
                return

        talker = threading.Thread(target=talk, name=f"servegate-{self.name}", daemon=True)
        talker.start()
        talker.join(self._timeout_s)
        if talker.is_alive():
            # Kill first: the talker then sees EOF and ends before its streams are closed.
            process.kill()
            talker.join()
            self._stop()
            raise EngineError(
                f"{self.name} did not finish evaluating within {self._timeout_s:g}s; "
                f"the evaluation was stopped (raise the engine timeout or simplify the policy)"
            )
        if not reply or not reply[0]:
            detail = self._last_stderr_line()
            self._stop()
            raise EngineError(f"the {self.name} engine crashed: {detail}")
        answer: dict[str, Any] = json.loads(reply[0])
        # A fatal answer may mean the policies did not compile: send them again next time.
        self._loaded_key = None if "fatal" in answer else request.key
        return answer

    def _running_worker(self) -> subprocess.Popen[bytes]:
        if self._process is not None and self._process.poll() is None:
            return self._process
        self._stop()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([_SOURCE_ROOT, *filter(None, [env.get("PYTHONPATH")])])
        # regorus captures a Rust backtrace for every error otherwise: slow and noisy.
        env["RUST_BACKTRACE"] = "0"
        env["RUST_LIB_BACKTRACE"] = "0"
        # Kept open for the worker's lifetime (read after a crash), closed in _stop.
        self._stderr = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # noqa: SIM115
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "servegate.engines.worker", self.name],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._stderr,
                env=env,
            )
        except OSError as exc:
            raise EngineError(f"cannot start the {self.name} engine worker: {exc}") from None
        return self._process

    def _stop(self) -> None:
        self._loaded_key = None
        if self._process is not None:
            if self._process.poll() is None:
                self._process.kill()
            self._process.wait()
            for stream in (self._process.stdin, self._process.stdout):
                if stream is not None:
                    with contextlib.suppress(OSError):
                        stream.close()
            self._process = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def _last_stderr_line(self) -> str:
        code = None
        if self._process is not None:
            try:
                code = self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                code = None
        lines: list[str] = []
        if self._stderr is not None:
            self._stderr.seek(0)
            lines = [line.strip() for line in self._stderr.read().splitlines() if line.strip()]
        last = lines[-1] if lines else "no error output"
        if code is not None and code < 0:
            return f"{last} (killed by {signal.Signals(-code).name})"
        return f"{last} (exit code {code})" if code is not None else last

    def __del__(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.kill()


@dataclass(frozen=True)
class _Request:
    """One request to the worker: a header line (with or without the policies it compiles)
    and the input document's JSON line."""

    key: str
    header: bytes
    header_with_policies: bytes
    body: bytes


def _coverage(entries: list[dict[str, Any]]) -> tuple[FileCoverage, ...]:
    return tuple(
        FileCoverage(
            path=entry["path"],
            covered=frozenset(entry["covered"]),
            not_covered=frozenset(entry["not_covered"]),
        )
        for entry in entries
    )
