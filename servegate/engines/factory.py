"""Choosing an engine by name (``--engine regorus|regopy|opa-go|opa``)."""

from __future__ import annotations

import os

from servegate.engines.base import Engine, EngineError

ENGINE_NAMES = ("regorus", "regopy", "opa-go", "opa")
DEFAULT_ENGINE = "regorus"
DEFAULT_TIMEOUT_S = 60.0
OPA_URL_ENV = "OPA_URL"

# Embedded engines, each run in the engine worker, and the distribution that provides it.
_DISTRIBUTIONS = {
    "regorus": "gordon-to-regorus",
    "regopy": "regopy",
    "opa-go": "opa-golib-python-bindings",
}


def get_engine(
    name: str, *, opa_url: str | None = None, timeout_s: float = DEFAULT_TIMEOUT_S
) -> Engine:
    """The engine called ``name``; ``opa`` needs ``opa_url`` or the ``OPA_URL`` variable.

    ``timeout_s`` bounds every evaluation (a whole gate run is one evaluation).
    """
    if timeout_s <= 0:
        raise EngineError(f"engine timeout must be positive, got {timeout_s:g}s")
    # Imported on demand: the engine worker imports this package and must start fast.
    if name in _DISTRIBUTIONS:
        from servegate.engines.subprocess_engine import SubprocessEngine

        if name == "opa-go":
            from servegate.engines.opa_go_engine import INSTALL, opa_version

            return SubprocessEngine(
                name,
                _DISTRIBUTIONS[name],
                timeout_s=timeout_s,
                install=INSTALL,
                detail=lambda: f"OPA {version}" if (version := opa_version()) else None,
            )
        return SubprocessEngine(name, _DISTRIBUTIONS[name], timeout_s=timeout_s)
    if name == "opa":
        url = opa_url or os.environ.get(OPA_URL_ENV)
        if not url:
            raise EngineError(
                f"engine opa needs the OPA server's address: pass --opa-url URL "
                f"or set {OPA_URL_ENV} (e.g. http://localhost:8181)"
            )
        from servegate.engines.opa_engine import OpaEngine

        return OpaEngine(url, timeout_s=timeout_s)
    raise EngineError(f"unknown engine {name!r}; choose one of: {', '.join(ENGINE_NAMES)}")
