#!/usr/bin/env python3
"""Project tasks on a fresh machine with only Python 3.11+.

    python3 tasks.py preview   # venv + install + `servegate preview -s dev` (reports/dev/)
    python3 tasks.py test      # venv + install + tools + ruff + mypy + the whole pytest suite
    python3 tasks.py tools     # only the test tools' own virtualenvs (.tools/<tool>/)

Extra arguments go to the underlying command, e.g. `python3 tasks.py test -k waivers`
or `python3 tasks.py preview -s prod-ca`.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".servegate-installed"
# The official OPA engine, in-process (`--engine opa-go`): the test oracle for Rego semantics.
# Its wheel declares Requires-Python >= 3.14, but its ctypes wrapper runs on 3.11, so it is
# installed beside the test extras with --ignore-requires-python (pip refuses it otherwise).
OPA_GO = "opa-golib-python-bindings>=0.4.4,<0.5"
# Command-line tools the tests call, each in its own virtualenv under .tools/<name>/ (like
# pipx): installed beside the Pulumi SDK, pip would resolve them to old releases (Checkov's
# pins conflict with the SDK's, so pip falls back to a 2024 Checkov). Each is pinned to one
# release; tests find them at .tools/<name>/bin/<name> (tests/tooling.py).
TOOLS_DIR = ROOT / ".tools"
# Checkov, the peer cross-check of the rendered manifests (tests/test_checkov.py). Current
# release on PyPI when pinned (pip index versions checkov, 2026-12-01).
TOOLS = {"checkov": "checkov==3.3.30"}


def run(*command: str | Path) -> int:
    print("+", " ".join(str(c) for c in command), flush=True)
    return subprocess.call([str(c) for c in command], cwd=ROOT)


def ensure_venv(extras: str) -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - tasks.py may be started by an older python3
        sys.exit(f"servegate needs Python 3.11 or newer (this is {sys.version.split()[0]})")
    if not (BIN / "python").exists():
        venv.EnvBuilder(with_pip=True).create(VENV)
    testing = extras == "[test]"
    wanted = hashlib.sha256(
        (ROOT / "pyproject.toml").read_bytes()
        + extras.encode()
        + (OPA_GO.encode() if testing else b"")
    ).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    if run(BIN / "python", "-m", "pip", "install", "--quiet", "--upgrade", "pip") != 0:
        sys.exit("could not upgrade pip in .venv")
    if run(BIN / "python", "-m", "pip", "install", "--quiet", "-e", f".{extras}") != 0:
        sys.exit("could not install servegate into .venv")
    if testing and (
        run(BIN / "python", "-m", "pip", "install", "--quiet", "--ignore-requires-python", OPA_GO)
        != 0
    ):
        sys.exit("could not install the official OPA engine (opa-golib-python-bindings)")
    STAMP.write_text(wanted)


def ensure_tools() -> None:
    """Each tool's virtualenv, reinstalled when its pin changes."""
    for name, requirement in TOOLS.items():
        home = TOOLS_DIR / name
        tool_bin = home / ("Scripts" if os.name == "nt" else "bin")
        stamp = home / ".servegate-installed"
        if stamp.exists() and stamp.read_text() == requirement:
            continue
        venv.EnvBuilder(with_pip=True, clear=True).create(home)
        if run(tool_bin / "python", "-m", "pip", "install", "--quiet", requirement) != 0:
            sys.exit(f"could not install {requirement} into {home}")
        stamp.write_text(requirement)


def tools(args: list[str]) -> int:
    ensure_tools()
    return 0


def preview(args: list[str]) -> int:
    ensure_venv("")
    return run(BIN / "servegate", "preview", *(args or ["-s", "dev"]))


def test(args: list[str]) -> int:
    ensure_venv("[test]")
    ensure_tools()
    for check in ((BIN / "ruff", "check", "."), (BIN / "mypy",)):
        if run(*check) != 0:
            return 1
    return run(BIN / "python", "-m", "pytest", *args)


def main() -> int:
    tasks = {"preview": preview, "test": test, "tools": tools}
    if len(sys.argv) < 2 or sys.argv[1] not in tasks:
        print(__doc__)
        return 2
    return tasks[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
