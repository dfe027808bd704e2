"""A stand-in for an OPA server's REST API, just enough for the OPA engine's tests."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class FakeOpa:
    """What the fake holds and how it answers ``POST /v1/data/<path>``."""

    policies: dict[str, str] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    # path ("demo/deny") -> value; absent paths are undefined.
    answers: dict[str, Any] = field(default_factory=dict)
    inputs: list[Any] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)
    # "ok", "error" (HTTP 500 on queries) or "hang" (queries never answer in time).
    mode: str = "ok"
    release: threading.Event = field(default_factory=threading.Event)
    url: str = ""


def _handler(state: FakeOpa) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def _send(self, status: int, payload: Any = None) -> None:
            body = b"" if payload is None else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            state.requests.append(("GET", self.path))
            if self.path.rstrip("/") == "/v1/policies":
                self._send(200, {"result": [{"id": pid} for pid in state.policies]})
            else:
                self._send(404, {"code": "resource_not_found", "message": self.path})

        def do_PUT(self) -> None:  # noqa: N802
            state.requests.append(("PUT", self.path))
            body = self._body()
            if self.path.startswith("/v1/policies/"):
                policy_id = self.path.removeprefix("/v1/policies/")
                source = body.decode()
                if "BROKEN" in source:
                    self._send(
                        400,
                        {
                            "code": "invalid_parameter",
                            "message": "error(s) occurred while compiling module(s)",
                            "errors": [
                                {
                                    "code": "rego_parse_error",
                                    "message": "unexpected eof token",
                                    "location": {"file": policy_id, "row": 2, "col": 1},
                                }
                            ],
                        },
                    )
                    return
                state.policies[policy_id] = source
                self._send(200, {})
            elif self.path.startswith("/v1/data/"):
                state.data[self.path.removeprefix("/v1/data/")] = json.loads(body)
                self._send(204)
            else:
                self._send(404, {"code": "resource_not_found", "message": self.path})

        def do_DELETE(self) -> None:  # noqa: N802
            state.requests.append(("DELETE", self.path))
            state.policies.pop(self.path.removeprefix("/v1/policies/"), None)
            self._send(200, {})

        def do_POST(self) -> None:  # noqa: N802
            state.requests.append(("POST", self.path))
            body = json.loads(self._body() or b"{}")
            if self.path.startswith("/v1/query"):
                self._send(200, {"result": [{"v": "1.4.2"}]})
                return
            state.inputs.append(body.get("input"))
            if state.mode == "hang":
                state.release.wait(10)
                return
            if state.mode == "error":
                self._send(
                    500,
                    {
                        "code": "internal_error",
                        "message": "demo/demo.rego:7: eval_builtin_error: to_number: invalid",
                    },
                )
                return
            path = self.path.removeprefix("/v1/data/").split("?")[0]
            self._send(200, {"result": state.answers[path]} if path in state.answers else {})

    return Handler


@contextmanager
def fake_opa() -> Iterator[FakeOpa]:
    """A running fake on 127.0.0.1 and a free port, stopped afterwards."""
    state = FakeOpa()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()
