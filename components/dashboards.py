"""Grafana dashboards (executive, on-call, debug) as dashboard JSON data.

Grafana's sidecar loads them from ConfigMaps (components/monitoring.py). Panels read the
recorded SLO series of components/slo_rules.py (label ``model``) where one exists, the
gateway's Envoy and Envoy AI Gateway series for what users get, and raw vLLM series
(label ``model_name``, the served name) for engine internals and diagnosis.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from components import canary_analysis, k8s_labels, slo_rules, vllm, vllm_metrics
from components import gateway_telemetry as gw
from components.config import ModelSpec
from components.gateway_telemetry import GatewayTelemetry
from components.slo_rules import Objectives

DATASOURCE = {"type": "prometheus", "uid": "prometheus"}
"""kube-prometheus-stack provisions its Prometheus datasource with uid ``prometheus``."""

SCHEMA_VERSION = 39

TITLES = {
    "servegate-executive": "LLM serving: executive",
    "servegate-on-call": "LLM serving: on-call",
    "servegate-debug": "LLM serving: debug",
}
"""Dashboard uid -> title; runbooks (components/runbooks.py) link to panels by these."""
_WIDTH = 24


@dataclass(frozen=True)
class Dashboard:
    """One Grafana dashboard: its uid, title and JSON model."""

    uid: str
    title: str
    model: dict[str, Any]


@dataclass(frozen=True)
class _Query:
    expr: str
    legend: str


def _panel(
    panel_id: int,
    title: str,
    queries: Sequence[_Query],
    *,
    kind: str = "timeseries",
    unit: str = "short",
    width: int = 12,
    x: int = 0,
    y: int = 0,
) -> dict[str, Any]:
    return {
        "id": panel_id,
        "type": kind,
        "title": title,
        "datasource": DATASOURCE,
        "gridPos": {"x": x, "y": y, "w": width, "h": 8},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "targets": [
            {"refId": chr(ord("A") + i), "expr": q.expr, "legendFormat": q.legend}
            for i, q in enumerate(queries)
        ],
    }


def _layout(panels: Sequence[tuple[str, Sequence[_Query], dict[str, Any]]]) -> list[Any]:
    """Panels placed two per row, in order."""
    half = _WIDTH // 2
    return [
        _panel(
            index,
            title,
            queries,
            width=half,
            x=(index - 1) % 2 * half,
            y=(index - 1) // 2 * 8,
            **options,
        )
        for index, (title, queries, options) in enumerate(panels, start=1)
    ]


def _variable(name: str, query: str) -> dict[str, Any]:
    return {
        "name": name,
        "label": name,
        "type": "query",
        "datasource": DATASOURCE,
        "query": {"query": query, "refId": f"{name}-values"},
        "definition": query,
        "refresh": 2,
        "includeAll": True,
        "multi": True,
        "current": {"text": "All", "value": "$__all"},
    }


def _dashboard(
    uid: str, title: str, panels: list[Any], variables: Sequence[dict[str, Any]]
) -> Dashboard:
    return Dashboard(
        uid=uid,
        title=title,
        model={
            "uid": uid,
            "title": title,
            "tags": ["servegate", "llm-serving"],
            "timezone": "utc",
            "editable": False,
            "schemaVersion": SCHEMA_VERSION,
            "version": 1,
            "refresh": "1m",
            "time": {"from": "now-6h", "to": "now"},
            "templating": {"list": list(variables)},
            "panels": panels,
        },
    )


def build_dashboards(
    objectives: Objectives, gateway: GatewayTelemetry, models: Sequence[ModelSpec] = ()
) -> list[Dashboard]:
    """The stack's executive, on-call and debug dashboards; the debug one sets each shadow
    (``models[].shadow``) beside its stable."""
    return [
        _executive(objectives, gateway),
        _on_call(objectives, gateway),
        _debug(gateway, [m for m in models if m.shadow]),
    ]


PENDING_MODEL_PODS = (
    "count by (label_servegate_io_model) (\n"
    '(max by (namespace, pod) (kube_pod_status_phase{phase="Pending"}) == 1)\n'
    "* on (namespace, pod) group_left (label_servegate_io_model)\n"
    "max by (namespace, pod, label_servegate_io_model) (kube_pod_labels"
    '{label_servegate_io_role="model-server", label_servegate_io_model=~"$model"})\n)'
)
"""Pending model-server pods per model. ``group_left`` copies the model label from
kube_pod_labels onto each pending pod (an ``and`` would keep only the phase series' labels,
which have none); ``max by`` folds duplicate series of a pod (uid, several exporters)."""


def _executive(objectives: Objectives, gateway: GatewayTelemetry) -> Dashboard:
    ratio_3d = slo_rules.error_ratio_record("3d")
    budget = objectives.error_budget
    panels: list[tuple[str, Sequence[_Query], dict[str, Any]]] = [
        (
            "Availability, last 3 days",
            [_Query(f'1 - {ratio_3d}{{model=~"$model"}}', "{{model}}")],
            {"kind": "stat", "unit": "percentunit"},
        ),
        (
            "Error budget left (3-day burn)",
            [_Query(f'1 - {ratio_3d}{{model=~"$model"}} / {budget:g}', "{{model}}")],
            {"kind": "stat", "unit": "percentunit"},
        ),
        (
            "Requests per second at the gateway",
            [_Query(f'{slo_rules.REQUESTS_RECORD}{{model=~"$model"}}', "{{model}}")],
            {"unit": "reqps"},
        ),
        (
            "Tokens per second at the gateway",
            [
                _Query(
                    f"sum by ({gw.MODEL_LABEL}, gen_ai_token_type) "
                    f'(rate({gw.TOKEN_USAGE}_sum{{job="{gateway.job}"}}[5m]))',
                    f"{{{{{gw.MODEL_LABEL}}}}} {{{{gen_ai_token_type}}}}",
                )
            ],
            {},
        ),
        (
            "Requests slower than the p95 objective (1h)",
            [
                _Query(
                    f'{slo_rules.slow_ratio_record(sli, "1h")}{{model=~"$model"}}',
                    "{{model}} " + sli,
                )
                for sli in ("ttft", "e2e")
            ],
            {"unit": "percentunit"},
        ),
        (
            "GPU utilisation, fleet average",
            [_Query("avg(DCGM_FI_DEV_GPU_UTIL)", "all GPUs")],
            {"unit": "percent"},
        ),
        (
            "Cost per 1M tokens (USD, on-demand list price)",
            [
                _Query(
                    f'{slo_rules.COST_PER_OUTPUT_RECORD}{{model=~"$model"}}', "{{model}} output"
                ),
                _Query(f'{slo_rules.COST_PER_TOKEN_RECORD}{{model=~"$model"}}', "{{model}} all"),
            ],
            {"unit": "currencyUSD"},
        ),
        (
            "GPU utilisation per pool (1h average; target 60-90 %)",
            [_Query(slo_rules.POOL_UTILISATION_RECORD, "{{pool}}")],
            {"unit": "percent"},
        ),
    ]
    return _dashboard(
        "servegate-executive",
        TITLES["servegate-executive"],
        _layout(panels),
        [_variable("model", f"label_values({ratio_3d}, model)")],
    )


def _on_call(objectives: Objectives, gateway: GatewayTelemetry) -> Dashboard:
    budget = objectives.error_budget
    job = f'job="{gateway.job}"'
    burn = [
        _Query(
            f'{slo_rules.error_ratio_record(window)}{{model=~"$model"}} / {budget:g}',
            "{{model}} " + window,
        )
        for window in ("5m", "1h", "6h")
    ]
    gateway_burn = _Query(
        f'{slo_rules.error_ratio_record("1h")}{{scope="gateway"}} / {budget:g}',
        "whole gateway 1h",
    )
    panels: list[tuple[str, Sequence[_Query], dict[str, Any]]] = [
        ("Availability burn rate (1 = on budget)", [*burn, gateway_burn], {}),
        (
            "Latency burn rate, 1h (1 = on budget)",
            [
                _Query(
                    f'{slo_rules.slow_ratio_record(sli, "1h")}{{model=~"$model"}}'
                    f" / {1 - slo_rules.LATENCY_OBJECTIVE:g}",
                    "{{model}} " + sli,
                )
                for sli in ("ttft", "e2e")
            ],
            {},
        ),
        (
            "Requests waiting per replica",
            [_Query("avg by (model_name) (vllm:num_requests_waiting)", "{{model_name}}")],
            {},
        ),
        (
            "KV cache usage per replica",
            [_Query("max by (model_name, pod) (vllm:kv_cache_usage_perc)", "{{pod}}")],
            {"unit": "percentunit"},
        ),
        (
            "Gateway responses by class",
            [
                _Query(
                    f"sum by (envoy_response_code_class) (rate({gw.DOWNSTREAM_RESPONSES}"
                    f'{{{job}, envoy_http_conn_manager_prefix=~"{gw.HTTPS_LISTENER_PREFIX}"}}'
                    "[5m]))",
                    "{{envoy_response_code_class}}xx",
                ),
                _Query(
                    f"sum(rate({gw.LOCAL_RATE_LIMITED}{{{job}}}[5m]))",
                    "rate-limited (local)",
                ),
            ],
            {"unit": "reqps"},
        ),
        (
            "Client disconnects (not counted against the SLO)",
            [
                _Query(f"sum(rate({gw.DOWNSTREAM_RESETS}{{{job}}}[5m]))", "client resets"),
                _Query(
                    "sum by (model_name) "
                    '(rate(vllm:request_success_total{finished_reason="abort"}[5m]))',
                    "vLLM aborts {{model_name}}",
                ),
            ],
            {"unit": "reqps"},
        ),
        (
            "Model-server pods pending",
            [_Query(PENDING_MODEL_PODS, "{{label_servegate_io_model}}")],
            {},
        ),
        (
            "Firing alerts",
            [_Query('ALERTS{alertstate="firing", model=~"$model"}', "{{alertname}} {{model}}")],
            {"kind": "table"},
        ),
    ]
    return _dashboard(
        "servegate-on-call",
        TITLES["servegate-on-call"],
        _layout(panels),
        [_variable("model", f"label_values({slo_rules.error_ratio_record('5m')}, model)")],
    )


def _gateway_quantiles(metric: str, gateway: GatewayTelemetry) -> list[_Query]:
    return [
        _Query(
            f"histogram_quantile({q}, sum by (le) (rate({metric}_bucket"
            f'{{job="{gateway.job}", {gw.MODEL_LABEL}=~"$model_name"}}[5m])))',
            f"p{int(q * 100)} at the gateway",
        )
        for q in (0.5, 0.95, 0.99)
    ]


def _quantiles(metric: str) -> list[_Query]:
    """Quantiles of the served pods (a shadow answers no user; it has panels of its own)."""
    return [
        _Query(
            f"histogram_quantile({q}, sum by (le) "
            f'(rate({metric}_bucket{{model_name=~"$model_name", {slo_rules.NOT_SHADOW}}}[5m])))',
            f"p{int(q * 100)} in vLLM",
        )
        for q in (0.5, 0.95, 0.99)
    ]


_HASH = canary_analysis.CANARY_POD_LABEL
_SERVED = f'{vllm_metrics.HTTP_HANDLER_LABEL}!="{vllm_metrics.READINESS_PATH}"'
_BY_REPLICA_SET = f"sum by (service, {_HASH}) (rate({vllm_metrics.HTTP_REQUESTS}"
SERVER_ERROR_SHARE_BY_REPLICA_SET = (
    f'({_BY_REPLICA_SET}{{{_SERVED}, {vllm_metrics.HTTP_STATUS_LABEL}="'
    f'{vllm_metrics.HTTP_SERVER_ERRORS}"}}[5m]))\n'
    f"or {_BY_REPLICA_SET}{{{_SERVED}}}[5m])) * 0)\n"
    f"/ {_BY_REPLICA_SET}{{{_SERVED}}}[5m]))"
)
"""The share of requests each ReplicaSet's vLLM pods answered with a 5xx, 0 where none failed:
during a rollout the canary's line is what its analysis measures (components/canary_analysis.py)."""


