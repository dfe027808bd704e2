"""The policy bundle: Rego modules, their rule metadata, parameters and tests."""

from servegate.errors import GateError


class PolicyError(GateError):
    """A policy file cannot be used: unreadable, or its rule metadata is wrong.

    The message names the file, the line and the key, and says what is allowed.
    """


__all__ = ["PolicyError"]
