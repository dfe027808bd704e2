"""``servegate slo budget``: read each model's remaining error budget from Prometheus.

One instant query of the recording rule ``BUDGET_REMAINING_RECORD`` through the HTTP API
(``GET /api/v1/query``). Every model of the stack must have exactly one sample, recorded
over the stack's SLO window: a missing or ambiguous figure is an error (exit 2), never a
budget assumed to be left.
"""

from __future__ import annotations

import base64
import json
import math
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from typing import Any

from components.config import StackSpec
from components.slo_rules import BUDGET_REMAINING_RECORD, Objectives
from servegate.error_budget import ErrorBudget, ModelBudget
from servegate.errors import GateError

QUERY_TIMEOUT_SECONDS = 30


def budget_query(spec: StackSpec) -> str:
    """The PromQL the budget is read with: the stack's models over its window."""
    window = Objectives.of(spec.sla).window
    names = "|".join(model.name for model in spec.models)
    return f'{BUDGET_REMAINING_RECORD}{{model=~"{names}", window="{window}"}}'


def shown_url(url: str) -> str:
    """The URL without any user:password (it goes into the document and messages)."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urllib.parse.urlunsplit((parts.scheme, host, parts.path, "", ""))


def query_budget(spec: StackSpec, prometheus: str, at: datetime | None = None) -> ErrorBudget:
    """The stack's error-budget document from the Prometheus at ``prometheus``."""
    base = prometheus.rstrip("/")
    if urllib.parse.urlsplit(base).scheme not in {"http", "https"}:
        raise GateError(f"--prometheus: {shown_url(prometheus)!r} is not an http(s) URL")
    moment = (at or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    query = budget_query(spec)
    params = urllib.parse.urlencode({"query": query, "time": f"{moment.timestamp():.0f}"})
    answer = _get(f"{shown_url(base)}/api/v1/query?{params}", shown_url(base), _auth(base))
    samples = _vector(answer, shown_url(base))
    objectives = Objectives.of(spec.sla)
    source = f"{shown_url(base)}/api/v1/query {query}"
    found: dict[str, float] = {}
    for sample in samples:
        name = str(sample.get("metric", {}).get("model", ""))
        if name in found:
            raise GateError(
                f"{shown_url(base)}: several {BUDGET_REMAINING_RECORD} series for model "
                f"{name}; one rule group per model should record it"
            )
        found[name] = _value(sample, name, shown_url(base))
    models = []
    for model in spec.models:
        if model.name not in found:
            raise GateError(
                f"{shown_url(base)}: no {BUDGET_REMAINING_RECORD} series for model {model.name} "
                f"over {objectives.window} at {_stamp(moment)}; are the stack's SLO rules "
                "loaded and its gateway scraped?"
            )
        models.append(
            (
                model.name,
                ModelBudget(
                    objectives.availability, found[model.name], model.served_model_name, source
                ),
            )
        )
    return ErrorBudget(
        stack=spec.stack, as_of=_stamp(moment), window=objectives.window, models=tuple(models)
    )


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _auth(url: str) -> dict[str, str]:
    """Basic auth from the URL's user:password (urllib would take it for the host)."""
    parts = urllib.parse.urlsplit(url)
    if parts.username is None:
        return {}
    user = urllib.parse.unquote(parts.username)
    password = urllib.parse.unquote(parts.password or "")
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    return {"Authorization": f"Basic {token}"}


def _get(url: str, shown: str, headers: dict[str, str]) -> Any:
    request = urllib.request.Request(url, headers={"Accept": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=QUERY_TIMEOUT_SECONDS) as response:
            body = response.read()
    except urllib.error.HTTPError as exc:
        detail = _error_of(exc.read())
        raise GateError(f"{shown}: the query was refused (HTTP {exc.code}{detail})") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise GateError(f"{shown}: cannot reach Prometheus ({reason})") from None
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise GateError(f"{shown}: the answer to /api/v1/query is not JSON") from None


def _error_of(body: bytes) -> str:
    try:
        error = json.loads(body).get("error")
    except (json.JSONDecodeError, UnicodeDecodeError, AttributeError):
        return ""
    return f": {' '.join(str(error).split())[:200]}" if error else ""


def _vector(answer: Any, shown: str) -> list[dict[str, Any]]:
    if not isinstance(answer, dict) or answer.get("status") != "success":
        error = answer.get("error") if isinstance(answer, dict) else None
        raise GateError(f"{shown}: the query failed ({str(error or 'no status success')[:200]})")
    data = answer.get("data")
    if not isinstance(data, dict) or data.get("resultType") != "vector":
        raise GateError(f"{shown}: the answer is not an instant vector (data.resultType)")
    result = data.get("result")
    if not isinstance(result, list) or not all(isinstance(s, dict) for s in result):
        raise GateError(f"{shown}: data.result is not a list of samples")
    return result


def _value(sample: dict[str, Any], model: str, shown: str) -> float:
    value = sample.get("value")
    try:
        text = str(value[1])  # type: ignore[index]
        number = float(text)
    except (TypeError, ValueError, IndexError):
        raise GateError(f"{shown}: the sample of model {model} has no numeric value") from None
    if not math.isfinite(number):
        # 0/0: the window has no requests at all. Nothing was promised and nothing measured.
        raise GateError(
            f"{shown}: the budget of model {model} is {text} (no requests over the "
            "window?); a figure is needed to judge changes against it"
        )
    return number
