"""Prometheus rule groups for the stack's SLOs and model-server health, built as plain data.

The groups go into a ``monitoring.coreos.com/v1`` PrometheusRule (``spec.groups``) and are
also what ``promtool check rules`` / ``promtool test rules`` read, so this module has no
Pulumi dependency. Every recorded series and alert carries ``model: <config name>`` (or
``scope: gateway`` for the gateway as a whole), as docs/conventions.md requires. A model's
stable and canary tracks share one route rule, so its SLO covers both: the client-facing
promise does not care which track answered.

SLIs are measured at the gateway, where users are (components/gateway_telemetry.py):

- availability per model: responses of the model's route cluster (Envoy
  ``envoy_cluster_upstream_rq`` by response code) that are 5xx or 429, over all its
  responses. 5xx covers vLLM errors and what Envoy answers itself (no healthy upstream,
  connect failure, timeout). 429 covers the per-client token limit, which Envoy's global
  rate limit filter charges to the route's cluster: the user was refused service.
- availability of the gateway: 5xx answered by the HTTPS listener (including failures
  before routing, e.g. of the AI Gateway filter) plus requests the per-replica local rate
  limit rejected, over all responses of the listener. The local limit is shared by every
  client, so its 429s are capacity the stack did not have.
- not failures: 401/403 (no valid credentials: not a user the SLA is for, and counting
  them would let anyone who can reach the endpoint spend the budget), other 4xx (the
  client's own mistake, e.g. an unknown model) and client disconnects. A client that goes
  away before the response starts leaves no response code in Envoy's stats at all (its
  access log shows code 0 with flag ``DC``); a 499 that anything reports is excluded from
  the totals too. vLLM's ``finished_reason="abort"``, which is mostly such disconnects,
  stays on the debug dashboard for diagnosis only.
- latency per model: share of requests slower than the stack's p95 threshold, from Envoy
  AI Gateway's ``gen_ai_server_time_to_first_token_seconds`` (streamed responses) and
  ``gen_ai_server_request_duration_seconds`` (successful requests: no ``error_type``)
  buckets. A threshold between two bucket
  bounds is interpolated linearly, as ``histogram_quantile`` does.

A model without gateway traffic cannot burn budget, so ``GatewayMetricsAbsent`` (the
proxies are not scraped) and ``ModelMetricsAbsent`` (no vLLM replica reports) cover the
silent cases. vLLM's own metrics stay for health alerts and diagnosis.

Alerts follow the Google SRE workbook's multi-window, multi-burn-rate scheme. A stack
without an SLA still gets burn-rate alerts, against :data:`DEFAULT_AVAILABILITY` and the
default latency thresholds, but only as tickets: nobody promised anything, so nobody is
paged.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from components import catalog, k8s_labels, runbooks
from components import gateway_telemetry as gw
from components.config import LatencySpec, ModelSpec, SlaSpec, StackSpec
from components.gateway_telemetry import GatewayTelemetry

DEFAULT_AVAILABILITY = 99.0
"""Availability objective (%) of a stack that declares no SLA."""

DEFAULT_WINDOW_DAYS = 30
"""SLO window (days) the error budget is counted over when the stack declares none."""

LATENCY_OBJECTIVE = 0.95
"""Share of requests that must beat the latency thresholds (the SLA states p95)."""

FAILED_CODES = "5..|429"
"""Response codes that spend the availability budget (see the module docstring)."""
CLIENT_CLOSED = "499"

RULE_PREFIX = "servegate"
QUEUE_DEPTH_FACTOR = 2
"""Queue alert: waiting requests per replica above this multiple of the autoscaling target."""
KV_CACHE_SATURATION = 0.95
GPU_UTIL_HIGH_PERCENT = 95
GPU_UTIL_LOW_PERCENT = 10
GATEWAY_SCOPE = {"scope": "gateway"}


@dataclass(frozen=True)
class Objectives:
    """What the SLO alerts hold the stack to."""

    availability: float
    """Availability objective, %."""
    latency: LatencySpec
    paging: bool
    """True when an SLA promises these objectives: fast burns page someone."""
    window_days: int = DEFAULT_WINDOW_DAYS
    """The SLO window the error budget is counted over."""

    @classmethod
    def of(cls, sla: SlaSpec | None) -> Objectives:
        """The stack's SLA, or the defaults (tickets only) without one."""
        if sla is None:
            return cls(DEFAULT_AVAILABILITY, LatencySpec(), paging=False)
        return cls(sla.availability, sla.latency, paging=True, window_days=sla.window_days)

    @property
    def window(self) -> str:
        """The SLO window as a PromQL duration."""
        return f"{self.window_days}d"

    @property
    def error_budget(self) -> float:
        return 1 - self.availability / 100

    def severity(self, severity: str) -> str:
        return severity if self.paging else "ticket"


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
    """A latency SLI: one gateway histogram and the threshold requests must beat."""

    name: str
    metric: str
    buckets: tuple[float, ...]
    threshold_seconds: float
    marks_errors: bool = False
    """The histogram labels failed requests (``error_type``); the SLI leaves them out."""


