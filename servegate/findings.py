"""Findings as data: rules, evidence, waivers and the report they make up.

Nothing here renders; serializers and templates in ``servegate.report`` do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from servegate.flow import FlowView
from servegate.sla_statement import SlaStatement

REPORT_SCHEMA = "servegate/report/v1"


class Area(StrEnum):
    RESIDENCY = "residency"
    SLA = "sla"
    AUDIT = "audit"
    SECURITY = "security"
    COST = "cost"


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return list(Severity).index(self)


class Enforcement(StrEnum):
    MANDATORY = "mandatory"
    ADVISORY = "advisory"


class Result(StrEnum):
    """What a rule concluded about one resource."""

    FAIL = "fail"
    # The rule could not decide because a value is unknown until apply.
    UNDECIDED = "undecided"


class Verdict(StrEnum):
    PASS = "pass"
    FAIL = "fail"


class BaselineStatus(StrEnum):
    NEW = "new"
    UNCHANGED = "unchanged"
    RESOLVED = "resolved"


@dataclass(frozen=True)
class Rule:
    """A policy rule's metadata, read from its ``# METADATA`` block."""

    id: str
    title: str
    description: str
    area: Area
    severity: Severity
    enforcement: Enforcement
    package: str
    remediation: str
    controls: tuple[str, ...] = ()
    # Keys of policies/data the rule reads, e.g. "zones.zones".
    parameters: tuple[str, ...] = ()
    # Single-resource rules block in CrossGuard's per-resource hook.
    scope: str = "resource"
    test_cases: int = 0
    # When the rule applies at all, a condition on the inventory (METADATA
    # custom.applies_when, e.g. "declared.sla"), and the reason it gives when it does not.
    applies_when: str = ""
    not_applicable: str = ""
    # Resource types the rule judges (METADATA custom.resource_types): what "passed on N
    # resources" counts; empty: every resource of the plan.
    resource_types: tuple[str, ...] = ()
    # The stack-config key that controls the rule's findings (METADATA custom.config_key,
    # e.g. "audit.logRetentionDays"): where SARIF points.
    config_key: str = ""


@dataclass(frozen=True)
class Limit:
    """What a value was judged against, where that lives and what it is (a declared budget)."""

    path: str
    value: Any = None


def waiver_label(number: int, rule_id: str | None) -> str:
    """How every output names a waiver: its 1-based position in the file, and its rule."""
    return f"waiver #{number}" + (f" ({rule_id})" if rule_id else "")


@dataclass(frozen=True)
class Evidence:
    """Where on the resource the problem is: property path and the value found, and for a
    rule comparing the value with a limit, that limit apart (COST-001: estimate vs budget)."""

    path: str
    value: Any = None
    limit: Limit | None = None


@dataclass(frozen=True)
class Waiver:
    rule_id: str
    resource: str
    justification: str
    approved_by: str
    expires: date
    # 1-based position in the waivers file (0: not read from a file).
    number: int = 0

    @property
    def label(self) -> str:
        return waiver_label(self.number, self.rule_id)


class WaiverIssue(StrEnum):
    """Why a waiver is reported."""

    # Malformed (missing or unknown keys, bad types, unknown rule, approver not an e-mail).
    INVALID = "invalid"
    EXPIRED = "expired"
    # A glob (or no URN) for a critical mandatory rule, which needs one named resource.
    TOO_BROAD = "too-broad"
    # Valid, but no finding of this run matches it: stale, or its pattern is wrong.
    UNMATCHED = "unmatched"
    # Valid and in force, but it ends within the warning window.
    EXPIRING = "expiring"


@dataclass(frozen=True)
class WaiverProblem:
    """A waiver to look at: one that waives nothing (invalid, expired, too broad, matching
    nothing) or one about to expire."""

    number: int
    reason: str
    rule_id: str | None = None
    resource: str | None = None
    kind: WaiverIssue = WaiverIssue.INVALID

    @property
    def label(self) -> str:
        return waiver_label(self.number, self.rule_id)

    @property
    def waives_nothing(self) -> bool:
        return self.kind is not WaiverIssue.EXPIRING


@dataclass(frozen=True)
class Finding:
    rule_id: str
    area: Area
    severity: Severity
    enforcement: Enforcement
    resource_urn: str
    resource_type: str
    message: str
    evidence: Evidence
    result: Result = Result.FAIL
    waiver: Waiver | None = None
    baseline: BaselineStatus | None = None

    @property
    def waived(self) -> bool:
        return self.waiver is not None

    @property
    def blocking(self) -> bool:
        """An unwaived mandatory finding fails the gate (undecided ones too: fail closed)."""
        return self.enforcement is Enforcement.MANDATORY and not self.waived

    @property
    def key(self) -> tuple[str, str, str]:
        """Identity across runs, for baseline diffs."""
        return (self.rule_id, self.resource_urn, self.evidence.path)


@dataclass(frozen=True)
class EngineInfo:
    name: str
    version: str


@dataclass(frozen=True)
class Summary:
    by_area: dict[str, int]
    by_severity: dict[str, int]
    mandatory_failed: int
    advisory: int
    waived: int
    undecided: int
    total: int


