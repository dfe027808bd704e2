"""Every rule's status over one plan: passed, not applicable, failed, waived or undecided.

A pass is only as strong as the rules that applied: the reports list the rules that did
not (no SLA declared, not sovereign) apart, instead of counting them as passed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fnmatch import fnmatchcase
from typing import Any

from servegate.findings import Finding, Result, Rule, RuleOutcome, RuleStatus
from servegate.policy.metadata import applies


def rule_statuses(
    rules: Iterable[Rule], findings: Iterable[Finding], inventory: Mapping[str, Any]
) -> tuple[RuleStatus, ...]:
    """One status per rule, in the order of ``rules``.

    A rule with an open failing finding failed; else with an open undecided one it is
    undecided; else with only waived findings, waived; else, when its applies_when does
    not hold, not applicable; else it passed on the resources of its types.
    """
    by_rule: dict[str, list[Finding]] = {}
    for finding in findings:
        by_rule.setdefault(finding.rule_id, []).append(finding)
    by_type = inventory.get("by_type") or {}
    resources = len(inventory.get("resources") or [])
    statuses = []
    for rule in rules:
        own = by_rule.get(rule.id, [])
        open_ = [f for f in own if not f.waived]
        failing = [f for f in open_ if f.result is Result.FAIL]
        if failing:
            statuses.append(RuleStatus(rule.id, RuleOutcome.FAILED, len(failing)))
        elif open_:
            statuses.append(RuleStatus(rule.id, RuleOutcome.UNDECIDED, len(open_)))
        elif own:
            statuses.append(RuleStatus(rule.id, RuleOutcome.WAIVED, len(own)))
        elif not applies(rule, inventory):
            statuses.append(
                RuleStatus(rule.id, RuleOutcome.NOT_APPLICABLE, reason=rule.not_applicable)
            )
        else:
            judged = (
                sum(len(by_type[t]) for t in by_type if judged_type(rule.resource_types, t))
                if rule.resource_types
                else resources
            )
            statuses.append(RuleStatus(rule.id, RuleOutcome.PASSED, judged))
    return tuple(statuses)


def judged_type(patterns: tuple[str, ...], type_token: str) -> bool:
    """Whether a rule's custom.resource_types cover ``type_token``: an entry is a type token
    or a pattern (``aws:*``, every AWS type); ``!pattern`` takes types back out."""
    wanted = [p for p in patterns if not p.startswith("!")]
    unwanted = [p[1:] for p in patterns if p.startswith("!")]
    return any(fnmatchcase(type_token, p) for p in wanted) and not any(
        fnmatchcase(type_token, p) for p in unwanted
    )
