"""Suite-wide fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from servegate import console


@pytest.fixture(autouse=True)
def _loud_console() -> Iterator[None]:
    """Each test starts with the console as a fresh process has it (a `--quiet` CLI
    invocation in an earlier test must not silence the next one)."""
    console.configure(quiet=False)
    yield
    console.configure(quiet=False)
