"""`servegate slo budget`: the error-budget document from Prometheus's HTTP API.

Against a canned /api/v1/query answer (fixture server) and against a real Prometheus
(Debian's prometheus package) started on a free port over a TSDB built by
``promtool tsdb create-blocks-from openmetrics`` holding the recording rule's series.
"""

from __future__ import annotations

import json
import socket
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from components.slo_rules import BUDGET_REMAINING_RECORD
from servegate.cli.main import app
from servegate.error_budget import load_error_budget
from tests.tooling import require_tool

runner = CliRunner()
MODELS = ("llama-8b", "mixtral-8x7b")


def _sample(model: str, value: str) -> dict[str, Any]:
    labels = {"__name__": BUDGET_REMAINING_RECORD, "model": model, "window": "30d"}
    return {"metric": {**labels, "slo": "availability"}, "value": [1764601200, value]}


class _Canned(BaseHTTPRequestHandler):
    answer: Any = None
    status = 200
    queries: list[dict[str, list[str]]] = []
    auth: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        parts = urllib.parse.urlsplit(self.path)
        assert parts.path == "/api/v1/query"
        type(self).queries.append(urllib.parse.parse_qs(parts.query))
        type(self).auth.append(self.headers.get("Authorization", ""))
        body = json.dumps(self.answer).encode()
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def canned() -> Iterator[tuple[str, type[_Canned]]]:
    handler = type("Handler", (_Canned,), {"queries": [], "auth": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://user:hunter2@127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()


def _invoke(project: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["-C", str(project), "slo", "budget", "-s", "prod-ca", *args])
    return result.exit_code, result.output


def test_writes_the_document_from_the_query_answer(
    project: Path, canned: tuple[str, type[_Canned]], tmp_path: Path
) -> None:
    url, handler = canned
    handler.answer = {
        "status": "success",
        "data": {
            "resultType": "vector",
            "result": [_sample("llama-8b", "-0.25"), _sample("mixtral-8x7b", "0.6")],
        },
    }
    out = tmp_path / "budget.json"
    code, output = _invoke(project, "--prometheus", url, "--out", str(out))
    assert code == 0, output
    budget = load_error_budget(out)
    assert budget.stack == "prod-ca" and budget.window == "30d"
    assert [(name, b.remaining_ratio, b.objective) for name, b in budget.models] == [
        ("llama-8b", -0.25, 99.9),
        ("mixtral-8x7b", 0.6, 99.9),
    ]
    assert budget.model("llama-8b").spent  # type: ignore[union-attr]
    (query,) = handler.queries
    assert query["query"] == [
        f'{BUDGET_REMAINING_RECORD}{{model=~"llama-8b|mixtral-8x7b", window="30d"}}'
    ]
    assert handler.auth == ["Basic dXNlcjpodW50ZXIy"]  # user:hunter2
    # The credentials of the URL reach neither the document nor the output.
    assert "hunter2" not in out.read_text() and "hunter2" not in output
    assert budget.models[0][1].source.startswith("http://127.0.0.1:")


@pytest.mark.parametrize(
    ("answer", "status", "message"),
    [
        (
            {
                "status": "success",
                "data": {"resultType": "vector", "result": [_sample("llama-8b", "0.5")]},
            },
            200,
            "no servegate:availability_error_budget:remaining_ratio series for model mixtral-8x7b",
        ),
        (
            {
                "status": "success",
                "data": {"resultType": "vector", "result": [_sample(m, "NaN") for m in MODELS]},
            },
            200,
            "the budget of model llama-8b is NaN",
        ),
        (
            {"status": "error", "errorType": "bad_data", "error": "parse error"},
            400,
            "HTTP 400: parse error",
        ),
        (
            {"status": "success", "data": {"resultType": "matrix", "result": []}},
            200,
            "not an instant vector",
        ),
    ],
    ids=["model-missing", "no-requests", "refused", "not-a-vector"],
)
def test_missing_or_bad_answers_exit_2_with_one_line(
    project: Path,
    canned: tuple[str, type[_Canned]],
    answer: Any,
    status: int,
    message: str,
) -> None:
    url, handler = canned
    handler.answer, handler.status = answer, status
    code, output = _invoke(project, "--prometheus", url)
    assert code == 2, output
    assert message in output and len(output.strip().splitlines()) == 1
    assert "hunter2" not in output


def test_unreachable_prometheus_exits_2(project: Path) -> None:
    code, output = _invoke(project, "--prometheus", f"http://127.0.0.1:{_free_port()}")
    assert code == 2 and "cannot reach Prometheus" in output


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def prometheus(tmp_path: Path) -> Iterator[str]:
    """A real Prometheus on a free port, its TSDB holding ten minutes of the recording
    rule's series (llama-8b overspent, mixtral-8x7b with budget left)."""
    binary = require_tool("prometheus")
    promtool = require_tool("promtool")
    now = int(time.time())
    lines = [f"# TYPE {BUDGET_REMAINING_RECORD} gauge"]
    for minute in range(10, 0, -1):
        stamp = now - 60 * minute
        for model, value in (("llama-8b", -0.25), ("mixtral-8x7b", 0.6)):
            labels = f'model="{model}",slo="availability",window="30d"'
            lines.append(f"{BUDGET_REMAINING_RECORD}{{{labels}}} {value} {stamp}")
    # Another stack's window must not be read.
    lines.append(
        f'{BUDGET_REMAINING_RECORD}{{model="llama-8b",slo="availability",window="7d"}} 0.9 '
        f"{now - 60}"
    )
    lines.append("# EOF")
    metrics = tmp_path / "series.om"
    metrics.write_text("\n".join(lines) + "\n")
    data = tmp_path / "tsdb"
    created = subprocess.run(
        [promtool, "tsdb", "create-blocks-from", "openmetrics", str(metrics), str(data)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert created.returncode == 0, created.stdout + created.stderr
    config = tmp_path / "prometheus.yml"
    config.write_text("global:\n  scrape_interval: 1m\n")
    port = _free_port()
    log = (tmp_path / "prometheus.log").open("w")
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={data}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/-/ready", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail(
                    "prometheus did not start: " + (tmp_path / "prometheus.log").read_text()[-2000:]
                )
            time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def test_reads_the_budget_from_a_real_prometheus(
    project: Path, prometheus: str, tmp_path: Path
) -> None:
    out = tmp_path / "budget.json"
    code, output = _invoke(project, "--prometheus", prometheus, "--out", str(out))
    assert code == 0, output
    budget = load_error_budget(out)
    assert {name: b.remaining_ratio for name, b in budget.models} == {
        "llama-8b": -0.25,
        "mixtral-8x7b": 0.6,
    }
    assert budget.model("llama-8b").spent  # type: ignore[union-attr]