def error_ratio_record(window: str) -> str:
    """Name of the recorded availability error ratio over ``window``."""
    return f"{RULE_PREFIX}:availability_error_ratio:rate{window}"


def slow_ratio_record(sli: str, window: str) -> str:
    """Name of the recorded share of requests slower than the ``sli`` threshold."""
    return f"{RULE_PREFIX}:{sli}_slow_ratio:rate{window}"


REQUESTS_RECORD = f"{RULE_PREFIX}:gateway_requests:rate5m"
"""Requests per second the gateway answered for a model (label ``model``)."""

BUDGET_REMAINING_RECORD = f"{RULE_PREFIX}:availability_error_budget:remaining_ratio"
"""Share of a model's availability error budget left over the SLO window (labels ``model``,
``window``): 1 untouched, 0 spent, below 0 overspent. What ``servegate slo budget`` reads."""

REPLICAS_RECORD = f"{RULE_PREFIX}:model_replicas:count"
COST_PER_HOUR_RECORD = f"{RULE_PREFIX}:model_cost_usd:per_hour"
OUTPUT_TOKENS_RECORD = f"{RULE_PREFIX}:model_output_tokens:rate1h"
TOKENS_RECORD = f"{RULE_PREFIX}:model_tokens:rate1h"
COST_PER_OUTPUT_RECORD = f"{RULE_PREFIX}:model_cost_usd:per_1m_output_tokens"
COST_PER_TOKEN_RECORD = f"{RULE_PREFIX}:model_cost_usd:per_1m_tokens"
POOL_UTILISATION_RECORD = f"{RULE_PREFIX}:pool_gpu_utilisation:avg1h"
"""Cost per token and GPU utilisation (label ``model``, or ``pool``): what decides between
self-hosting and a model API, and whether the GPUs paid for are busy."""


def build_rule_groups(
    objectives: Objectives,
    models: Sequence[ModelSpec],
    gateway: GatewayTelemetry,
    runbook_base: str = runbooks.DEFAULT_RUNBOOK_BASE,
    replica_usd_per_hour: Mapping[str, float] | None = None,
) -> list[dict[str, Any]]:
    """The PrometheusRule ``spec.groups``: gateway and model SLOs, model health, cost per
    token, GPUs. Every alert's ``runbook_url`` points at its page under ``runbook_base``.
    ``replica_usd_per_hour`` prices one replica of each model (see :func:`replica_price`);
    a model without a price gets token rates but no cost series."""
    prices = replica_usd_per_hour or {}
    groups: list[dict[str, Any]] = [_gateway_group(objectives, gateway)]
    for model in models:
        groups.append(_slo_group(objectives, model, gateway))
        groups.append(_health_group(objectives, model))
        groups.append(_cost_group(model, prices.get(model.name)))
    groups.append(_gpu_group())
    for group in groups:
        for rule in group["rules"]:
            if "alert" in rule:
                rule["annotations"]["runbook_url"] = _runbook_url(runbook_base, rule["alert"])
    return groups


def _runbook_url(base: str, alert: str) -> str:
    if alert not in runbooks.RUNBOOKS:
        # A new alert without a runbook is a programming error, caught by the tests.
        raise KeyError(f"alert {alert} has no runbook in components/runbooks.py")
    return runbooks.runbook_url(base, alert)


def latency_slis(latency: LatencySpec) -> tuple[LatencySli, ...]:
    """The stack's latency SLIs (time to first token, end to end), as the gateway sees them."""
    return (
        LatencySli(
            "ttft", gw.TIME_TO_FIRST_TOKEN, gw.TIME_TO_FIRST_TOKEN_BUCKETS, latency.ttft_p95_seconds
        ),
        LatencySli(
            "e2e",
            gw.REQUEST_DURATION,
            gw.REQUEST_DURATION_BUCKETS,
            latency.e2e_p95_seconds,
            marks_errors=True,
        ),
    )


def _matchers(*matchers: str) -> str:
    return "{" + ", ".join(matchers) + "}"


