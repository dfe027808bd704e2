"""A model's progressive rollout and its analysis on the SLO, as plain data.

Argo Rollouts (components/progressive_delivery.py) moves a model to its canary's version in
the canary's ``steps`` and, after each step, runs an AnalysisRun of the model's
AnalysisTemplate: one Prometheus metric per gateway SLI, built by the same functions that
build the SLO rules (components/slo_rules.py), so the analysis and the burn-rate alerts
measure one thing, and one per latency SLI of the canary's pods alone (below). Each metric
holds the SLO itself:

- availability: the share of failed responses at most the error budget (1 - objective);
- time to first token and end-to-end latency: the share of requests slower than the SLA's
  p95 threshold at most 1 - 0.95, i.e. the p95 within the threshold.

A measurement above its bound fails the metric and the run (``failureLimit: 0``); a failed
run aborts the Rollout, which scales the canary away and leaves all traffic on the stable
version: the rollback needs nobody. No data (an empty result: no series) or no traffic
(``NaN``: nothing answered in the window) meets neither condition: the measurement is
inconclusive and the Rollout pauses at its step (``inconclusiveLimit: 0``), never promotes
(docs/features/analysis.md at argoproj/argo-rollouts v1.9.1, "Inconclusive Runs" and
"Empty array"; utils/evaluate/evaluate.go: neither condition true is Inconclusive).

Two tracks of measurement, both against the same SLO bounds:

- the whole model at the gateway (``error-ratio``, ``ttft-slow-ratio``, ``e2e-slow-ratio``):
  both tracks answer through the model's one route rule (Envoy AI Gateway v1.1.0 puts a
  rule's backends into one Envoy cluster), so the gateway SLIs are the model's. A canary
  taking a share ``w`` of the traffic and failing a share ``f`` of it adds ``w * f`` to the
  model's error ratio: these metrics hold the promise clients see while the canary serves.
- the canary's pods alone (``canary-ttft-slow-ratio``, ``canary-e2e-slow-ratio``): vLLM's own
  histograms (components/vllm_metrics.py) of the pods whose ``rollouts-pod-template-hash``
  label is the Rollout's newest ReplicaSet's. Each analysis step passes that hash as the
  argument :data:`CANARY_HASH_ARG` (``valueFrom.podTemplateHashValue: Latest``,
  docs/features/analysis.md at argoproj/argo-rollouts v1.9.1, utils/analysis/factory.go) and
  the model's ServiceMonitor copies the pod label onto every scraped series
  (``podTargetLabels``, components/vllm.py), as ``rollouts_pod_template_hash``. A canary at
  5 % whose every request is slow moves the model's gateway p95 by little; it fails these.
  vLLM times a request from its arrival at the server, so the gateway's own time and the
  network to the pod are not in them: a canary's vLLM latency is at most what the gateway
  would measure for its requests, and passing these is necessary, not sufficient (the
  gateway-level metrics still hold the whole).

Not measured per track: the error ratio. The gateway counts responses per Envoy cluster
and both tracks are one cluster, so no gateway series tells the canary's failures from the
stable's; and vLLM's counters see only the requests that reached the server, not the 5xx
Envoy answers itself (no healthy upstream, connect failure, timeout) or the 429s of the
token limit, which are most of what the error budget counts. A failing canary is still
caught through the model's error ratio, at ``w * f`` of the model's traffic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from components import k8s_labels, slo_rules, vllm_metrics
from components.config import ModelSpec
from components.gateway_telemetry import GatewayTelemetry
from components.slo_rules import LatencySli, Objectives

ANALYSIS_WINDOW = "5m"
"""Rate window of each measurement: the canary's share must be in it before it counts."""
MEASUREMENT_INTERVAL = "1m"
MEASUREMENTS = 5
"""Measurements per step: a step passes after this many in a row within the SLO."""
FAILURE_LIMIT = 0
"""Failed measurements a run tolerates: none, so one breach of the SLO rolls back."""
INCONCLUSIVE_LIMIT = 0
"""Inconclusive measurements (no data) a run tolerates before it pauses the Rollout."""
QUERY_TIMEOUT_SECONDS = 30
CANARY_HASH_ARG = "canary-pod-template-hash"
"""AnalysisTemplate argument: the pod-template hash of the Rollout's newest ReplicaSet."""
CANARY_HASH = f"{{{{args.{CANARY_HASH_ARG}}}}}"
"""Where Argo Rollouts writes the argument into a query when it starts the AnalysisRun."""
CANARY_POD_LABEL = k8s_labels.scraped_label(k8s_labels.ROLLOUT_POD_TEMPLATE_HASH)
"""The canary pods' hash label as the scraped vLLM series carry it."""
ARGO_API = "argoproj.io/v1alpha1"
"""API of the Rollout and AnalysisTemplate kinds (the CRDs of the pinned argo-rollouts chart)."""


