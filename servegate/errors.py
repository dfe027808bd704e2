"""Errors a user can act on. The CLI prints them as one line and exits 2."""

from __future__ import annotations


class GateError(Exception):
    """The gate could not judge: bad plan, bad input, policy or engine failure.

    The message is one line naming the file, key or resource and what is allowed.
    """

    exit_code = 2
