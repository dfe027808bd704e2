"""Pausing the cyclic garbage collector while a large plan is parsed and normalized.

Parsing and normalizing a 10,000-resource plan allocates millions of dicts and lists and
no reference cycles; the collector's full passes over that growing heap cost as much as
the work itself (measured: 1.1 s against 0.6 s at 10k). Reference counting still frees
everything; the collector runs again when the block ends.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
