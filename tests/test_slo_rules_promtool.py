"""prod-ca's rule groups through promtool: they load, and burn-rate alerts fire when they should.

Synthetic gateway counters at 10,000 requests a minute (one sample a minute) drive
``promtool test rules``. prod-ca promises 99.9% availability (budget 0.1%), so:

- 20% 5xx for an hour burns 200x: every window pair fires, the fast page included;
- 0.5% 5xx for two hours burns 5x: the 1d/2h (3x) and 3d/6h (1x) tickets fire, while
  the pages (14.4x, 6x) stay silent;
- 0.01% 5xx burns 0.1x: nothing fires;
- 20% client disconnects (vLLM aborts, Envoy resets, even a 499) burn nothing;
- 429s burn budget: users were refused; 401s do not: they are not users yet.

The on-call dashboard's pending-pods query runs through promtool too, on kube-state-metrics
series, and must count per model.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

from components import gateway_telemetry as gw
from components.config import ModelSpec, StackSpec, load_stack
from components.dashboards import PENDING_MODEL_PODS
from components.gateway_telemetry import GatewayTelemetry
from components.slo_rules import (
    BURN_WINDOWS,
    COST_PER_OUTPUT_RECORD,
    COST_PER_TOKEN_RECORD,
    POOL_UTILISATION_RECORD,
    Objectives,
    build_rule_groups,
    replica_prices,
)
from tests.gateway_metrics import telemetry
from tests.tooling import require_tool

PER_MINUTE = 10_000
MODEL_ALERT = "ModelAvailabilityBurnRate"
GATEWAY_ALERT = "GatewayAvailabilityBurnRate"
LATENCY_ALERT = "ModelLatencyBurnRate"
LISTENER = "https-10443"  # Envoy Gateway's stat prefix of the Gateway's 443 listener
ALL_WINDOWS = {f"{b.long}-{b.short}" for b in BURN_WINDOWS}

Phases = Sequence[tuple[float, int]]
"""(share of the requests, minutes) phases of one counter."""


@pytest.fixture(scope="module")
def spec() -> StackSpec:
    return load_stack("prod-ca")


@pytest.fixture(scope="module")
def gateway(spec: StackSpec) -> GatewayTelemetry:
    return telemetry(spec)


@pytest.fixture(scope="module")
def groups(spec: StackSpec, gateway: GatewayTelemetry) -> list[dict[str, Any]]:
    return build_rule_groups(
        Objectives.of(spec.sla), spec.models, gateway, replica_usd_per_hour=replica_prices(spec)
    )


@pytest.fixture(scope="module")
def rules_file(groups: list[dict[str, Any]], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("promtool") / "rules.yaml"
    path.write_text(yaml.safe_dump({"groups": groups}))
    return path


def _promtool(*args: str | Path) -> subprocess.CompletedProcess[str]:
    promtool = require_tool("promtool")
    return subprocess.run(
        [promtool, *map(str, args)], capture_output=True, text=True, timeout=300, check=False
    )


def _counter(phases: Phases, per_minute: int = PER_MINUTE) -> str:
    """promtool expanding notation for a counter growing by share x per_minute a minute."""
    parts, value = [], 0
    for share, minutes in phases:
        step = round(per_minute * share)
        parts.append(f"{value}+{step}x{minutes}")
        value += step * minutes
    return " ".join(parts)


def _series(name: str, labels: dict[str, str], values: str) -> dict[str, str]:
    body = ",".join(f'{k}="{v}"' for k, v in labels.items())
    return {"series": f"{name}{{{body}}}", "values": values}


def _scraped(gateway: GatewayTelemetry) -> dict[str, str]:
    """Target labels of a gateway proxy scraped through the PodMonitor."""
    return {"job": gateway.job, "namespace": gateway.proxy_namespace, "pod": "envoy-0"}


def _gateway_up(gateway: GatewayTelemetry, minutes: int) -> dict[str, str]:
    return _series(gw.ENVOY_LIVE, _scraped(gateway), f"1x{minutes}")


def _cluster_responses(
    gateway: GatewayTelemetry, model: ModelSpec, codes: dict[str, Phases]
) -> list[dict[str, str]]:
    """Envoy's per-code counters of the model's route cluster."""
    labels = {**_scraped(gateway), "envoy_cluster_name": gateway.cluster(model.name)}
    return [
        _series(gw.CLUSTER_RESPONSES, {**labels, "envoy_response_code": code}, _counter(phases))
        for code, phases in codes.items()
    ]


def _listener_responses(
    gateway: GatewayTelemetry, classes: dict[str, Phases], per_minute: int
) -> list[dict[str, str]]:
    """The HTTPS listener's per-class counters."""
    labels = {**_scraped(gateway), "envoy_http_conn_manager_prefix": LISTENER}
    return [
        _series(
            gw.DOWNSTREAM_RESPONSES,
            {**labels, "envoy_response_code_class": code_class},
            _counter(phases, per_minute),
        )
        for code_class, phases in classes.items()
    ]


