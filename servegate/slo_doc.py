"""The SLA statement: what a stack promises and the machinery that measures and defends it.

Rendered from the stack's planned Kubernetes objects (the PrometheusRule the program declares,
its Deployments, PodDisruptionBudgets and ScaledObjects) and its validated config, so it states
what would be deployed, never a second description that could drift from it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from components.config import StackSpec
from components.slo_rules import (
    BUDGET_REMAINING_RECORD,
    BURN_WINDOWS,
    LATENCY_OBJECTIVE,
    RATE_WINDOWS,
    Objectives,
)
from servegate.k8s_manifests import Manifest

_THRESHOLD = re.compile(r">\s*([0-9.eE+-]+)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class _Alert:
    name: str
    severity: str
    model: str | None
    sli: str | None
    burn_window: str | None
    threshold: str | None
    runbook_url: str


def sla_statement(spec: StackSpec, objects: Iterable[Manifest]) -> str:
    """The Markdown statement of ``spec``'s SLA, from its planned objects."""
    objects = list(objects)
    groups = [
        group
        for m in objects
        if m.kind == "PrometheusRule"
        for group in m.body.get("spec", {}).get("groups", [])
    ]
    rules = [rule for group in groups for rule in group.get("rules", [])]
    alerts = [_alert(rule) for rule in rules if "alert" in rule]
    records = {
        (r["record"], tuple(sorted(r.get("labels", {}).items()))): r for r in rules if "record" in r
    }
    objectives = Objectives.of(spec.sla)
    lines = [f"# SLA statement: {spec.stack}", ""]
    lines += _promise(spec, objectives)
    lines += _burn_policy(objectives)
    lines += _budget_policy(objectives)
    for model in spec.models:
        lines += _model_section(spec, model.name, objects, records, alerts)
    lines += _alert_table(alerts)
    return "\n".join(lines).rstrip("\n") + "\n"


def _alert(rule: dict[str, Any]) -> _Alert:
    labels = rule.get("labels", {})
    match = _THRESHOLD.search(str(rule.get("expr", "")))
    return _Alert(
        name=rule["alert"],
        severity=str(labels.get("severity", "")),
        model=labels.get("model"),
        sli=labels.get("sli") or labels.get("slo"),
        burn_window=labels.get("burn_window"),
        threshold=match.group(1) if match else None,
        runbook_url=str(rule.get("annotations", {}).get("runbook_url", "")),
    )


def _promise(spec: StackSpec, objectives: Objectives) -> list[str]:
    declared = spec.sla is not None
    lines = [
        "## The promise",
        "",
        f"- Zone {spec.residency.zone}, region {spec.region}, "
        f"{spec.network.az_count} availability zones.",
    ]
    if declared:
        lines.append(
            f"- Availability: {objectives.availability:g} % of requests answered without a "
            "server error or rate-limit rejection (error budget "
            f"{objectives.error_budget * 100:g} % of requests)."
        )
    else:
        lines.append(
            "- No SLA is declared: the alerts below hold the stack to the defaults "
            f"({objectives.availability:g} % availability) and open tickets, never pages."
        )
    latency = objectives.latency
    lines += [
        f"- Latency: p{LATENCY_OBJECTIVE * 100:g} time to first token within "
        f"{latency.ttft_p95_seconds:g} s and p{LATENCY_OBJECTIVE * 100:g} end-to-end within "
        f"{latency.e2e_p95_seconds:g} s, measured at the gateway.",
        f"- Replica floor per model: {spec.replica_floor} (SLA tier, "
        "policies/data/sla.yaml), spread over zones.",
        "",
    ]
    return lines


def _burn_policy(objectives: Objectives) -> list[str]:
    lines = [
        "## Burn-rate alerting",
        "",
        "Multi-window, multi-burn-rate alerts: an alert fires when both windows burn the "
        "error budget faster than the rate below.",
        "",
        "| long window | short window | burn rate | budget share spent at that rate | severity |",
        "|---|---|---|---|---|",
    ]
    for burn in BURN_WINDOWS:
        lines.append(
            f"| {burn.long} | {burn.short} | {burn.burn_rate:g}x | "
            f"{_spent(burn.long, burn.burn_rate, objectives.window_days)} | "
            f"{objectives.severity(burn.severity)} |"
        )
    lines += ["", f"Error ratios are recorded over {', '.join(RATE_WINDOWS)}.", ""]
    return lines


