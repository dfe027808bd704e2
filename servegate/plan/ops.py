"""Pulumi step operations and which of them leave a resource in the future state."""

from __future__ import annotations

STEP_OPS = frozenset(
    {
        "same",
        "create",
        "update",
        "delete",
        "replace",
        "create-replacement",
        "delete-replaced",
        "read",
        "read-replacement",
        "refresh",
        "discard",
        "discard-replaced",
        "remove-pending-replace",
        "import",
        "import-replacement",
    }
)

# Resources under these ops are listed (reviewers see them) but are not part of the
# future state; lib.inventory's judged (deleting_ops) skips the same set.
DELETING_OPS = frozenset(
    {"delete", "delete-replaced", "discard", "discard-replaced", "remove-pending-replace"}
)


def precedence(op: str) -> int:
    """Which step describes a URN listed by several steps (replacements list up to three).

    The logical ``replace`` step wins, then any other future-state step, then deletions.
    """
    if op in DELETING_OPS:
        return 0
    return 2 if op == "replace" else 1