def _traffic(
    gateway: GatewayTelemetry,
    models: Sequence[ModelSpec],
    timeline: Sequence[int],
    errors: dict[str, Sequence[float]],
    code: str = "503",
) -> list[dict[str, str]]:
    """Gateway series for ``models`` over phases of ``timeline`` minutes: each model answers
    PER_MINUTE requests a minute, of which the share ``errors[model][phase]`` (none if the
    model is absent) is ``code``; the listener sees the sum."""
    series = [_gateway_up(gateway, sum(timeline))]
    failed = [0.0] * len(timeline)
    for model in models:
        shares = errors.get(model.name, [0.0] * len(timeline))
        bad = list(zip(shares, timeline, strict=True))
        good = [(1 - share, minutes) for share, minutes in bad]
        series += _cluster_responses(gateway, model, {"200": good, code: bad})
        failed = [total + share / len(models) for total, share in zip(failed, shares, strict=True)]
    classes = {
        "2": [(1 - share, minutes) for share, minutes in zip(failed, timeline, strict=True)],
        code[0]: list(zip(failed, timeline, strict=True)),
    }
    series += _listener_responses(gateway, classes, PER_MINUTE * len(models))
    return series


def _healthy_gauges(model: ModelSpec, minutes: int) -> list[dict[str, str]]:
    labels = {"model_name": model.served_model_name, "engine": "0", "pod": f"{model.name}-0"}
    return [
        _series("vllm:num_requests_waiting", labels, f"1x{minutes}"),
        _series("vllm:kv_cache_usage_perc", labels, f"0.4x{minutes}"),
    ]


def _latency(
    gateway: GatewayTelemetry,
    model: ModelSpec,
    metric: str,
    buckets: Sequence[float],
    took: float,
    minutes: int,
) -> list[dict[str, str]]:
    """A gateway histogram where every request took ``took`` seconds."""
    labels = {**_scraped(gateway), gw.MODEL_LABEL: model.served_model_name}
    series = [
        _series(
            f"{metric}_bucket",
            {**labels, "le": repr(float(bound))},
            _counter([(1.0 if took <= bound else 0.0, minutes)]),
        )
        for bound in buckets
    ]
    series.append(_series(f"{metric}_bucket", {**labels, "le": "+Inf"}, _counter([(1, minutes)])))
    series.append(_series(f"{metric}_count", labels, _counter([(1, minutes)])))
    return series


def _alerts(
    groups: list[dict[str, Any]], alert: str, windows: set[str], **labels: str
) -> list[Any]:
    """Expected firing alerts named ``alert`` with ``labels``, for the given burn windows."""
    return [
        {
            "exp_labels": {"alertname": alert, **rule["labels"]},
            "exp_annotations": rule["annotations"],
        }  # fmt: skip
        for group in groups
        for rule in group["rules"]
        if rule.get("alert") == alert
        and all(rule["labels"].get(k) == v for k, v in labels.items())
        and rule["labels"]["burn_window"] in windows
    ]


def _run_tests(rules_file: Path, tests: list[dict[str, Any]]) -> None:
    test_file = rules_file.with_name(f"tests-{len(tests)}-{id(tests)}.yaml")
    test_file.write_text(
        yaml.safe_dump(
            {"rule_files": [rules_file.name], "evaluation_interval": "1m", "tests": tests}
        )
    )
    result = _promtool("test", "rules", test_file)
    assert result.returncode == 0, result.stdout + result.stderr


def _silent(at: Sequence[str], *alerts: str) -> list[dict[str, Any]]:
    return [{"eval_time": t, "alertname": a, "exp_alerts": []} for t in at for a in alerts]


