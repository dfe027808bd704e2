"""The SLA statement: what a stack promises and the machinery that measures and defends it.

Built from the stack's planned Kubernetes objects (the PrometheusRule the program declares,
its Deployments, PodDisruptionBudgets, ScaledObjects, Rollouts and AnalysisTemplates) and
its validated config, so it states what would be deployed, never a second description that
could drift from it. :func:`build_statement` makes it data (servegate.sla_statement); the
Markdown of ``servegate slo doc`` and the "SLA statement" section of report.html are both
rendered from that one object.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from components.config import StackSpec
from components.slo_rules import (
    BUDGET_REMAINING_RECORD,
    BURN_WINDOWS,
    LATENCY_OBJECTIVE,
    RATE_WINDOWS,
    Objectives,
)
from servegate.k8s_manifests import Manifest, manifests
from servegate.report.templating import markdown_environment
from servegate.sla_statement import (
    AnalysisCheck,
    Autoscaler,
    BudgetRule,
    BurnRate,
    CanaryMode,
    CanaryPlan,
    DisruptionBudget,
    ModelStatement,
    RecordedSli,
    ReplicaSpread,
    SlaStatement,
    StatementAlert,
)

_THRESHOLD = re.compile(r">\s*([0-9.eE+-]+)\s*$", re.MULTILINE)
_MODEL_LABEL = "servegate.io/model"
_SLI_WINDOW = "rate5m"
"""The SLIs the statement shows per model: the 5-minute recordings."""
_STATED_KINDS = frozenset(
    {"PrometheusRule", "Deployment", "PodDisruptionBudget", "ScaledObject", "Rollout",
     "AnalysisTemplate"}
)  # fmt: skip
_Records = dict[tuple[str, tuple[tuple[str, str], ...]], dict[str, Any]]


def sla_statement(spec: StackSpec, objects: Iterable[Manifest]) -> str:
    """The Markdown statement of ``spec``'s SLA, from its planned objects."""
    return render_statement_markdown(build_statement(spec, objects))


def render_statement_markdown(statement: SlaStatement) -> str:
    text = markdown_environment().get_template("sla_statement.md.j2").render(s=statement)
    return text.rstrip("\n") + "\n"


def statement_of_plan(spec: StackSpec, inventory: Mapping[str, Any]) -> SlaStatement | None:
    """The statement for report.html, when the stack declares an SLA and the plan carries the
    PrometheusRule that measures it (a plan without one has nothing to state)."""
    if spec.sla is None:
        return None
    # Only the kinds the statement reads: a plan of thousands of resources stays cheap.
    stated = [
        r
        for r in inventory.get("resources", [])
        if str(r.get("type", "")).rsplit(":", 1)[-1] in _STATED_KINDS
    ]
    objects = manifests({"resources": stated})
    if not any(m.kind == "PrometheusRule" for m in objects):
        return None
    return build_statement(spec, objects)


def build_statement(spec: StackSpec, objects: Iterable[Manifest]) -> SlaStatement:
    """The statement of ``spec``'s SLA as data, from its planned objects."""
    objects = list(objects)
    rules = [
        rule
        for m in objects
        if m.kind == "PrometheusRule"
        for group in _list(_dig(m.body, "spec", "groups"))
        for rule in _list(group.get("rules") if isinstance(group, dict) else None)
        if isinstance(rule, dict)
    ]
    alerts = tuple(_alert(rule) for rule in rules if "alert" in rule)
    records: _Records = {
        (str(r["record"]), tuple(sorted(_labels(r).items()))): r for r in rules if "record" in r
    }
    objectives = Objectives.of(spec.sla)
    latency = objectives.latency
    return SlaStatement(
        stack=spec.stack,
        zone=spec.residency.zone,
        region=spec.region,
        az_count=spec.network.az_count,
        sla_declared=spec.sla is not None,
        availability=objectives.availability,
        error_budget=objectives.error_budget,
        latency_percentile=LATENCY_OBJECTIVE * 100,
        ttft_seconds=latency.ttft_p95_seconds,
        e2e_seconds=latency.e2e_p95_seconds,
        replica_floor=spec.replica_floor,
        window_days=objectives.window_days,
        budget_record=BUDGET_REMAINING_RECORD,
        rate_windows=RATE_WINDOWS,
        burn_rates=tuple(
            BurnRate(
                long=burn.long,
                short=burn.short,
                burn_rate=burn.burn_rate,
                budget_spent_share=_spent(burn.long, burn.burn_rate, objectives.window_days),
                severity=objectives.severity(burn.severity),
            )
            for burn in BURN_WINDOWS
        ),
        models=tuple(_model(spec, model.name, objects, records, alerts) for model in spec.models),
        alerts=_distinct(alerts),
    )


