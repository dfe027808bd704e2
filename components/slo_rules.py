"""Prometheus rule groups for the stack's SLOs and model-server health, built as plain data.

The groups go into a ``monitoring.coreos.com/v1`` PrometheusRule (``spec.groups``) and are
also what ``promtool check rules`` / ``promtool test rules`` read, so this module has no
Pulumi dependency.

Labels: vLLM labels every series with ``model_name`` = the *served* model name. The rules
select on ``model_name`` (set by vLLM itself, so they do not depend on how a ServiceMonitor
relabels targets) and stamp ``model: <config name>`` on every recorded series and alert, as
docs/conventions.md requires. A model's stable and canary tracks serve the same name, so
its SLO covers both: the client-facing promise does not care which track answered.

SLIs (vLLM v1 engine metrics, v0.11):

- availability: finished requests whose ``finished_reason`` is neither ``stop`` nor
  ``length``, over all finished requests (``vllm:request_success_total``). Every other
  reason (``abort``, ``error``, ``repetition``, any reason a later vLLM adds) is bad: an
  unknown failure mode spends budget instead of hiding. A model with no metrics at all
  (every replica down) cannot burn budget, so ``ModelMetricsAbsent`` covers that case.
- latency: share of requests slower than the stack's p95 threshold, from the
  ``vllm:time_to_first_token_seconds`` and ``vllm:e2e_request_latency_seconds`` buckets.
  A threshold between two bucket bounds is interpolated linearly, as
  ``histogram_quantile`` does.

Alerts follow the Google SRE workbook's multi-window, multi-burn-rate scheme. A stack
without an SLA still gets burn-rate alerts, against :data:`DEFAULT_AVAILABILITY` and the
default latency thresholds, but only as tickets: nobody promised anything, so nobody is
paged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from components.config import LatencySpec, ModelSpec, StackSpec

DEFAULT_AVAILABILITY = 99.0
"""Availability objective (%) of a stack that declares no SLA."""

LATENCY_OBJECTIVE = 0.95
"""Share of requests that must beat the latency thresholds (the SLA states p95)."""

GOOD_FINISH_REASONS = ("stop", "length")

# Bucket bounds of vLLM v0.11's histograms (vllm/v1/metrics/loggers.py); a latency
# threshold is read off these, so a vLLM upgrade that changes them must update these too.
TTFT_BUCKETS = (
    0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5,
    10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0,
)  # fmt: skip
E2E_BUCKETS = (
    0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0,
    120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0,
)  # fmt: skip

RULE_PREFIX = "servegate"
QUEUE_DEPTH_FACTOR = 2
"""Queue alert: waiting requests per replica above this multiple of the autoscaling target."""
KV_CACHE_SATURATION = 0.95
GPU_UTIL_HIGH_PERCENT = 95
GPU_UTIL_LOW_PERCENT = 10


@dataclass(frozen=True)
class BurnWindow:
    """One long/short window pair of the multi-window, multi-burn-rate alerts."""

    long: str
    short: str
    burn_rate: float
    severity: str


BURN_WINDOWS = (
    BurnWindow("1h", "5m", 14.4, "page"),
    BurnWindow("6h", "30m", 6.0, "page"),
    BurnWindow("1d", "2h", 3.0, "ticket"),
    BurnWindow("3d", "6h", 1.0, "ticket"),
)
RATE_WINDOWS = tuple(dict.fromkeys(w for b in BURN_WINDOWS for w in (b.short, b.long)))


@dataclass(frozen=True)
class LatencySli:
    """A latency SLI: one vLLM histogram and the threshold requests must beat."""

    name: str
    metric: str
    buckets: tuple[float, ...]
    threshold_seconds: float


def error_ratio_record(window: str) -> str:
    """Name of the recorded availability error ratio over ``window``."""
    return f"{RULE_PREFIX}:availability_error_ratio:rate{window}"


def slow_ratio_record(sli: str, window: str) -> str:
    """Name of the recorded share of requests slower than the ``sli`` threshold."""
    return f"{RULE_PREFIX}:{sli}_slow_ratio:rate{window}"


def build_rule_groups(spec: StackSpec, models: Sequence[ModelSpec]) -> list[dict[str, Any]]:
    """The PrometheusRule ``spec.groups`` for ``models``: SLOs, model health and GPUs."""
    groups: list[dict[str, Any]] = []
    for model in models:
        groups.append(_slo_group(spec, model))
        groups.append(_health_group(spec, model))
    groups.append(_gpu_group())
    return groups


def latency_slis(latency: LatencySpec) -> tuple[LatencySli, ...]:
    """The stack's latency SLIs (time to first token, end to end)."""
    return (
        LatencySli(
            "ttft", "vllm:time_to_first_token_seconds", TTFT_BUCKETS, latency.ttft_p95_seconds
        ),
        LatencySli("e2e", "vllm:e2e_request_latency_seconds", E2E_BUCKETS, latency.e2e_p95_seconds),
    )


def _paging(spec: StackSpec, severity: str) -> str:
    return severity if spec.sla else "ticket"