def test_rules_pass_promtool_check(rules_file: Path) -> None:
    result = _promtool("check", "rules", rules_file)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_a_gateway_5xx_burst_fires_the_fast_burn_page(
    spec: StackSpec, gateway: GatewayTelemetry, groups: list[dict[str, Any]], rules_file: Path
) -> None:
    llama, mixtral = spec.models
    series = _traffic(gateway, spec.models, [60, 60], {llama.name: [0.0001, 0.20]})
    fast = _alerts(groups, MODEL_ALERT, {"1h-5m"}, model=llama.name)
    assert fast and fast[0]["exp_labels"]["severity"] == "page"
    _run_tests(
        rules_file,
        [
            {
                "interval": "1m",
                "input_series": series,
                "alert_rule_test": [
                    # Before the burst: healthy.
                    *_silent(["55m"], MODEL_ALERT, GATEWAY_ALERT),
                    # An hour into it every window pair burns, only for llama...
                    {
                        "eval_time": "120m",
                        "alertname": MODEL_ALERT,
                        "exp_alerts": _alerts(groups, MODEL_ALERT, ALL_WINDOWS, model=llama.name),
                    },
                    # ...and for the gateway as a whole (10% of all its requests failed).
                    {
                        "eval_time": "120m",
                        "alertname": GATEWAY_ALERT,
                        "exp_alerts": _alerts(groups, GATEWAY_ALERT, ALL_WINDOWS),
                    },
                ],
            }
        ],
    )
    assert mixtral.name not in str(fast)


def test_slow_burn_opens_tickets_but_pages_nobody(
    spec: StackSpec, gateway: GatewayTelemetry, groups: list[dict[str, Any]], rules_file: Path
) -> None:
    llama = spec.models[0]
    tickets = _alerts(groups, MODEL_ALERT, {"1d-2h", "3d-6h"}, model=llama.name)
    assert {a["exp_labels"]["severity"] for a in tickets} == {"ticket"}
    _run_tests(
        rules_file,
        [
            {
                "interval": "1m",
                "input_series": _traffic(gateway, [llama], [120], {llama.name: [0.005]}),
                "alert_rule_test": [
                    {"eval_time": "110m", "alertname": MODEL_ALERT, "exp_alerts": tickets}
                ],
            }
        ],
    )


def test_client_disconnects_spend_no_budget(
    spec: StackSpec, gateway: GatewayTelemetry, rules_file: Path
) -> None:
    """A fifth of the clients hang up: vLLM counts aborts, Envoy counts resets (and a 499,
    should anything report one); the answered requests all succeeded."""
    llama = spec.models[0]
    minutes = 120
    scraped = _scraped(gateway)
    gone = [(0.2, minutes)]
    series = [
        _gateway_up(gateway, minutes),
        *_cluster_responses(
            gateway, llama, {"200": [(0.8, minutes)], "499": gone, "503": [(0.0, minutes)]}
        ),
        *_listener_responses(
            gateway, {"2": [(0.8, minutes)], "4": gone, "5": [(0.0, minutes)]}, PER_MINUTE
        ),
        _series(
            gw.DOWNSTREAM_RESETS,
            {**scraped, "envoy_http_conn_manager_prefix": LISTENER},
            _counter(gone),
        ),  # fmt: skip
        _series(
            gw.CLUSTER_UPSTREAM_RESETS,
            {**scraped, "envoy_cluster_name": gateway.cluster(llama.name)},
            _counter(gone),
        ),
        *(
            _series(
                "vllm:request_success_total",
                {
                    "model_name": llama.served_model_name,
                    "engine": "0",
                    "finished_reason": reason,
                    "pod": f"{llama.name}-0",
                },  # fmt: skip
                _counter(share),
            )
            for reason, share in (("stop", [(0.8, minutes)]), ("abort", gone))
        ),
    ]
    _run_tests(
        rules_file,
        [
            {
                "interval": "1m",
                "input_series": series,
                "alert_rule_test": _silent(["60m", "115m"], MODEL_ALERT, GATEWAY_ALERT),
            }
        ],
    )