def _dig(body: Any, *keys: str) -> Any:
    for key in keys:
        body = body.get(key) if isinstance(body, dict) else None
    return body


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _labels(rule: dict[str, Any]) -> dict[str, str]:
    labels = rule.get("labels")
    return {str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {}


def _alert(rule: dict[str, Any]) -> StatementAlert:
    labels = _labels(rule)
    match = _THRESHOLD.search(str(rule.get("expr", "")))
    return StatementAlert(
        name=str(rule["alert"]),
        severity=labels.get("severity", ""),
        model=labels.get("model"),
        sli=labels.get("sli") or labels.get("slo"),
        burn_window=labels.get("burn_window"),
        threshold=match.group(1) if match else None,
        runbook_url=str(_dig(rule, "annotations", "runbook_url") or ""),
    )


def _distinct(alerts: Iterable[StatementAlert]) -> tuple[StatementAlert, ...]:
    """Each alert once per name, model and severity (its burn windows are one row)."""
    seen: dict[tuple[str, str | None, str], StatementAlert] = {}
    for alert in alerts:
        seen.setdefault((alert.name, alert.model, alert.severity), alert)
    return tuple(seen.values())


def _spent(window: str, rate: float, window_days: int) -> float:
    hours = {"m": 1 / 60, "h": 1.0, "d": 24.0}[window[-1]] * float(window[:-1])
    return rate * hours / (window_days * 24)


def _one_line(expr: Any) -> str:
    return " ".join(str(expr).split())


def _of_model(m: Manifest, model: str) -> bool:
    return bool(_dig(m.body, "metadata", "labels", _MODEL_LABEL) == model)


def _model(
    spec: StackSpec,
    model: str,
    objects: list[Manifest],
    records: _Records,
    alerts: tuple[StatementAlert, ...],
) -> ModelStatement:
    slis = []
    budget = []
    for (name, labels), rule in sorted(records.items()):
        label_map = dict(labels)
        if label_map.get("model") != model:
            continue
        if name.endswith(f":{_SLI_WINDOW}") and "slo" in label_map:
            slis.append(
                RecordedSli(
                    name, label_map.get("sli", label_map["slo"]), _one_line(rule.get("expr", ""))
                )
            )
        elif name == BUDGET_REMAINING_RECORD:
            budget.append(BudgetRule(label_map.get("window", ""), _one_line(rule.get("expr", ""))))
    deployments = tuple(
        ReplicaSpread(
            name=m.name,
            replicas=_int(_dig(m.body, "spec", "replicas")),
            topology_keys=tuple(
                str(c.get("topologyKey"))
                for c in _list(
                    _dig(m.body, "spec", "template", "spec", "topologySpreadConstraints")
                )
                if isinstance(c, dict)
            ),
        )
        for m in objects
        if m.kind == "Deployment" and _of_model(m, model)
    )
    names = {d.name for d in deployments}
    return ModelStatement(
        name=model,
        slis=tuple(slis),
        burn_alerts=tuple(a for a in alerts if a.model == model and a.burn_window),
        deployments=deployments,
        disruption_budgets=tuple(
            DisruptionBudget(m.name, _dig(m.body, "spec", "minAvailable"))
            for m in objects
            if m.kind == "PodDisruptionBudget" and _of_model(m, model)
        ),
        autoscalers=tuple(
            Autoscaler(
                name=m.name,
                target=str(_dig(m.body, "spec", "scaleTargetRef", "name")),
                min_replicas=_int(_dig(m.body, "spec", "minReplicaCount")),
                max_replicas=_int(_dig(m.body, "spec", "maxReplicaCount")),
            )
            for m in objects
            if m.kind == "ScaledObject" and _dig(m.body, "spec", "scaleTargetRef", "name") in names
        ),
        canary=_canary(spec, model, objects),
        budget_rules=tuple(budget),
    )


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _canary(spec: StackSpec, model: str, objects: list[Manifest]) -> CanaryPlan:
    """The model's planned Rollout and analysis, or its static split."""
    rollout = next((m for m in objects if m.kind == "Rollout" and _of_model(m, model)), None)
    canary = next(m for m in spec.models if m.name == model).canary
    version = canary.version if canary else None
    if rollout is None:
        if canary is None:
            return CanaryPlan(CanaryMode.NONE)
        return CanaryPlan(CanaryMode.STATIC, version=version, weight=canary.weight)
    steps = [s for s in _list(_dig(rollout.body, "spec", "strategy", "canary", "steps"))]
    steps = [s for s in steps if isinstance(s, dict)]
    templates = tuple(
        sorted(
            {
                str(ref.get("templateName"))
                for step in steps
                for ref in _list(_dig(step, "analysis", "templates"))
                if isinstance(ref, dict)
            }
        )
    )
    checks = tuple(
        AnalysisCheck(
            template=template.name,
            name=str(metric.get("name")),
            success_condition=str(metric.get("successCondition", "")),
            failure_condition=str(metric.get("failureCondition", "")),
            count=_int(metric.get("count")),
            interval=None if metric.get("interval") is None else str(metric["interval"]),
            failure_limit=_int(metric.get("failureLimit")) or 0,
            inconclusive_limit=_int(metric.get("inconclusiveLimit")) or 0,
            query=_one_line(_dig(metric, "provider", "prometheus", "query") or ""),
        )
        for template in objects
        if template.kind == "AnalysisTemplate" and template.name in templates
        for metric in _list(_dig(template.body, "spec", "metrics"))
        if isinstance(metric, dict)
    )
    return CanaryPlan(
        CanaryMode.ANALYSED,
        version=version,
        rollout=rollout.name,
        deployment=_dig(rollout.body, "spec", "workloadRef", "name"),
        steps=tuple(int(s["setWeight"]) for s in steps if isinstance(s.get("setWeight"), int)),
        templates=templates,
        progress_deadline_seconds=_int(_dig(rollout.body, "spec", "progressDeadlineSeconds")),
        checks=checks,
    )
