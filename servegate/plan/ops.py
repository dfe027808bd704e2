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


# Future-state steps one replacement lists for its URN: the logical ``replace`` and, with
# ``--show-replacement-steps``, the step that makes the new copy (same new state).
REPLACEMENT_OPS = frozenset(
    {"replace", "create-replacement", "read-replacement", "import-replacement"}
)
# Deletions of an old copy. They sit beside a future-state step of the same URN (a
# replacement, or a copy an earlier replacement left pending deletion) and may repeat.
OLD_COPY_OPS = frozenset({"delete-replaced", "discard-replaced", "remove-pending-replace"})


def is_valid_combination(ops: list[str]) -> bool:
    """Whether the steps of one URN, by op, are something the Pulumi engine produces.

    One step, a replacement (``replace`` plus at most one of its companions) or one
    deletion, each with any number of old-copy deletions. Anything else (two creates, an
    update and a create, a create and a delete) would leave one of two states unjudged.
    """
    current = [op for op in ops if op not in OLD_COPY_OPS]
    if len(current) <= 1:
        return True
    if any(op not in REPLACEMENT_OPS for op in current):
        return False
    return current.count("replace") == 1 and len(current) == 2