def _selector(model: ModelSpec, *extra: str) -> str:
    """A series selector for ``model``'s vLLM metrics plus ``extra`` matchers."""
    matchers = (f'model_name="{_escape(model.served_model_name)}"', *extra)
    return "{" + ", ".join(matchers) + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def _number(value: float) -> str:
    # Round away float noise (14.4 * 0.001 = 0.014400000000000001) so rules read as written.
    return f"{round(value, 10):g}"


def _le(bound: float) -> str:
    # The Python client writes bucket bounds with repr(); Prometheus 3 keeps that form.
    return repr(float(bound))


def error_ratio_expr(model: ModelSpec, window: str) -> str:
    """PromQL for the share of ``model``'s finished requests that did not finish well."""
    bad = _selector(model, f'finished_reason!~"{"|".join(GOOD_FINISH_REASONS)}"')
    total = _selector(model)
    return (
        f"sum(rate(vllm:request_success_total{bad}[{window}]))\n"
        f"/\nsum(rate(vllm:request_success_total{total}[{window}]))"
    )


def slow_ratio_expr(model: ModelSpec, sli: LatencySli, window: str) -> str:
    """PromQL for the share of ``model``'s requests slower than ``sli``'s threshold."""
    threshold = sli.threshold_seconds

    def bucket(bound: float) -> str:
        selector = _selector(model, f'le="{_le(bound)}"')
        return f"sum(rate({sli.metric}_bucket{selector}[{window}]))"

    below = [b for b in sli.buckets if b <= threshold]
    above = [b for b in sli.buckets if b > threshold]
    if below and below[-1] == threshold or not above:
        fast = bucket(below[-1])
    elif not below:
        # Below the first bound: assume requests spread evenly from zero, as
        # histogram_quantile does for the lowest bucket.
        fast = f"{bucket(above[0])} * {_number(threshold / above[0])}"
    else:
        lower, upper = below[-1], above[0]
        fraction = _number((threshold - lower) / (upper - lower))
        fast = f"({bucket(lower)} + ({bucket(upper)} - {bucket(lower)}) * {fraction})"
    count = f"sum(rate({sli.metric}_count{_selector(model)}[{window}]))"
    return f"1 - (\n{fast}\n/\n{count}\n)"


def _slo_group(spec: StackSpec, model: ModelSpec) -> dict[str, Any]:
    availability = spec.sla.availability if spec.sla else DEFAULT_AVAILABILITY
    latency = spec.sla.latency if spec.sla else LatencySpec()
    rules: list[dict[str, Any]] = []
    base = {"model": model.name}

    availability_labels = {**base, "slo": "availability"}
    for window in RATE_WINDOWS:
        rules.append(
            {
                "record": error_ratio_record(window),
                "expr": error_ratio_expr(model, window),
                "labels": dict(availability_labels),
            }
        )
    budget = 1 - availability / 100
    for burn in BURN_WINDOWS:
        rules.append(
            _burn_alert(
                "ModelAvailabilityBurnRate",
                error_ratio_record,
                availability_labels,
                burn,
                budget,
                _paging(spec, burn.severity),
                summary=f"{model.name}: errors are spending the availability budget",
                description=(
                    f"Requests to {model.served_model_name} fail at more than "
                    f"{_number(burn.burn_rate)}x the rate a {_number(availability)}% "
                    f"availability objective allows, over {burn.long} and {burn.short}."
                ),
            )
        )

    for sli in latency_slis(latency):
        labels = {**base, "slo": "latency", "sli": sli.name}

        def record(window: str, sli_name: str = sli.name) -> str:
            return slow_ratio_record(sli_name, window)

        for window in RATE_WINDOWS:
            rules.append(
                {
                    "record": record(window),
                    "expr": slow_ratio_expr(model, sli, window),
                    "labels": dict(labels),
                }
            )
        for burn in BURN_WINDOWS:
            rules.append(
                _burn_alert(
                    "ModelLatencyBurnRate",
                    record,
                    labels,
                    burn,
                    1 - LATENCY_OBJECTIVE,
                    _paging(spec, burn.severity),
                    summary=f"{model.name}: slow {sli.name} is spending the latency budget",
                    description=(
                        f"More than {_number(burn.burn_rate)}x the allowed share of requests "
                        f"to {model.served_model_name} take longer than "
                        f"{_number(sli.threshold_seconds)}s ({sli.name}, objective p"
                        f"{_number(LATENCY_OBJECTIVE * 100)}), over {burn.long} and "
                        f"{burn.short}."
                    ),
                )
            )
    return {"name": f"{RULE_PREFIX}-slo-{model.name}", "rules": rules}


def _burn_alert(
    alert: str,
    record: Any,
    labels: dict[str, str],
    burn: BurnWindow,
    budget: float,
    severity: str,
    *,
    summary: str,
    description: str,
) -> dict[str, Any]:
    threshold = _number(burn.burn_rate * budget)
    matcher = "{" + ", ".join(f'{k}="{v}"' for k, v in labels.items()) + "}"
    return {
        "alert": alert,
        "expr": (
            f"{record(burn.long)}{matcher} > {threshold}\n"
            f"and\n{record(burn.short)}{matcher} > {threshold}"
        ),
        "labels": {
            **labels,
            "severity": severity,
            "burn_window": f"{burn.long}-{burn.short}",
        },
        "annotations": {"summary": summary, "description": description},
    }