def test_rate_limit_rejections_spend_budget_auth_rejections_do_not(
    spec: StackSpec, gateway: GatewayTelemetry, groups: list[dict[str, Any]], rules_file: Path
) -> None:
    llama = spec.models[0]
    minutes = 120
    # The per-client token limit (Envoy's global rate limit) charges its 429s to the
    # route's cluster: llama's users were refused.
    per_client = _traffic(gateway, [llama], [60, 60], {llama.name: [0.0, 0.2]}, "429")
    _run_tests(
        rules_file,
        [
            {
                "interval": "1m",
                "input_series": per_client,
                "alert_rule_test": [
                    *_silent(["55m"], MODEL_ALERT),
                    {
                        "eval_time": "120m",
                        "alertname": MODEL_ALERT,
                        "exp_alerts": _alerts(groups, MODEL_ALERT, ALL_WINDOWS, model=llama.name),
                    },
                ],
            }
        ],
    )
    # The per-replica local limit answers before routing: only the listener sees it.
    scraped = _scraped(gateway)
    limited = _series(
        gw.LOCAL_RATE_LIMITED,
        {**scraped, "envoy_local_http_ratelimit_prefix": gw.LOCAL_RATE_LIMIT_PREFIX},
        _counter([(0.0, 60), (0.2, 60)]),
    )
    local = [
        _gateway_up(gateway, minutes),
        *_cluster_responses(gateway, llama, {"200": [(1.0, 60), (0.8, 60)]}),
        *_listener_responses(
            gateway, {"2": [(1.0, 60), (0.8, 60)], "4": [(0.0, 60), (0.2, 60)]}, PER_MINUTE
        ),
        limited,
    ]
    # Unauthenticated requests (401, also class 4) at the same volume burn nothing.
    unauthenticated = [s for s in local if s is not limited]
    _run_tests(
        rules_file,
        [
            {
                "interval": "1m",
                "input_series": local,
                "alert_rule_test": [
                    *_silent(["55m"], GATEWAY_ALERT),
                    *_silent(["120m"], MODEL_ALERT),
                    {
                        "eval_time": "120m",
                        "alertname": GATEWAY_ALERT,
                        "exp_alerts": _alerts(groups, GATEWAY_ALERT, ALL_WINDOWS),
                    },
                ],
            },
            {
                "interval": "1m",
                "input_series": unauthenticated,
                "alert_rule_test": _silent(["120m"], MODEL_ALERT, GATEWAY_ALERT),
            },
        ],
    )


def test_slow_first_tokens_fire_the_latency_alert(
    spec: StackSpec, gateway: GatewayTelemetry, groups: list[dict[str, Any]], rules_file: Path
) -> None:
    llama = spec.models[0]
    assert spec.sla and spec.sla.latency.ttft_p95_seconds < 7.5
    series = _latency(
        gateway, llama, gw.TIME_TO_FIRST_TOKEN, gw.TIME_TO_FIRST_TOKEN_BUCKETS, 7.5, 120
    )
    expected = _alerts(groups, LATENCY_ALERT, ALL_WINDOWS, model=llama.name, sli="ttft")
    assert expected
    _run_tests(
        rules_file,
        [
            {
                "interval": "1m",
                "input_series": series,
                "alert_rule_test": [
                    {"eval_time": "120m", "alertname": LATENCY_ALERT, "exp_alerts": expected}
                ],
            }
        ],
    )


def test_healthy_traffic_fires_nothing(
    spec: StackSpec, gateway: GatewayTelemetry, groups: list[dict[str, Any]], rules_file: Path
) -> None:
    minutes = 180
    errors = {model.name: [0.0001] for model in spec.models}
    series = _traffic(gateway, spec.models, [minutes], errors)
    for model in spec.models:
        series += _healthy_gauges(model, minutes)
        series += _latency(
            gateway, model, gw.TIME_TO_FIRST_TOKEN, gw.TIME_TO_FIRST_TOKEN_BUCKETS, 0.2, minutes
        )
        series += _latency(
            gateway, model, gw.REQUEST_DURATION, gw.REQUEST_DURATION_BUCKETS, 2.0, minutes
        )
    alertnames = sorted({r["alert"] for g in groups for r in g["rules"] if "alert" in r})
    assert {MODEL_ALERT, GATEWAY_ALERT, LATENCY_ALERT, "GatewayMetricsAbsent"} <= set(alertnames)
    _run_tests(
        rules_file,
        [
            {
                "interval": "1m",
                "input_series": series,
                "alert_rule_test": _silent(["30m", "90m", "170m"], *alertnames),
            }
        ],
    )


def test_missing_gateway_metrics_page(
    spec: StackSpec, gateway: GatewayTelemetry, rules_file: Path
) -> None:
    [absent] = [
        r
        for g in build_rule_groups(Objectives.of(spec.sla), spec.models, gateway)
        for r in g["rules"]
        if r.get("alert") == "GatewayMetricsAbsent"
    ]
    assert absent["labels"]["severity"] == "page"
    _run_tests(
        rules_file,
        [
            {
                "interval": "1m",
                # Another gateway's proxies are scraped; this one's are not.
                "input_series": [
                    _series(gw.ENVOY_LIVE, {"job": "monitoring/other", "pod": "x"}, "1x30")
                ],
                "alert_rule_test": [
                    {
                        "eval_time": "15m",
                        "alertname": "GatewayMetricsAbsent",
                        "exp_alerts": [
                            {
                                "exp_labels": {
                                    "alertname": "GatewayMetricsAbsent",
                                    "job": gateway.job,
                                    **absent["labels"],
                                },
                                "exp_annotations": absent["annotations"],
                            }
                        ],
                    }
                ],
            }
        ],
    )