def _spent(window: str, rate: float, window_days: int) -> str:
    hours = {"m": 1 / 60, "h": 1.0, "d": 24.0}[window[-1]] * float(window[:-1])
    return f"{rate * hours / (window_days * 24):.1%} of a {window_days}-day budget"


def _budget_policy(objectives: Objectives) -> list[str]:
    return [
        "## Error-budget policy",
        "",
        f"- Window: the last {objectives.window_days} days (`sla.windowDays`); budget "
        f"{objectives.error_budget * 100:g} % of the requests answered in it.",
        f"- Measured by the recording rule `{BUDGET_REMAINING_RECORD}` per model: 1 untouched, "
        "0 spent, below 0 overspent (its PromQL under each model below).",
        "- `servegate slo budget -s STACK --prometheus URL --out budget.json` reads it from "
        "Prometheus into the error-budget document (servegate/schemas/error_budget.schema.json).",
        "- `servegate check|preview|up --error-budget budget.json`: while a model's remaining "
        "budget is 0 or less, rule SLA-024 blocks every create, update or replace of what "
        "serves it (its model-server workloads, the Services selecting their pods, the gateway "
        "backends and routes sending them traffic, their autoscalers and rollouts). Allowed "
        "without a waiver: changes that only add capacity (replicas, minimum or maximum "
        "replicas up) and image rollbacks to an image the model's servers run in the plan's "
        "old state. Anything else needs an approved waiver of SLA-024 for the resource.",
        "- A budget file that cannot be read, is not in the format or is another stack's "
        "stops the gate (exit 2).",
        "",
    ]


def _model_section(
    spec: StackSpec,
    model: str,
    objects: list[Manifest],
    records: dict[tuple[str, tuple[tuple[str, str], ...]], dict[str, Any]],
    alerts: list[_Alert],
) -> list[str]:
    lines = [f"## Model {model}", "", "### SLIs (recorded at the gateway, 5-minute window)", ""]
    for (name, labels), rule in sorted(records.items()):
        label_map = dict(labels)
        if label_map.get("model") == model and name.endswith(":rate5m") and "slo" in label_map:
            sli = label_map.get("sli", label_map["slo"])
            query = _one_line(rule["expr"])
            lines += [f"- `{name}` ({sli}):", "", "  ```promql", f"  {query}", "  ```", ""]
    lines += ["### Burn-rate thresholds", "", "| alert | SLI | windows | fires above | severity |"]
    lines.append("|---|---|---|---|---|")
    for alert in alerts:
        if alert.model == model and alert.burn_window:
            lines.append(
                f"| {alert.name} | {alert.sli} | {alert.burn_window} | {alert.threshold} | "
                f"{alert.severity} |"
            )
    lines += ["", "### Capacity and disruption", ""]
    lines += _capacity(spec, model, objects)
    lines += ["", "### Canary, analysis and rollback", ""]
    lines += _canary(spec, model, objects)
    lines += ["", "### Error budget", ""]
    budget = [
        rule
        for (name, labels), rule in sorted(records.items())
        if name == BUDGET_REMAINING_RECORD and dict(labels).get("model") == model
    ]
    for rule in budget:
        lines += [
            f"- `{BUDGET_REMAINING_RECORD}` over {rule['labels'].get('window', '')}:",
            "",
            "  ```promql",
            f"  {_one_line(rule['expr'])}",
            "  ```",
        ]
    if not budget:
        lines.append("- No remaining-budget rule is planned for this model.")
    lines.append("")
    return lines


