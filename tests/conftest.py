"""Suite-wide fixtures."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from components import catalog
from servegate import console


@pytest.fixture(autouse=True)
def _loud_console() -> Iterator[None]:
    """Each test starts with the console as a fresh process has it (a `--quiet` CLI
    invocation in an earlier test must not silence the next one)."""
    console.configure(quiet=False)
    yield
    console.configure(quiet=False)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project folder: the real program, Pulumi project file and policies (linked), and a
    private copy of stacks/ (tests add or change stack files); reports land inside it."""
    shutil.copytree(catalog.PROJECT_ROOT / "stacks", tmp_path / "stacks")
    (tmp_path / "policies").symlink_to(catalog.PROJECT_ROOT / "policies")
    shutil.copy(catalog.PROJECT_ROOT / "__main__.py", tmp_path / "__main__.py")
    shutil.copy(catalog.PROJECT_ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    return tmp_path