def test_pending_pods_panel_counts_per_model(spec: StackSpec, rules_file: Path) -> None:
    llama, mixtral = (model.name for model in spec.models)
    phase = "kube_pod_status_phase"
    pods = {
        # pod: (model or None for a pod that is not a model server, phase)
        "llama-a": (llama, "Pending"),
        "llama-b": (llama, "Pending"),
        "llama-c": (llama, "Running"),
        "mixtral-a": (mixtral, "Pending"),
        "mixtral-b": (mixtral, "Running"),
        "grafana-0": (None, "Pending"),
    }
    series = []
    for pod, (model, current) in pods.items():
        base = {"namespace": "llm-serving", "pod": pod, "uid": f"uid-{pod}"}
        for value in ("Pending", "Running"):
            series.append(
                _series(phase, {**base, "phase": value}, "1x10" if value == current else "0x10")
            )
        labels = (
            {"label_servegate_io_model": model, "label_servegate_io_role": "model-server"}
            if model
            else {"label_app_kubernetes_io_name": "grafana"}
        )
        series.append(_series("kube_pod_labels", {**base, **labels}, "1x10"))
    # Grafana substitutes its $model variable; "All" selects every model.
    expr = PENDING_MODEL_PODS.replace("$model", ".+")
    _run_tests(
        rules_file,
        [
            {
                "interval": "1m",
                "input_series": series,
                "promql_expr_test": [
                    {
                        "expr": expr,
                        "eval_time": "5m",
                        "exp_samples": [
                            {"labels": f'{{label_servegate_io_model="{llama}"}}', "value": 2},
                            {"labels": f'{{label_servegate_io_model="{mixtral}"}}', "value": 1},
                        ],
                    }
                ],
            }
        ],
    )


def test_a_failing_canary_backend_cluster_burns_its_models_budget(
    spec: StackSpec, gateway: GatewayTelemetry, groups: list[dict[str, Any]], rules_file: Path
) -> None:
    """Envoy Gateway may give each backend of a rule its own cluster (<rule>/backend/<j>):
    the canary's 5xx still count against the model."""
    llama = spec.models[0]
    labels = {**_scraped(gateway)}
    stable = {**labels, "envoy_cluster_name": f"{gateway.cluster(llama.name)}/backend/0"}
    canary = {**labels, "envoy_cluster_name": f"{gateway.cluster(llama.name)}/backend/1"}
    series = [
        _gateway_up(gateway, 120),
        _series(
            gw.CLUSTER_RESPONSES, {**stable, "envoy_response_code": "200"}, _counter([(0.8, 120)])
        ),  # fmt: skip
        _series(
            gw.CLUSTER_RESPONSES,
            {**canary, "envoy_response_code": "200"},
            _counter([(0.2, 60), (0.0, 60)]),
        ),  # fmt: skip
        _series(
            gw.CLUSTER_RESPONSES,
            {**canary, "envoy_response_code": "503"},
            _counter([(0.0, 60), (0.2, 60)]),
        ),  # fmt: skip
    ]
    _run_tests(
        rules_file,
        [
            {
                "interval": "1m",
                "input_series": series,
                "alert_rule_test": [
                    *_silent(["55m"], MODEL_ALERT),
                    {
                        "eval_time": "120m",
                        "alertname": MODEL_ALERT,
                        "exp_alerts": _alerts(groups, MODEL_ALERT, ALL_WINDOWS, model=llama.name),
                    },
                ],
            }
        ],
    )