_TRACK = k8s_labels.SERIES_TRACK_LABEL


def _by_track(metric: str, model: ModelSpec) -> _Query:
    """p95 of a vLLM histogram of the model's stable and shadow pods, one series per track."""
    served = slo_rules.escape(model.served_model_name)
    return _Query(
        f"histogram_quantile(0.95, sum by (le, {_TRACK}) (rate({metric}_bucket"
        f'{{model_name="{served}", {_TRACK}=~"stable|shadow"}}[5m])))',
        f"p95 {{{{{_TRACK}}}}}",
    )


def _server_error_share_by_track(services: str) -> str:
    """The share of requests the model's stable and shadow pods answered with a 5xx, per track
    (0 where none failed): vLLM's own HTTP counter, the same measure for both."""
    by_track = f"sum by ({_TRACK}) (rate({vllm_metrics.HTTP_REQUESTS}"
    scope = f'{_SERVED}, service=~"{services}", {_TRACK}=~"stable|shadow"'
    failed = f'{vllm_metrics.HTTP_STATUS_LABEL}="{vllm_metrics.HTTP_SERVER_ERRORS}"'
    return (
        f"({by_track}{{{scope}, {failed}}}[5m]))\n"
        f"or {by_track}{{{scope}}}[5m])) * 0)\n"
        f"/ {by_track}{{{scope}}}[5m]))"
    )


