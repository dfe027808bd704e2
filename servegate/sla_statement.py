"""The SLA statement as data: what a stack promises and the machinery that measures it.

Built once by servegate.slo_doc from the stack's planned objects and rendered by templates
only: sla_statement.md.j2 (``servegate slo doc``) and partials/sla_statement.html.j2 (the
"SLA statement" section of report.html); report.json carries it as ``sla_statement``.
Nothing here renders.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True)
class StatementAlert:
    """One alert of the planned PrometheusRule, as it fires."""

    name: str
    severity: str
    model: str | None
    sli: str | None
    burn_window: str | None
    """``long-short`` windows of a burn-rate alert (None for the other alerts)."""
    threshold: str | None
    """The error ratio above which it fires, as its expression states it."""
    runbook_url: str


@dataclass(frozen=True)
class BurnRate:
    """One window pair of the multi-window, multi-burn-rate alerting."""

    long: str
    short: str
    burn_rate: float
    budget_spent_share: float
    """Share of the whole window's error budget spent in ``long`` at this burn rate."""
    severity: str


@dataclass(frozen=True)
class RecordedSli:
    """A recorded SLI of a model and the PromQL the planned rule records it with."""

    record: str
    sli: str
    query: str


@dataclass(frozen=True)
class BudgetRule:
    """The planned remaining-error-budget rule of a model over one window."""

    window: str
    query: str


@dataclass(frozen=True)
class ReplicaSpread:
    """A planned Deployment of the model: its replicas and the topology keys it spreads on."""

    name: str
    replicas: int | None
    topology_keys: tuple[str, ...]


@dataclass(frozen=True)
class DisruptionBudget:
    name: str
    min_available: int | str | None


@dataclass(frozen=True)
class Autoscaler:
    name: str
    target: str
    min_replicas: int | None
    max_replicas: int | None


@dataclass(frozen=True)
class AnalysisCheck:
    """One metric of a planned AnalysisTemplate: what it measures and when it passes."""

    template: str
    name: str
    success_condition: str
    failure_condition: str
    count: int | None
    interval: str | None
    failure_limit: int
    inconclusive_limit: int
    query: str


class CanaryMode(StrEnum):
    NONE = "none"
    """No canary: every request goes to the stable track."""
    STATIC = "static"
    """A fixed traffic weight, with no analysis and no automated rollback."""
    ANALYSED = "analysed"
    """A Rollout in steps, each followed by an analysis; rolled back when one fails."""


@dataclass(frozen=True)
class CanaryPlan:
    mode: CanaryMode
    version: str | None = None
    weight: int | None = None
    """The static split's canary weight (%)."""
    rollout: str | None = None
    deployment: str | None = None
    """The Deployment the Rollout takes over (``workloadRef``)."""
    steps: tuple[int, ...] = ()
    templates: tuple[str, ...] = ()
    progress_deadline_seconds: int | None = None
    checks: tuple[AnalysisCheck, ...] = ()


@dataclass(frozen=True)
class ModelStatement:
    name: str
    slis: tuple[RecordedSli, ...]
    burn_alerts: tuple[StatementAlert, ...]
    deployments: tuple[ReplicaSpread, ...]
    disruption_budgets: tuple[DisruptionBudget, ...]
    autoscalers: tuple[Autoscaler, ...]
    canary: CanaryPlan
    budget_rules: tuple[BudgetRule, ...]


@dataclass(frozen=True)
class SlaStatement:
    """A stack's promise (its SLA, or the defaults it is alerted on without one) and the
    planned objects that measure and defend it."""

    stack: str
    zone: str
    region: str
    az_count: int
    sla_declared: bool
    availability: float
    """Percent of requests answered without a server error or rate-limit rejection."""
    error_budget: float
    """1 - availability / 100: the share of requests that may fail."""
    latency_percentile: float
    ttft_seconds: float
    e2e_seconds: float
    replica_floor: int
    window_days: int
    budget_record: str
    """The recording rule ``servegate slo budget`` reads."""
    rate_windows: tuple[str, ...]
    burn_rates: tuple[BurnRate, ...]
    models: tuple[ModelStatement, ...]
    alerts: tuple[StatementAlert, ...]
    """Every alert of the planned PrometheusRule, once per name, model and severity."""