def test_cost_per_million_tokens_follows_replicas_price_and_token_rates(
    spec: StackSpec, rules_file: Path
) -> None:
    model = spec.models[0]
    price = replica_prices(spec)[model.name]
    series = []
    for pod in ("a", "b"):
        labels = {
            "model_name": model.served_model_name,
            "engine": "0",
            "pod": f"{model.name}-{pod}",
        }
        series += [
            _series("vllm:num_requests_running", labels, "3x120"),
            # 1,000 output and 2,000 prompt tokens a second per replica.
            _series("vllm:generation_tokens_total", labels, "0+60000x120"),
            _series("vllm:prompt_tokens_total", labels, "0+120000x120"),
        ]
    selector = f'{{model="{model.name}"}}'
    _run_tests(
        rules_file,
        [
            {
                "interval": "1m",
                "input_series": series,
                "promql_expr_test": [
                    {
                        # Two replicas cost 2 x price an hour and write 2,000 tokens a second.
                        "expr": f"{COST_PER_OUTPUT_RECORD}{selector}",
                        "eval_time": "90m",
                        "exp_samples": [
                            {"labels": f"{COST_PER_OUTPUT_RECORD}{selector}",
                             "value": 2 * price / (2000 * 3600) * 1e6},
                        ],
                    },
                    {
                        "expr": f"{COST_PER_TOKEN_RECORD}{selector}",
                        "eval_time": "90m",
                        "exp_samples": [
                            {"labels": f"{COST_PER_TOKEN_RECORD}{selector}",
                             "value": 2 * price / (6000 * 3600) * 1e6},
                        ],
                    },
                ],
            }
        ],
    )  # fmt: skip


def test_no_tokens_means_no_cost_per_token_rather_than_infinity(
    spec: StackSpec, rules_file: Path
) -> None:
    model = spec.models[0]
    labels = {"model_name": model.served_model_name, "engine": "0", "pod": f"{model.name}-a"}
    series = [
        _series("vllm:num_requests_running", labels, "0x120"),
        _series("vllm:generation_tokens_total", labels, "5x120"),
        _series("vllm:prompt_tokens_total", labels, "5x120"),
    ]
    selector = f'{{model="{model.name}"}}'
    _run_tests(
        rules_file,
        [
            {
                "interval": "1m",
                "input_series": series,
                "promql_expr_test": [
                    {"expr": f"{COST_PER_OUTPUT_RECORD}{selector}", "eval_time": "90m",
                     "exp_samples": []},
                ],
            }
        ],
    )  # fmt: skip


def test_pool_utilisation_and_the_idle_pool_ticket(
    groups: list[dict[str, Any]], rules_file: Path
) -> None:
    busy = {"node-a": ("l4", 5), "node-b": ("l4", 15), "node-c": ("big", 70)}
    series = []
    for node, (pool, util) in busy.items():
        for gpu in ("0", "1"):
            series.append(
                _series(
                    "DCGM_FI_DEV_GPU_UTIL",
                    {"Hostname": node, "gpu": gpu, "job": "dcgm"},
                    f"{util}x300",
                )
            )
        series.append(
            _series(
                "kube_node_labels",
                {"node": node, "label_servegate_io_pool": pool, "job": "ksm"},
                "1x300",
            )
        )
    [idle] = _alerts_named(groups, "GpuUtilisationLow")
    expected = {
        "exp_labels": {"alertname": "GpuUtilisationLow", "pool": "l4", **idle["labels"]},
        "exp_annotations": {
            k: v.replace("{{ $labels.pool }}", "l4") for k, v in idle["annotations"].items()
        },
    }
    _run_tests(
        rules_file,
        [
            {
                "interval": "1m",
                "input_series": series,
                "promql_expr_test": [
                    {"expr": POOL_UTILISATION_RECORD, "eval_time": "90m",
                     "exp_samples": [
                         {"labels": f'{POOL_UTILISATION_RECORD}{{pool="l4"}}', "value": 10},
                         {"labels": f'{POOL_UTILISATION_RECORD}{{pool="big"}}', "value": 70},
                     ]},
                ],
                "alert_rule_test": [
                    {"eval_time": "100m", "alertname": "GpuUtilisationLow", "exp_alerts": []},
                    # l4 averages 10 %, not under it: no ticket; see the next test case.
                    {"eval_time": "250m", "alertname": "GpuUtilisationLow", "exp_alerts": []},
                ],
            },
            {
                "interval": "1m",
                "input_series": [
                    {**s, "values": s["values"].replace("15x", "5x")} for s in series
                ],
                "alert_rule_test": [
                    {"eval_time": "100m", "alertname": "GpuUtilisationLow", "exp_alerts": []},
                    {"eval_time": "250m", "alertname": "GpuUtilisationLow",
                     "exp_alerts": [expected]},
                ],
            },
        ],
    )  # fmt: skip


def _alerts_named(groups: list[dict[str, Any]], alert: str) -> list[dict[str, Any]]:
    return [r for g in groups for r in g["rules"] if r.get("alert") == alert]
