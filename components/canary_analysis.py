"""A model's progressive rollout and its analysis on the SLO, as plain data.

Argo Rollouts (components/progressive_delivery.py) moves a model to its canary's version in
the canary's ``steps`` and, after each step, runs an AnalysisRun of the model's
AnalysisTemplate: one Prometheus metric per gateway SLI, built by the same functions that
build the SLO rules (components/slo_rules.py), so the analysis and the burn-rate alerts
measure one thing, and one per SLI of the canary's pods alone (below). Each metric
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
- the canary's pods alone (``canary-error-ratio``, ``canary-ttft-slow-ratio``,
  ``canary-e2e-slow-ratio``): vLLM's own metrics (components/vllm_metrics.py) of the pods whose
  ``rollouts-pod-template-hash`` label is the Rollout's newest ReplicaSet's: the share of
  requests its API server answered with a 5xx (``http_requests_total``, readiness probes left
  out), and its latency histograms. Each analysis step passes that hash as the
  argument :data:`CANARY_HASH_ARG` (``valueFrom.podTemplateHashValue: Latest``,
  docs/features/analysis.md at argoproj/argo-rollouts v1.9.1, utils/analysis/factory.go) and
  the model's ServiceMonitor copies the pod label onto every scraped series
  (``podTargetLabels``, components/vllm.py), as ``rollouts_pod_template_hash``. A canary at
  5 % failing a tenth of its requests, or whose every request is slow, moves the model's
  gateway SLIs by little; it fails these. vLLM sees a request from its arrival at the server,
  so the gateway's own time and the network to the pod are not in them: passing these is
  necessary, not sufficient (the gateway-level metrics still hold the whole).

What the canary's error ratio does not see: failures Envoy answers itself for a request to a
canary pod (connect failure, reset, the route's timeout on a hung server: Envoy resolves the
model's Backend, the Service's cluster DNS name, to its ClusterIP, so the gateway's hosts are
not pods), and a stream that breaks after its 200 status. Those count only in the model's
error ratio, at ``w * f`` of the model's traffic. No canary series (hash label missing, pods
not scraped) is inconclusive, as is an idle canary (no request in the window: ``NaN``).
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
CANARY_MATCHER = f'{CANARY_POD_LABEL}="{CANARY_HASH}"'
"""Selects the series of the canary's pods (as the AnalysisRun fills in its hash)."""
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
    """The model's gateway SLIs and its canary pods' SLIs with the SLO's bounds."""
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
    metrics.append(
        AnalysisMetric(
            "canary-error-ratio",
            f"share of the canary pods' requests answered with a server error, at most the "
            f"error budget of {objectives.availability}% (vLLM)",
            canary_error_ratio_expr(window),
            objectives.error_budget,
        )
    )
    canary = (slo_rules.vllm_model_matcher(model), CANARY_MATCHER)
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


def canary_error_ratio_expr(window: str) -> str:
    """PromQL for the share of the canary pods' requests vLLM answered with a 5xx.

    ``http_requests_total`` has no model label; the hash of the canary's ReplicaSet selects its
    pods alone. The readiness probes' requests are left out: they would dilute the ratio.
    """
    pods = (CANARY_MATCHER, f'{vllm_metrics.HTTP_HANDLER_LABEL}!="{vllm_metrics.READINESS_PATH}"')
    status = f'{vllm_metrics.HTTP_STATUS_LABEL}="{vllm_metrics.HTTP_SERVER_ERRORS}"'
    failed = "{" + ", ".join((*pods, status)) + "}"
    answered = "{" + ", ".join(pods) + "}"
    metric = vllm_metrics.HTTP_REQUESTS
    # "or vector(0)": the 5xx series exists from the first server error on; a canary that
    # answered and never failed has none, and its ratio is 0, not missing.
    return (
        f"(sum(rate({metric}{failed}[{window}])) or vector(0))\n"
        f"/\nsum(rate({metric}{answered}[{window}]))"
    )


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
