"""Terminal output: one console on stderr for progress and errors, colour only on a TTY."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.markup import escape

_state = {"quiet": False}


def configure(*, quiet: bool) -> None:
    _state["quiet"] = quiet


def err_console() -> Console:
    # rich already honours NO_COLOR and disables colour when stderr is not a terminal.
    return Console(stderr=True, no_color="NO_COLOR" in os.environ, highlight=False)


def out_console() -> Console:
    return Console(no_color="NO_COLOR" in os.environ, highlight=False, soft_wrap=True)


def quiet() -> bool:
    return _state["quiet"]


@contextmanager
def step(message: str) -> Iterator[None]:
    """A spinner for a long step, shown only on an interactive terminal and when not quiet."""
    if quiet() or not sys.stderr.isatty():
        yield
        return
    with err_console().status(message):
        yield


def info(message: str) -> None:
    if not quiet():
        err_console().print(message, markup=False)


def error(message: str) -> None:
    """One line per problem, prefixed so CI logs show it plainly."""
    console = err_console()
    for line in message.splitlines() or [message]:
        console.print(f"[bold red]error:[/] {escape(line)}", markup=True, soft_wrap=True)
