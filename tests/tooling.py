"""System tools the tests need: skip with a reason locally, fail under CI=true."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require_tool(name: str, *candidates: str) -> str:
    """Path of the first tool found; otherwise skip (or fail under CI=true)."""
    for candidate in (name, *candidates):
        path = shutil.which(candidate)
        if path:
            return path
    message = f"{name} is not installed (Debian package; .ci/run installs it)"
    if in_ci():
        pytest.fail(f"CI=true and {message}")
    pytest.skip(message)


def require_python_tool(name: str) -> Path:
    """The CLI of a tool tasks.py installs in its own virtualenv (.tools/<name>/, pinned in
    tasks.TOOLS); otherwise skip (or fail under CI=true)."""
    from tasks import TOOLS, TOOLS_DIR

    executable = TOOLS_DIR / name / ("Scripts" if os.name == "nt" else "bin") / name
    if executable.exists():
        return executable
    message = (
        f"{name} is not installed in {TOOLS_DIR / name} ({TOOLS[name]}; python3 tasks.py tools)"
    )
    if in_ci():
        pytest.fail(f"CI=true and {message}")
    pytest.skip(message)