def _model_pods(model: ModelSpec) -> str:
    # kube-state-metrics exports pod labels once allow-listed (monitoring.py does so).
    return f'kube_pod_labels{{label_servegate_io_model="{model.name}"}}'


def _health_group(spec: StackSpec, model: ModelSpec) -> dict[str, Any]:
    labels = {"model": model.name}
    served = model.served_model_name
    queue_limit = QUEUE_DEPTH_FACTOR * model.replicas.target_queue_depth
    rules = [
        {
            "alert": "ModelMetricsAbsent",
            "expr": f"absent(vllm:num_requests_waiting{_selector(model)})",
            "for": "10m",
            "labels": {**labels, "severity": _paging(spec, "page")},
            "annotations": {
                "summary": f"{model.name}: no vLLM metrics",
                "description": (
                    f"No replica of {served} has reported metrics for 10 minutes: every "
                    "replica is down or Prometheus cannot scrape them."
                ),
            },
        },
        {
            "alert": "ModelQueueDepthHigh",
            "expr": f"avg(vllm:num_requests_waiting{_selector(model)}) > {queue_limit}",
            "for": "15m",
            "labels": {**labels, "severity": "ticket"},
            "annotations": {
                "summary": f"{model.name}: requests are queueing",
                "description": (
                    f"More than {queue_limit} requests per replica of {served} have waited "
                    "for 15 minutes: the autoscaler is at its maximum or cannot add GPUs."
                ),
            },
        },
        {
            "alert": "ModelKvCacheSaturated",
            "expr": (
                f"max by (namespace, pod) (vllm:kv_cache_usage_perc{_selector(model)})"
                f" > {_number(KV_CACHE_SATURATION)}"
            ),
            "for": "15m",
            "labels": {**labels, "severity": "ticket"},
            "annotations": {
                "summary": f"{model.name}: KV cache saturated",
                "description": (
                    f"A replica of {served} has used more than "
                    f"{_number(KV_CACHE_SATURATION * 100)}% of its KV cache for 15 minutes; "
                    "requests are preempted or queued."
                ),
            },
        },
        {
            "alert": "ModelPodsPending",
            "expr": (
                'count((max by (namespace, pod) (kube_pod_status_phase{phase="Pending"}) == 1)'
                f"\nand on (namespace, pod) {_model_pods(model)})"
            ),
            "for": "15m",
            "labels": {**labels, "severity": "ticket"},
            "annotations": {
                "summary": f"{model.name}: replicas cannot be scheduled",
                "description": (
                    f"Pods of {model.name} have been Pending for 15 minutes: the GPU pool "
                    f"{model.pool!r} has no room (node group at its maximum, capacity "
                    "shortage or a missing toleration)."
                ),
            },
        },
        {
            "alert": "ModelColdStartSlow",
            "expr": (
                "time() - max by (namespace, pod) "
                '(kube_pod_container_state_started{container="vllm"})'
                f" > {model.startup_budget_seconds}\n"
                "and on (namespace, pod) "
                '(max by (namespace, pod) (kube_pod_status_ready{condition="false"}) == 1)\n'
                f"and on (namespace, pod) {_model_pods(model)}"
            ),
            "labels": {**labels, "severity": "ticket"},
            "annotations": {
                "summary": f"{model.name}: replica start exceeds its budget",
                "description": (
                    f"A {model.name} replica started more than "
                    f"{model.startup_budget_seconds}s ago and is still not ready: weights "
                    "are loading slowly or the server fails to start."
                ),
            },
        },
    ]
    return {"name": f"{RULE_PREFIX}-health-{model.name}", "rules": rules}


def _gpu_group() -> dict[str, Any]:
    return {
        "name": f"{RULE_PREFIX}-gpu",
        "rules": [
            {
                "alert": "GpuUtilisationHigh",
                "expr": f"avg by (Hostname) (DCGM_FI_DEV_GPU_UTIL) > {GPU_UTIL_HIGH_PERCENT}",
                "for": "30m",
                "labels": {"severity": "ticket"},
                "annotations": {
                    "summary": "GPUs of a node saturated",
                    "description": (
                        f"GPUs on {{{{ $labels.Hostname }}}} have been over "
                        f"{GPU_UTIL_HIGH_PERCENT}% busy for 30 minutes; latency will follow."
                    ),
                },
            },
            {
                "alert": "GpuUtilisationLow",
                "expr": (
                    "avg by (Hostname) (avg_over_time(DCGM_FI_DEV_GPU_UTIL[1h]))"
                    f" < {GPU_UTIL_LOW_PERCENT}"
                ),
                "for": "2h",
                "labels": {"severity": "ticket"},
                "annotations": {
                    "summary": "GPUs of a node idle",
                    "description": (
                        f"GPUs on {{{{ $labels.Hostname }}}} have been under "
                        f"{GPU_UTIL_LOW_PERCENT}% busy for hours; the pool is oversized."
                    ),
                },
            },
        ],
    }