def _canary(spec: StackSpec, model: str, objects: list[Manifest]) -> list[str]:
    """The model's planned Rollout and analysis, or its static split."""
    rollout = next(
        (
            m
            for m in objects
            if m.kind == "Rollout"
            and m.body.get("metadata", {}).get("labels", {}).get("servegate.io/model") == model
        ),
        None,
    )
    canary = next(m for m in spec.models if m.name == model).canary
    if rollout is None:
        if canary is None:
            return ["- No canary is declared: every request goes to the stable track."]
        return [
            f"- Canary {canary.version} takes a fixed {canary.weight} % of the traffic. No "
            "automated analysis or rollback is declared: a regression is caught by the "
            "burn-rate alerts and rolled back by hand (set the weight to 0 and apply)."
        ]
    strategy = rollout.body["spec"]["strategy"]["canary"]
    steps = strategy.get("steps", [])
    weights = [str(step["setWeight"]) for step in steps if "setWeight" in step]
    names = {
        ref["templateName"]
        for step in steps
        for ref in step.get("analysis", {}).get("templates", [])
    }
    version = f"Canary {canary.version}" if canary else "A new version"
    lines = [
        f"- {version} rolls out under Argo Rollouts (Rollout {rollout.name}, taking over "
        f"Deployment {rollout.body['spec'].get('workloadRef', {}).get('name')}) in steps of "
        f"{' → '.join(weights)} % of the model's replicas, then 100 %; after each step an "
        f"analysis ({', '.join(sorted(names))}) must pass before the next.",
        "- Rollback is automatic: a failed measurement fails the analysis and the controller "
        "aborts the rollout, scaling the canary away so all traffic returns to the stable "
        "version; a canary that does not become ready within "
        f"{rollout.body['spec'].get('progressDeadlineSeconds')} s is aborted too.",
        "- Missing data (no series, or no traffic) is inconclusive: the rollout pauses at its "
        "step and never promotes until someone resumes or aborts it.",
        "",
        "| analysis metric | passes while | measurements | query |",
        "|---|---|---|---|",
    ]
    for template in objects:
        if template.kind != "AnalysisTemplate" or template.name not in names:
            continue
        for metric in template.body["spec"].get("metrics", []):
            query = metric.get("provider", {}).get("prometheus", {}).get("query", "")
            # A pipe ends a Markdown table cell; the regexes of the queries have some.
            cell = _one_line(query).replace("|", "\\|")
            lines.append(
                f"| {metric['name']} | `{metric.get('successCondition', '')}` | "
                f"{metric.get('count')} every {metric.get('interval')}, "
                f"failureLimit {metric.get('failureLimit', 0)} | "
                f"`{cell}` |"
            )
    return lines


def _capacity(spec: StackSpec, model: str, objects: list[Manifest]) -> list[str]:
    lines = []
    deployments = set()
    for m in objects:
        labels = m.body.get("metadata", {}).get("labels", {})
        if labels.get("servegate.io/model") != model:
            continue
        if m.kind == "Deployment":
            deployments.add(m.name)
            pod = m.body["spec"]["template"]["spec"]
            spread = [c["topologyKey"] for c in pod.get("topologySpreadConstraints", [])]
            lines.append(
                f"- Deployment {m.name}: replicas {m.body['spec'].get('replicas')}, spread over "
                f"{', '.join(spread) or 'no topology key'}."
            )
        elif m.kind == "PodDisruptionBudget":
            floor = m.body["spec"].get("minAvailable")
            lines.append(f"- PodDisruptionBudget {m.name}: minAvailable {floor}.")
    for m in objects:
        if m.kind == "ScaledObject":
            target = m.body["spec"].get("scaleTargetRef", {}).get("name", "")
            if target in deployments:
                lines.append(
                    f"- ScaledObject {m.name}: {m.body['spec'].get('minReplicaCount')} to "
                    f"{m.body['spec'].get('maxReplicaCount')} replicas of {target}."
                )
    return lines or ["- No Deployment of this model is planned."]


def _alert_table(alerts: list[_Alert]) -> list[str]:
    lines = ["## Alerts and runbooks", "", "| alert | model | severity | runbook |"]
    lines.append("|---|---|---|---|")
    seen: set[tuple[str, str | None, str]] = set()
    for alert in alerts:
        key = (alert.name, alert.model, alert.severity)
        if key in seen:
            continue
        seen.add(key)
        lines.append(
            f"| {alert.name} | {alert.model or 'all'} | {alert.severity} | "
            f"[{alert.runbook_url}]({alert.runbook_url}) |"
        )
    return [*lines, ""]


def _one_line(expr: str) -> str:
    return " ".join(str(expr).split())
