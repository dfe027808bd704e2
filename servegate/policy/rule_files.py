"""One rule per file: what the bundle loader checks of every policy module with ``deny`` rules.

A rule file (``policies/<area>/<id>_<slug>.rego``) holds exactly one ``# METADATA`` block with
``custom.id``, above its first ``deny`` body, and reports only that id. A rule belongs to its
block by the file it is in, never by its position among other rules. The check is static:
every rule id string literal that the file passes first to ``inv.violation``,
``inv.violation_with_limit`` or ``inv.undecided``, or writes as ``"rule_id": "..."`` in a
finding it builds itself, must be the file's id (deny bodies and the helpers they call alike).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from servegate.policy import PolicyError
from servegate.policy.metadata import LocatedRule

_DENY = re.compile(r"^deny\b", re.MULTILINE)
_COMMENT = re.compile(r"^[ \t]*#.*$", re.MULTILINE)
# The id a finding is built with: the first argument of the inventory helpers, or the
# rule_id field of a finding object written out.
_REPORTED = re.compile(
    r"""(?<![\w.])(?:inv\.)?(?:violation_with_limit|violation|undecided)\(\s*"([^"]*)"""
    r"""|"rule_id"\s*:\s*"([^"]*)\""""
)


def check_rule_file(file: str, source: str, rules: Sequence[LocatedRule]) -> None:
    """PolicyError (one line naming the file) unless a module with deny rules is one rule."""
    if not _DENY.search(source):
        return
    if len(rules) != 1:
        found = f"{len(rules)} ({', '.join(r.rule.id for r in rules)})" if rules else "none"
        raise PolicyError(
            f"{file}: a rule file holds exactly one METADATA block with custom.id, found "
            f"{found}; put each rule in its own policies/<area>/<id>_<slug>.rego"
        )
    rule_id = rules[0].rule.id
    # Comments blanked (not removed) so that offsets still give line numbers.
    code = _COMMENT.sub(lambda m: " " * len(m.group(0)), source)
    for match in _REPORTED.finditer(code):
        group = 1 if match.group(1) is not None else 2
        reported = match.group(group)
        if reported != rule_id:
            # The line of the id itself: a call often spreads its arguments over lines.
            line = code.count("\n", 0, match.start(group)) + 1
            raise PolicyError(
                f"{file}:{line}: a deny body reports rule id {reported!r}, but the file's rule "
                f"is {rule_id} (its METADATA custom.id); a rule file reports only its own id"
            )