@dataclass(frozen=True)
class AnalysisMetric:
    """One SLI of a model's analysis and the most it may measure."""

    name: str
    description: str
    query: str
    maximum: float
    """The largest passing value (a share of requests, 0 to 1)."""

    @property
    def success_condition(self) -> str:
        return f"len(result) > 0 && !isNaN(result[0]) && result[0] <= {_number(self.maximum)}"

    @property
    def failure_condition(self) -> str:
        return f"len(result) > 0 && !isNaN(result[0]) && result[0] > {_number(self.maximum)}"


def _number(value: float) -> str:
    return f"{round(value, 10):g}"


def analysis_metrics(
    objectives: Objectives, model: ModelSpec, gateway: GatewayTelemetry
) -> tuple[AnalysisMetric, ...]:
    """The model's gateway SLIs and its canary pods' latency SLIs with the SLO's bounds."""
    window = ANALYSIS_WINDOW
    slow_share = 1 - slo_rules.LATENCY_OBJECTIVE
    percentile = f"p{round(slo_rules.LATENCY_OBJECTIVE * 100)}"
    metrics = [
        AnalysisMetric(
            "error-ratio",
            f"share of failed responses, at most the error budget of {objectives.availability}%",
            slo_rules.error_ratio_expr(gateway, model, window),
            objectives.error_budget,
        )
    ]
    for sli in slo_rules.latency_slis(objectives.latency):
        metrics.append(
            AnalysisMetric(
                f"{sli.name}-slow-ratio",
                f"share of requests slower than {_number(sli.threshold_seconds)} s "
                f"({sli.name} {percentile})",
                slo_rules.slow_ratio_expr(gateway, model, sli, window),
                slow_share,
            )
        )
    canary = (slo_rules.vllm_model_matcher(model), f'{CANARY_POD_LABEL}="{CANARY_HASH}"')
    for sli in canary_latency_slis(objectives):
        metrics.append(
            AnalysisMetric(
                f"canary-{sli.name}-slow-ratio",
                f"share of the canary pods' requests slower than "
                f"{_number(sli.threshold_seconds)} s ({sli.name} {percentile}, vLLM)",
                slo_rules.histogram_slow_ratio_expr(sli, canary, window),
                slow_share,
            )
        )
    return tuple(metrics)


def canary_latency_slis(objectives: Objectives) -> tuple[LatencySli, ...]:
    """The SLO's latency thresholds on vLLM's own histograms (what one pod measures)."""
    latency = objectives.latency
    return (
        LatencySli(
            "ttft",
            vllm_metrics.TIME_TO_FIRST_TOKEN,
            vllm_metrics.TIME_TO_FIRST_TOKEN_BUCKETS,
            latency.ttft_p95_seconds,
        ),
        LatencySli(
            "e2e",
            vllm_metrics.E2E_REQUEST_LATENCY,
            vllm_metrics.E2E_REQUEST_LATENCY_BUCKETS,
            latency.e2e_p95_seconds,
        ),
    )


def analysis_template_spec(
    metrics: tuple[AnalysisMetric, ...], prometheus_url: str
) -> dict[str, Any]:
    """``spec`` of the model's AnalysisTemplate (argoproj.io/v1alpha1)."""
    return {
        # Filled in by each analysis step of the Rollout (canary_steps).
        "args": [{"name": CANARY_HASH_ARG}],
        "metrics": [
            {
                "name": metric.name,
                "initialDelay": ANALYSIS_WINDOW,
                "interval": MEASUREMENT_INTERVAL,
                "count": MEASUREMENTS,
                "failureLimit": FAILURE_LIMIT,
                "inconclusiveLimit": INCONCLUSIVE_LIMIT,
                "successCondition": metric.success_condition,
                "failureCondition": metric.failure_condition,
                "provider": {
                    "prometheus": {
                        "address": prometheus_url,
                        "query": metric.query,
                        "timeout": QUERY_TIMEOUT_SECONDS,
                    }
                },
            }
            for metric in metrics
        ],
    }


def canary_steps(steps: tuple[int, ...], template: str) -> list[dict[str, Any]]:
    """Rollout steps: each share below 100 %, then an analysis that must pass to go on.

    After the last analysed share the Rollout promotes the canary to all replicas.
    """
    out: list[dict[str, Any]] = []
    for weight in steps:
        if weight >= 100:
            break
        out.append({"setWeight": weight})
        out.append(
            {
                "analysis": {
                    "templates": [{"templateName": template}],
                    "args": [
                        {"name": CANARY_HASH_ARG, "valueFrom": {"podTemplateHashValue": "Latest"}}
                    ],
                }
            }
        )
    return out
