#!/usr/bin/env python3
"""Project tasks on a fresh machine with only Python 3.11+.

    python3 tasks.py preview   # venv + install + `servegate preview -s dev` (reports/dev/)
    python3 tasks.py test      # venv + install + ruff + mypy + the whole pytest suite

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


def preview(args: list[str]) -> int:
    ensure_venv("")
    return run(BIN / "servegate", "preview", *(args or ["-s", "dev"]))


def test(args: list[str]) -> int:
    ensure_venv("[test]")
    for check in ((BIN / "ruff", "check", "."), (BIN / "mypy",)):
        if run(*check) != 0:
            return 1
    return run(BIN / "python", "-m", "pytest", *args)


def main() -> int:
    tasks = {"preview": preview, "test": test}
    if len(sys.argv) < 2 or sys.argv[1] not in tasks:
        print(__doc__)
        return 2
    return tasks[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
