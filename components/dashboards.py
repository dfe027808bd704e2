"""Grafana dashboards (executive, on-call, debug) as dashboard JSON data.

Grafana's sidecar loads them from ConfigMaps (components/monitoring.py). Panels read the
recorded SLO series of components/slo_rules.py (label ``model``) where one exists, and
raw vLLM series (label ``model_name``, the served name) for engine internals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from components import slo_rules
from components.config import StackSpec

DATASOURCE = {"type": "prometheus", "uid": "prometheus"}
"""kube-prometheus-stack provisions its Prometheus datasource with uid ``prometheus``."""

SCHEMA_VERSION = 39
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


def build_dashboards(spec: StackSpec) -> list[Dashboard]:
    """The stack's executive, on-call and debug dashboards."""
    return [_executive(spec), _on_call(spec), _debug()]


def _budget(spec: StackSpec) -> float:
    availability = spec.sla.availability if spec.sla else slo_rules.DEFAULT_AVAILABILITY
    return 1 - availability / 100


def _executive(spec: StackSpec) -> Dashboard:
    ratio_3d = slo_rules.error_ratio_record("3d")
    budget = _budget(spec)
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
            "Requests per second",
            [
                _Query(
                    "sum by (model_name) (rate(vllm:request_success_total[5m]))",
                    "{{model_name}}",
                )
            ],
            {"unit": "reqps"},
        ),
        (
            "Generated tokens per second",
            [
                _Query(
                    "sum by (model_name) (rate(vllm:generation_tokens_total[5m]))",
                    "{{model_name}}",
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
    ]
    return _dashboard(
        "servegate-executive",
        "LLM serving: executive",
        _layout(panels),
        [_variable("model", f"label_values({ratio_3d}, model)")],
    )


def _on_call(spec: StackSpec) -> Dashboard:
    budget = _budget(spec)
    burn = [
        _Query(
            f'{slo_rules.error_ratio_record(window)}{{model=~"$model"}} / {budget:g}',
            "{{model}} " + window,
        )
        for window in ("5m", "1h", "6h")
    ]
    panels: list[tuple[str, Sequence[_Query], dict[str, Any]]] = [
        ("Availability burn rate (1 = on budget)", burn, {}),
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
            "Model-server pods pending",
            [
                _Query(
                    'count by (label_servegate_io_model) ((kube_pod_status_phase{phase="Pending"}'
                    " == 1) and on (namespace, pod) kube_pod_labels"
                    '{label_servegate_io_role="model-server"})',
                    "{{label_servegate_io_model}}",
                )
            ],
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
        "LLM serving: on-call",
        _layout(panels),
        [_variable("model", f"label_values({slo_rules.error_ratio_record('5m')}, model)")],
    )


def _quantiles(metric: str) -> list[_Query]:
    return [
        _Query(
            f"histogram_quantile({q}, sum by (le) "
            f'(rate({metric}_bucket{{model_name=~"$model_name"}}[5m])))',
            f"p{int(q * 100)}",
        )
        for q in (0.5, 0.95, 0.99)
    ]


def _debug() -> Dashboard:
    selector = '{model_name=~"$model_name"}'
    panels: list[tuple[str, Sequence[_Query], dict[str, Any]]] = [
        ("Time to first token", _quantiles("vllm:time_to_first_token_seconds"), {"unit": "s"}),
        ("End-to-end latency", _quantiles("vllm:e2e_request_latency_seconds"), {"unit": "s"}),
        (
            "Requests running and waiting",
            [
                _Query(f"sum by (pod) (vllm:num_requests_running{selector})", "running {{pod}}"),
                _Query(f"sum by (pod) (vllm:num_requests_waiting{selector})", "waiting {{pod}}"),
            ],
            {},
        ),
        (
            "Finished requests by reason",
            [
                _Query(
                    f"sum by (finished_reason) (rate(vllm:request_success_total{selector}[5m]))",
                    "{{finished_reason}}",
                )
            ],
            {"unit": "reqps"},
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
    return _dashboard(
        "servegate-debug",
        "LLM serving: debug",
        _layout(panels),
        [_variable("model_name", "label_values(vllm:num_requests_running, model_name)")],
    )
