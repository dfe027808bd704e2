"""An OPA server (``--engine opa``), through PyPI ``opa-python-client``.

Each evaluation makes the server hold exactly this bundle: policies are pushed with the
policy API (``PUT /v1/policies/servegate/<file>``; earlier ``servegate/`` policies that
the bundle no longer has are deleted), every top-level data key with the data API
(``PUT /v1/data/params``), and each query is asked with ``POST /v1/data/<path>``. A
bundle already pushed by this engine instance is not pushed again.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
from opa_client import OpaClient
from opa_client.errors import RegoParseError

from servegate.engines.base import Engine, EngineError, Evaluation, bundle_key

POLICY_PREFIX = "servegate/"

_ERRNO = re.compile(r"\[Errno -?\d+\] [^'\")]+")

T = TypeVar("T")


class OpaEngine(Engine):
    """Evaluates on an OPA server at ``url`` (``http(s)://host:port``)."""

    name = "opa"

    def __init__(self, url: str, *, timeout_s: float) -> None:
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.hostname or parts.path.strip("/"):
            raise EngineError(f"OPA url {url!r} is not of the form http(s)://host:port (no path)")
        self.url = f"{parts.scheme}://{parts.netloc}"
        self._client = OpaClient(
            host=parts.hostname,
            port=parts.port or (443 if parts.scheme == "https" else 8181),
            ssl=parts.scheme == "https",
            # A retried evaluation would run twice; the gate fails closed instead.
            retries=0,
            timeout=timeout_s,
        )
        self._timeout_s = timeout_s
        self._pushed_key: str | None = None
        self._lock = threading.Lock()
        self._version: str | None = None

    @property
    def version(self) -> str:
        """The server's version (``opa.runtime().version``), or ``unknown``."""
        if self._version is None:
            try:
                answer = self._client.ad_hoc_query("v := opa.runtime().version")
                self._version = str(answer["result"][0]["v"])
            except (requests.RequestException, ValueError, KeyError, IndexError, TypeError):
                self._version = "unknown"
        return self._version

    def evaluate(
        self,
        modules: dict[str, str],
        data: dict[str, Any],
        input_doc: dict[str, Any],
        queries: list[str],
        *,
        coverage: bool = False,
    ) -> Evaluation:
        """See ``Engine.evaluate``; the OPA REST API measures no coverage."""
        with self._lock:
            self._push(modules, data)
            values: dict[str, Any] = {}
            errors: dict[str, str] = {}
            for query in queries:
                try:
                    answer = self._client.query_rule(
                        input_doc,
                        _data_path(query),
                        query_params={"strict-builtin-errors": "true"},
                    )
                except requests.HTTPError as exc:
                    errors[query] = _http_error(exc)
                    continue
                except (requests.RequestException, ValueError) as exc:
                    raise self._unreachable(f"query {query}", exc) from None
                if not isinstance(answer, dict):
                    raise EngineError(f"OPA at {self.url} answered {query} with a non-object")
                if "result" in answer:
                    values[query] = answer["result"]
        return Evaluation(values=values, errors=errors, coverage=None)

    def _push(self, modules: dict[str, str], data: dict[str, Any]) -> None:
        key = bundle_key(modules, data)
        if key == self._pushed_key:
            return
        self._pushed_key = None
        wanted = {POLICY_PREFIX + path for path in modules}
        existing = self._call("list policies", self._client.get_policies_list)
        for policy_id in existing:
            if policy_id.startswith(POLICY_PREFIX) and policy_id not in wanted:
                self._call(f"delete policy {policy_id}", self._client.delete_policy, policy_id)
        for name, value in data.items():
            if not isinstance(value, dict):
                raise EngineError(f"data key {name!r} must be an object to push to OPA")
            self._call(f"push data {name}", self._client.update_or_create_data, value, name)
        self._push_policies(modules)
        self._pushed_key = key

    def _push_policies(self, modules: dict[str, str]) -> None:
        # OPA compiles on every PUT, so a module that calls a package not pushed yet is
        # refused; pushing the refused ones again until nothing changes handles any order.
        pending = dict(modules)
        while pending:
            refused: dict[str, str] = {}
            last_error = ""
            for path, source in pending.items():
                try:
                    self._client.update_policy_from_string(
                        source, POLICY_PREFIX + path, rego_compat=False
                    )
                except RegoParseError as exc:
                    refused[path] = source
                    last_error = _parse_error(exc, path)
                except (requests.RequestException, ValueError) as exc:
                    raise self._unreachable(f"push policy {path}", exc) from None
            if len(refused) == len(pending):
                raise EngineError(f"OPA at {self.url} refused the policy {last_error}")
            pending = refused

    def _call(self, what: str, function: Callable[..., T], *args: Any) -> T:
        try:
            return function(*args)
        except RegoParseError as exc:
            reason = _parse_error(exc, "")
            raise EngineError(f"OPA at {self.url} refused to {what}: {reason}") from None
        except (requests.RequestException, ValueError) as exc:
            raise self._unreachable(what, exc) from None
        except Exception as exc:  # opa_client raises its own untyped errors
            raise EngineError(f"OPA at {self.url} failed to {what}: {exc}") from None

    def _unreachable(self, what: str, exc: Exception) -> EngineError:
        if isinstance(exc, requests.Timeout):
            return EngineError(
                f"OPA at {self.url} did not answer within {self._timeout_s:g}s ({what})"
            )
        if isinstance(exc, requests.ConnectionError):
            errno = _ERRNO.search(str(exc))
            reason = errno.group(0).strip() if errno else "connection failed"
            return EngineError(f"cannot reach OPA at {self.url} ({what}): {reason}")
        if isinstance(exc, requests.HTTPError):
            return EngineError(f"OPA at {self.url} failed to {what}: {_http_error(exc)}")
        return EngineError(f"OPA at {self.url} gave an unreadable answer ({what}): {exc}")


def _data_path(query: str) -> str:
    if not query.startswith("data."):
        raise EngineError(f"query {query!r} must be a reference under data. for OPA")
    return query.removeprefix("data.").replace(".", "/")


def _http_error(exc: requests.HTTPError) -> str:
    response = exc.response
    status = response.status_code if response is not None else "?"
    try:
        body = response.json() if response is not None else {}
    except ValueError:
        body = {}
    details = body.get("errors") or []
    if details and isinstance(details[0], dict):
        return f"HTTP {status}: {_located(details[0])}"
    message = body.get("message") if isinstance(body, dict) else None
    text = message or (response.text if response is not None else "")
    first = text.strip().splitlines()[0] if text.strip() else "no message"
    return f"HTTP {status}: {first}"


def _parse_error(exc: RegoParseError, path: str) -> str:
    if exc.errors and isinstance(exc.errors[0], dict):
        return _located(exc.errors[0], path)
    return f"{path}: {exc.message}" if path else str(exc.message)


def _located(error: dict[str, Any], fallback_path: str = "") -> str:
    location = error.get("location") or {}
    where = str(location.get("file") or fallback_path)
    row = location.get("row")
    if where and row:
        where = f"{where.removeprefix(POLICY_PREFIX)}:{row}"
    message = str(error.get("message", "error")).splitlines()[0]
    return f"{where}: {message}" if where else message