NOT_SHADOW = f'{k8s_labels.SERIES_TRACK_LABEL}!="shadow"'
"""Leaves out a model's shadow (components/vllm.py labels each series with its track): it
serves the same model name but answers no user, so its series are no part of the model's SLO,
replicas or cost. (A series without the label, e.g. from before it existed, still matches.)"""


def vllm_model_matcher(model: ModelSpec) -> str:
    """The label matchers selecting ``model``'s served series among vLLM's own metrics."""
    return f'model_name="{escape(model.served_model_name)}", {NOT_SHADOW}'


def _selector(model: ModelSpec, *extra: str) -> str:
    """A series selector for ``model``'s vLLM metrics plus ``extra`` matchers."""
    return _matchers(vllm_model_matcher(model), *extra)


def escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def _number(value: float) -> str:
    # Round away float noise (14.4 * 0.001 = 0.014400000000000001) so rules read as written.
    return f"{round(value, 10):g}"


def _le(bound: float) -> str:
    # Prometheus 3 normalizes classic-histogram bounds on ingestion to this float form
    # (1 -> "1.0"), whatever the exporter wrote.
    return repr(float(bound))


def _cluster(gateway: GatewayTelemetry, model: ModelSpec) -> str:
    return f'job="{gateway.job}", envoy_cluster_name=~"{gateway.clusters(model.name)}"'


def error_ratio_expr(gateway: GatewayTelemetry, model: ModelSpec, window: str) -> str:
    """PromQL for the share of ``model``'s gateway responses that failed the user."""
    cluster = _cluster(gateway, model)
    bad = _matchers(cluster, f'envoy_response_code=~"{FAILED_CODES}"')
    answered = _matchers(cluster, f'envoy_response_code!="{CLIENT_CLOSED}"')
    # "or vector(0)": Envoy creates a per-code counter on its first use, so a healthy
    # cluster has no 5xx series; the ratio is then 0, not missing.
    return (
        f"(sum(rate({gw.CLUSTER_RESPONSES}{bad}[{window}])) or vector(0))\n"
        f"/\nsum(rate({gw.CLUSTER_RESPONSES}{answered}[{window}]))"
    )


def gateway_error_ratio_expr(gateway: GatewayTelemetry, window: str) -> str:
    """PromQL for the share of all requests the gateway's HTTPS listener failed or refused."""
    listener = f'job="{gateway.job}", envoy_http_conn_manager_prefix=~"{gw.HTTPS_LISTENER_PREFIX}"'
    failed = _matchers(listener, 'envoy_response_code_class="5"')
    limited = _matchers(
        f'job="{gateway.job}"', f'envoy_local_http_ratelimit_prefix="{gw.LOCAL_RATE_LIMIT_PREFIX}"'
    )
    return (
        f"(\n(sum(rate({gw.DOWNSTREAM_RESPONSES}{failed}[{window}])) or vector(0))\n"
        f"+ (sum(rate({gw.LOCAL_RATE_LIMITED}{limited}[{window}])) or vector(0))\n)\n"
        f"/\nsum(rate({gw.DOWNSTREAM_RESPONSES}{_matchers(listener)}[{window}]))"
    )


def slow_ratio_expr(
    gateway: GatewayTelemetry, model: ModelSpec, sli: LatencySli, window: str
) -> str:
    """PromQL for the share of ``model``'s successful requests slower than ``sli``'s threshold."""
    base: tuple[str, ...] = (
        f'job="{gateway.job}"',
        f'{gw.MODEL_LABEL}="{escape(model.served_model_name)}"',
    )
    if sli.marks_errors:
        base += (f'{gw.ERROR_LABEL}=""',)
    return histogram_slow_ratio_expr(sli, base, window)


def histogram_slow_ratio_expr(sli: LatencySli, matchers: Sequence[str], window: str) -> str:
    """PromQL for the share of the observations of ``sli``'s histogram selected by
    ``matchers`` above its threshold (linearly interpolated between two bucket bounds)."""
    threshold = sli.threshold_seconds
    base = tuple(matchers)

    def bucket(bound: float) -> str:
        selector = _matchers(*base, f'le="{_le(bound)}"')
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
    count = f"sum(rate({sli.metric}_count{_matchers(*base)}[{window}]))"
    return f"1 - (\n{fast}\n/\n{count}\n)"