@dataclass(frozen=True)
class SourceLocation:
    """A line of the repository that controls findings: of one rule (its config key) or of
    one resource type (the component line that declares it)."""

    uri: str
    line: int
    rule_id: str = ""
    resource_type: str = ""


class RuleOutcome(StrEnum):
    """A rule's status over the whole plan."""

    PASSED = "passed"
    NOT_APPLICABLE = "not_applicable"
    FAILED = "failed"
    WAIVED = "waived"
    UNDECIDED = "undecided"


@dataclass(frozen=True)
class RuleStatus:
    rule_id: str
    status: RuleOutcome
    # passed: resources of the rule's types judged; failed/waived/undecided: findings.
    count: int = 0
    # not_applicable: why (the rule's METADATA custom.not_applicable).
    reason: str = ""


@dataclass(frozen=True)
class DeclaredSla:
    availability: float
    # Latency objectives as the stack config spells them (ttftP95Seconds, e2eP95Seconds).
    latency: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class GpuPoolClaim:
    """A GPU node group the plan declares, with its monthly cost from servegate.cost."""

    name: str
    nodes_min: float
    nodes_max: float
    # What drives the amount: "l4: 3-6 × g6.xlarge at 0.89 USD/h".
    basis: str
    monthly_min_usd: float
    monthly_max_usd: float


@dataclass(frozen=True)
class ModelClaim:
    """A model track the plan serves and its replica bounds (servegate.summary.scaling_of)."""

    name: str
    replicas_min: int
    replicas_max: int
    scaled_by: str | None = None


@dataclass(frozen=True)
class Declared:
    """What the stack claims about itself, as judged: the facts the rules read."""

    zone: str | None = None
    region: str | None = None
    sovereign: bool | None = None
    air_gapped: bool | None = None
    sla: DeclaredSla | None = None
    data_classification: str | None = None
    budget_monthly_usd: float | None = None
    gpu_pools: tuple[GpuPoolClaim, ...] = ()
    models: tuple[ModelClaim, ...] = ()
    # servegate.cost's estimate of the whole plan, minimum to maximum scale, USD a month.
    cost_min_usd: float | None = None
    cost_max_usd: float | None = None
    # Resources the estimate could not price (left out of the amounts above).
    cost_unpriced: int = 0
    as_of: str = ""


@dataclass(frozen=True)
class Report:
    stack: str
    source: str
    verdict: Verdict
    plan_sha256: str
    policies_sha256: str
    engine: EngineInfo
    generated_at: str
    findings: tuple[Finding, ...]
    # The date the policies judged the plan at (input.evaluation.as_of), YYYY-MM-DD: rules on
    # support windows and expiries depend on it, so a decision is reproduced with --as-of.
    as_of: str = ""
    rules: tuple[Rule, ...] = ()
    waiver_problems: tuple[WaiverProblem, ...] = ()
    # Findings of the baseline that this run no longer has.
    resolved: tuple[Finding, ...] = ()
    baseline_path: str | None = None
    resources_evaluated: int = 0
    # The waivers file read for this run (None: there was none) and the SHA-256 of its bytes.
    waivers_file: str | None = None
    waivers_sha256: str | None = None
    # What the stack declares (None in reports written before servegate recorded it).
    declared: Declared | None = None
    # Every rule's status, in catalog order (empty in reports written before servegate
    # recorded it).
    rule_status: tuple[RuleStatus, ...] = ()
    # Where findings point in the repository (servegate.source_lines), by rule and by type.
    rule_locations: tuple[SourceLocation, ...] = ()
    type_locations: tuple[SourceLocation, ...] = ()
    # The stack's SLA statement (servegate.slo_doc): None when the stack declares no SLA or
    # the plan carries no PrometheusRule to state it from.
    sla_statement: SlaStatement | None = None
    # Where the plan sends requests, weights, logs, payloads and backups, as the policies
    # computed it (servegate.flow; None when the bundle has no data.evidence.flow).
    flow: FlowView | None = None
    # Why the policies could not compute the view (one line; "" when they did or had none).
    flow_error: str = ""
    schema: str = field(default=REPORT_SCHEMA)

    @property
    def summary(self) -> Summary:
        by_area = {area.value: 0 for area in Area}
        by_severity = {severity.value: 0 for severity in Severity}
        for finding in self.findings:
            by_area[finding.area.value] += 1
            by_severity[finding.severity.value] += 1
        return Summary(
            by_area=by_area,
            by_severity=by_severity,
            mandatory_failed=sum(1 for f in self.findings if f.blocking),
            advisory=sum(
                1 for f in self.findings if f.enforcement is Enforcement.ADVISORY and not f.waived
            ),
            waived=sum(1 for f in self.findings if f.waived),
            undecided=sum(1 for f in self.findings if f.result is Result.UNDECIDED),
            total=len(self.findings),
        )


def verdict_of(findings: tuple[Finding, ...] | list[Finding]) -> Verdict:
    return Verdict.FAIL if any(f.blocking for f in findings) else Verdict.PASS
