"""Rego engines: embedded (regorus, regopy) and an OPA server."""

from servegate.engines.base import Engine, EngineError, Evaluation, FileCoverage
from servegate.engines.factory import DEFAULT_ENGINE, ENGINE_NAMES, get_engine

__all__ = [
    "DEFAULT_ENGINE",
    "ENGINE_NAMES",
    "Engine",
    "EngineError",
    "Evaluation",
    "FileCoverage",
    "get_engine",
]