def _availability_rules(
    objectives: Objectives,
    labels: dict[str, str],
    expr: Callable[[str], str],
    alert: str,
    *,
    summary: str,
    subject: str,
) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = [
        {"record": error_ratio_record(window), "expr": expr(window), "labels": dict(labels)}
        for window in RATE_WINDOWS
    ]
    for burn in BURN_WINDOWS:
        rules.append(
            _burn_alert(
                alert,
                error_ratio_record,
                labels,
                burn,
                objectives.error_budget,
                objectives.severity(burn.severity),
                summary=summary,
                description=(
                    f"{subject} fail or are refused at more than {_number(burn.burn_rate)}x "
                    f"the rate a {_number(objectives.availability)}% availability objective "
                    f"allows, over {burn.long} and {burn.short}."
                ),
            )
        )
    return rules


def _gateway_group(objectives: Objectives, gateway: GatewayTelemetry) -> dict[str, Any]:
    labels = {**GATEWAY_SCOPE, "slo": "availability"}
    rules = _availability_rules(
        objectives,
        labels,
        lambda window: gateway_error_ratio_expr(gateway, window),
        "GatewayAvailabilityBurnRate",
        summary="gateway: 5xx and rate-limit rejections are spending the availability budget",
        subject=f"Requests to the gateway {gateway.gateway_name}",
    )
    rules.append(
        {
            "alert": "GatewayMetricsAbsent",
            "expr": f'absent({gw.ENVOY_LIVE}{{job="{gateway.job}"}})',
            "for": "10m",
            "labels": {**GATEWAY_SCOPE, "severity": objectives.severity("page")},
            "annotations": {
                "summary": "gateway: no Envoy metrics",
                "description": (
                    f"No proxy of the gateway {gateway.gateway_name} has been scraped for 10 "
                    "minutes: every proxy is down or Prometheus cannot reach them, and the "
                    "availability SLOs see nothing."
                ),
            },
        }
    )
    return {"name": f"{RULE_PREFIX}-slo-gateway", "rules": rules}


