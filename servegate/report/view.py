"""What the human-readable reports (Markdown, HTML) show, derived once from a Report."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from servegate.findings import (
    BaselineStatus,
    Enforcement,
    Finding,
    Report,
    Rule,
    RuleStatus,
    Summary,
    Waiver,
)
from servegate.report.values import (
    STATUS_OPEN,
    STATUS_UNDECIDED,
    STATUS_WAIVED,
    sort_key,
    status_of,
)


@dataclass(frozen=True)
class WaiverUse:
    """A waiver that waived at least one finding in this run."""

    waiver: Waiver
    findings: int


@dataclass(frozen=True)
class ReportView:
    """A Report split into the sections every human report lists, each sorted."""

    report: Report
    summary: Summary
    blocking: tuple[Finding, ...]
    undecided: tuple[Finding, ...]
    advisory: tuple[Finding, ...]
    waived: tuple[Finding, ...]
    resolved: tuple[Finding, ...]
    waivers: tuple[WaiverUse, ...]
    rules: dict[str, Rule]
    baseline: dict[str, int] | None
    # Rules per status (passed, not_applicable, failed, waived, undecided), each by id.
    rule_status: tuple[RuleStatus, ...] = ()

    def rules_with(self, outcome: str) -> tuple[RuleStatus, ...]:
        return tuple(s for s in self.rule_status if s.status.value == outcome)

    @property
    def undecided_blocking(self) -> int:
        return sum(1 for f in self.undecided if f.blocking)


def all_rules(report: Report) -> dict[str, Rule]:
    """The report's rules by id, plus a stand-in for any rule a finding names but the
    catalog lacks, so every finding can be attributed to a rule."""
    rules = {rule.id: rule for rule in report.rules}
    for finding in (*report.findings, *report.resolved):
        if finding.rule_id not in rules:
            rules[finding.rule_id] = Rule(
                id=finding.rule_id,
                title=finding.rule_id,
                description="",
                area=finding.area,
                severity=finding.severity,
                enforcement=finding.enforcement,
                package="",
                remediation="",
            )
    return rules


def waivers_used(findings: tuple[Finding, ...]) -> tuple[WaiverUse, ...]:
    """Each waiver that waived something, with how many findings it waived."""
    counts = Counter(f.waiver for f in findings if f.waiver is not None)
    return tuple(
        WaiverUse(waiver=w, findings=n)
        for w, n in sorted(counts.items(), key=lambda item: (item[0].rule_id, item[0].resource))
    )


def baseline_counts(report: Report) -> dict[str, int] | None:
    """new / unchanged / resolved counts, or None when the run had no baseline."""
    if report.baseline_path is None and not report.resolved:
        return None
    counts = Counter(f.baseline for f in report.findings)
    return {
        BaselineStatus.NEW.value: counts[BaselineStatus.NEW],
        BaselineStatus.UNCHANGED.value: counts[BaselineStatus.UNCHANGED],
        BaselineStatus.RESOLVED.value: len(report.resolved),
    }


def build_view(report: Report) -> ReportView:
    """Split the report's findings into blocking, undecided, advisory and waived sections."""
    ordered = sorted(report.findings, key=sort_key)
    by_status: dict[str, list[Finding]] = {STATUS_OPEN: [], STATUS_UNDECIDED: [], STATUS_WAIVED: []}
    for finding in ordered:
        by_status[status_of(finding)].append(finding)
    open_findings = by_status[STATUS_OPEN]
    return ReportView(
        report=report,
        summary=report.summary,
        blocking=tuple(f for f in open_findings if f.enforcement is Enforcement.MANDATORY),
        undecided=tuple(by_status[STATUS_UNDECIDED]),
        advisory=tuple(f for f in open_findings if f.enforcement is Enforcement.ADVISORY),
        waived=tuple(by_status[STATUS_WAIVED]),
        resolved=tuple(sorted(report.resolved, key=sort_key)),
        waivers=waivers_used(report.findings),
        rules=all_rules(report),
        baseline=baseline_counts(report),
        rule_status=tuple(sorted(report.rule_status, key=lambda s: s.rule_id)),
    )