def shadow_panels(model: ModelSpec) -> list[tuple[str, Sequence[_Query], dict[str, Any]]]:
    """A shadowed model's TTFT p95, end-to-end p95 and server-error share, shadow beside
    stable, each from the model servers' own series by track (the shadow's responses are
    discarded at the gateway, so only the servers see how it answered)."""
    if model.shadow is None:
        return []
    label = f"{model.name}, shadow {model.shadow.version}"
    # vLLM's HTTP counter has no model label: the two Services' names pick its series.
    services = f"{vllm.server_name(model)}|{vllm.shadow_name(model, model.shadow)}"
    return [
        (
            f"Shadow vs stable: time to first token p95 ({label})",
            [_by_track(vllm_metrics.TIME_TO_FIRST_TOKEN, model)],
            {"unit": "s"},
        ),
        (
            f"Shadow vs stable: end-to-end latency p95 ({label})",
            [_by_track(vllm_metrics.E2E_REQUEST_LATENCY, model)],
            {"unit": "s"},
        ),
        (
            f"Shadow vs stable: 5xx share ({label})",
            [_Query(_server_error_share_by_track(services), f"{{{{{_TRACK}}}}}")],
            {"unit": "percentunit"},
        ),
    ]


def _debug(gateway: GatewayTelemetry, shadowed: Sequence[ModelSpec]) -> Dashboard:
    selector = '{model_name=~"$model_name"}'
    panels: list[tuple[str, Sequence[_Query], dict[str, Any]]] = [
        (
            "Time to first token",
            [
                *_gateway_quantiles(gw.TIME_TO_FIRST_TOKEN, gateway),
                *_quantiles(vllm_metrics.TIME_TO_FIRST_TOKEN),
            ],
            {"unit": "s"},
        ),
        (
            "End-to-end latency",
            [
                *_gateway_quantiles(gw.REQUEST_DURATION, gateway),
                *_quantiles(vllm_metrics.E2E_REQUEST_LATENCY),
            ],
            {"unit": "s"},
        ),
        (
            "Requests running and waiting",
            [
                _Query(f"sum by (pod) (vllm:num_requests_running{selector})", "running {{pod}}"),
                _Query(f"sum by (pod) (vllm:num_requests_waiting{selector})", "waiting {{pod}}"),
            ],
            {},
        ),
        (
            "Gateway responses by route cluster and code",
            [
                _Query(
                    "sum by (envoy_cluster_name, envoy_response_code) "
                    f'(rate({gw.CLUSTER_RESPONSES}{{job="{gateway.job}", '
                    f'envoy_cluster_name=~"httproute/.*"}}[5m]))',
                    "{{envoy_cluster_name}} {{envoy_response_code}}",
                )
            ],
            {"unit": "reqps"},
        ),
        (
            "Finished requests by track and reason (aborts are mostly client disconnects)",
            [
                _Query(
                    "sum by (service, finished_reason) "
                    f"(rate(vllm:request_success_total{selector}[5m]))",
                    "{{service}} {{finished_reason}}",
                )
            ],
            {"unit": "reqps"},
        ),
        (
            "Model-server 5xx share by ReplicaSet (a Rollout's canary-error-ratio)",
            [_Query(SERVER_ERROR_SHARE_BY_REPLICA_SET, "{{service}} {{" + _HASH + "}}")],
            {"unit": "percentunit"},
        ),
        (
            "Tokens per second",
            [
                _Query(f"sum(rate(vllm:prompt_tokens_total{selector}[5m]))", "prompt"),
                _Query(f"sum(rate(vllm:generation_tokens_total{selector}[5m]))", "generated"),
            ],
            {},
        ),
        (
            "Prefix cache hit rate and preemptions",
            [
                _Query(
                    f"sum(rate(vllm:prefix_cache_hits_total{selector}[5m])) / "
                    f"sum(rate(vllm:prefix_cache_queries_total{selector}[5m]))",
                    "prefix cache hit rate",
                ),
                _Query(f"sum(rate(vllm:num_preemptions_total{selector}[5m]))", "preemptions/s"),
            ],
            {},
        ),
        (
            "KV cache usage",
            [_Query(f"max by (pod) (vllm:kv_cache_usage_perc{selector})", "{{pod}}")],
            {"unit": "percentunit"},
        ),
        (
            "GPU utilisation and memory",
            [
                _Query("DCGM_FI_DEV_GPU_UTIL", "util {{Hostname}} gpu{{gpu}}"),
                _Query("DCGM_FI_DEV_FB_USED", "MiB used {{Hostname}} gpu{{gpu}}"),
            ],
            {},
        ),
    ]
    for model in shadowed:
        panels += shadow_panels(model)
    return _dashboard(
        "servegate-debug",
        TITLES["servegate-debug"],
        _layout(panels),
        [_variable("model_name", "label_values(vllm:num_requests_running, model_name)")],
    )