def _slo_group(
    objectives: Objectives, model: ModelSpec, gateway: GatewayTelemetry
) -> dict[str, Any]:
    base = {"model": model.name}
    answered = _matchers(_cluster(gateway, model), f'envoy_response_code!="{CLIENT_CLOSED}"')
    rules: list[dict[str, Any]] = [
        {
            "record": REQUESTS_RECORD,
            "expr": f"sum(rate({gw.CLUSTER_RESPONSES}{answered}[5m]))",
            "labels": dict(base),
        }
    ]
    rules += _availability_rules(
        objectives,
        {**base, "slo": "availability"},
        lambda window: error_ratio_expr(gateway, model, window),
        "ModelAvailabilityBurnRate",
        summary=f"{model.name}: errors are spending the availability budget",
        subject=f"Requests to {model.served_model_name}",
    )

    rules += _budget_rules(objectives, model, gateway)

    for sli in latency_slis(objectives.latency):
        labels = {**base, "slo": "latency", "sli": sli.name}

        def record(window: str, sli_name: str = sli.name) -> str:
            return slow_ratio_record(sli_name, window)

        for window in RATE_WINDOWS:
            rules.append(
                {
                    "record": record(window),
                    "expr": slow_ratio_expr(gateway, model, sli, window),
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
                    objectives.severity(burn.severity),
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


def budget_remaining_expr(objectives: Objectives, model: ModelSpec) -> str:
    """PromQL for the share of ``model``'s availability budget left over the SLO window."""
    window = objectives.window
    mine = _matchers(f'model="{escape(model.name)}"', 'slo="availability"')
    return f"1 - {error_ratio_record(window)}{mine} / {_number(objectives.error_budget)}"


def _budget_rules(
    objectives: Objectives, model: ModelSpec, gateway: GatewayTelemetry
) -> list[dict[str, Any]]:
    """The error ratio over the whole SLO window and the budget it leaves.

    The window's ratio is the same SLI expression as the burn-rate ratios, over the SLO
    window: requests, not 5-minute ratios, are averaged, so a quiet night weighs what it
    served. (Prometheus evaluates a 30-day rate of a few counters per model; the series are
    per-code cluster counters, a handful per model.)
    """
    window = objectives.window
    return [
        {
            "record": error_ratio_record(window),
            "expr": error_ratio_expr(gateway, model, window),
            "labels": {"model": model.name, "slo": "availability"},
        },
        {
            "record": BUDGET_REMAINING_RECORD,
            "expr": budget_remaining_expr(objectives, model),
            "labels": {"model": model.name, "window": window},
        },
    ]


def _burn_alert(
    alert: str,
    record: Callable[[str], str],
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


def replica_prices(spec: StackSpec) -> dict[str, float]:
    """One replica's hourly cost per model: its GPUs' share of its node's on-demand list price
    in compliance's price table. A model whose instance type has no price there is left out
    (the cost estimate reports it unpriced)."""
    prices = {}
    for model in spec.models:
        pool = spec.pool(model.pool)
        price = catalog.hourly_price(spec.region, pool.instance_type)
        if price is not None:
            prices[model.name] = price * model.gpus_per_replica / pool.instance.gpus
    return prices


def _cost_group(model: ModelSpec, usd_per_hour: float | None) -> dict[str, Any]:
    labels = {"model": model.name}
    served = _selector(model)
    rules: list[dict[str, Any]] = [
        {
            # One series per replica (pod) that vLLM metrics come from, engines folded.
            "record": REPLICAS_RECORD,
            "expr": f"count(count by (pod) (vllm:num_requests_running{served}))",
            "labels": dict(labels),
        },
        {
            "record": OUTPUT_TOKENS_RECORD,
            "expr": f"sum(rate(vllm:generation_tokens_total{served}[1h]))",
            "labels": dict(labels),
        },
        {
            "record": TOKENS_RECORD,
            "expr": (
                f"sum(rate(vllm:prompt_tokens_total{served}[1h]))\n"
                f"+ sum(rate(vllm:generation_tokens_total{served}[1h]))"
            ),
            "labels": dict(labels),
        },
    ]
    if usd_per_hour is not None:
        mine = _matchers(f'model="{escape(model.name)}"')
        rules += [
            {
                # The price is a rule constant from compliance's price table
                # (policies/data/prices.yaml, on-demand list price).
                "record": COST_PER_HOUR_RECORD,
                "expr": f"{REPLICAS_RECORD}{mine} * {_number(round(usd_per_hour, 6))}",
                "labels": dict(labels),
            },
            {
                "record": COST_PER_OUTPUT_RECORD,
                "expr": (
                    f"{COST_PER_HOUR_RECORD}{mine}\n"
                    f"/ ({OUTPUT_TOKENS_RECORD}{mine} * 3600 > 0) * 1e6"
                ),
                "labels": dict(labels),
            },
            {
                "record": COST_PER_TOKEN_RECORD,
                "expr": (
                    f"{COST_PER_HOUR_RECORD}{mine}\n/ ({TOKENS_RECORD}{mine} * 3600 > 0) * 1e6"
                ),
                "labels": dict(labels),
            },
        ]
    return {"name": f"{RULE_PREFIX}-cost-{model.name}", "rules": rules}


def _model_pods(model: ModelSpec) -> str:
    # kube-state-metrics exports pod labels once allow-listed (monitoring.py does so).
    return f'kube_pod_labels{{label_servegate_io_model="{model.name}"}}'


def _health_group(objectives: Objectives, model: ModelSpec) -> dict[str, Any]:
    labels = {"model": model.name}
    served = model.served_model_name
    queue_limit = QUEUE_DEPTH_FACTOR * model.replicas.target_queue_depth
    rules = [
        {
            "alert": "ModelMetricsAbsent",
            "expr": f"absent(vllm:num_requests_waiting{_selector(model)})",
            "for": "10m",
            "labels": {**labels, "severity": objectives.severity("page")},
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


# dcgm-exporter's Hostname label is the node name (the chart sets NODE_NAME from spec.nodeName,
# internal/pkg/hostname/hostname.go); kube_node_labels carries the node's pool label.
POOL_UTILISATION_EXPR = (
    "avg by (pool) (label_replace(\n"
    "avg by (Hostname) (avg_over_time(DCGM_FI_DEV_GPU_UTIL[1h]))\n"
    "* on (Hostname) group_left (label_servegate_io_pool)\n"
    'max by (Hostname, label_servegate_io_pool) (label_replace(kube_node_labels, "Hostname", '
    '"$1", "node", "(.*)")),\n'
    '"pool", "$1", "label_servegate_io_pool", "(.+)"))'
)


def _gpu_group() -> dict[str, Any]:
    return {
        "name": f"{RULE_PREFIX}-gpu",
        "rules": [
            {"record": POOL_UTILISATION_RECORD, "expr": POOL_UTILISATION_EXPR, "labels": {}},
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
                "expr": f"{POOL_UTILISATION_RECORD} < {GPU_UTIL_LOW_PERCENT}",
                "for": "2h",
                "labels": {"severity": "ticket"},
                "annotations": {
                    "summary": "GPU pool idle",
                    "description": (
                        "The GPUs of pool {{ $labels.pool }} have averaged under "
                        f"{GPU_UTIL_LOW_PERCENT}% busy for hours; the pool is oversized and "
                        "idle GPUs are the largest waste."
                    ),
                },
            },
        ],
    }
