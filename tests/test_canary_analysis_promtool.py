"""prod-ca's rendered canary analysis through promtool: a canary's spike fails it, health passes.

The queries and bounds are read from the AnalysisTemplate the stack renders (what Argo
Rollouts will run), evaluated by ``promtool test rules`` on synthetic gateway series of the
model's route (10,000 requests a minute; stable and canary answer through its one cluster)
as ``(<query>) > bool <bound>``: 1 is a failed measurement (the run fails, the Rollout aborts
and rolls back), 0 a passing one. No series at all gives no sample: neither condition holds,
the measurement is inconclusive and the Rollout pauses.

The canary-track metrics read vLLM's own metrics of the canary's pods (its HTTP counter and
latency histograms), selected by the pod-template hash Argo Rollouts passes each analysis
(here ``CANARY``, written where the AnalysisRun would write it): a canary-only error or
latency spike fails them while the model's gateway metrics, diluted by the stable's
traffic, still pass.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

from components import canary_analysis, dashboards, vllm_metrics
from components import gateway_telemetry as gw
from components.config import ModelSpec, StackSpec
from components.gateway_telemetry import GatewayTelemetry
from tests import stacks
from tests.gateway_metrics import telemetry
from tests.tooling import require_tool

PER_MINUTE = 10_000
MINUTES = 30
TEMPLATE = "kubernetes:argoproj.io/v1alpha1:AnalysisTemplate"
_BOUND = re.compile(r"result\[0\] > ([0-9.e+-]+)$")


@pytest.fixture(scope="module")
def spec() -> StackSpec:
    return stacks.spec("prod-ca")


@pytest.fixture(scope="module")
def gateway(spec: StackSpec) -> GatewayTelemetry:
    return telemetry(spec)


@pytest.fixture(scope="module")
def rendered() -> dict[str, tuple[str, float]]:
    """Metric name -> (query, largest passing value) of prod-ca's one AnalysisTemplate."""
    (template,) = stacks.of_type("prod-ca", TEMPLATE)
    out = {}
    for metric in template["props"]["spec"]["metrics"]:
        bound = _BOUND.search(metric["failureCondition"])
        assert bound, metric["failureCondition"]
        out[metric["name"]] = (metric["provider"]["prometheus"]["query"], float(bound.group(1)))
    return out


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("analysis")
    (path / "empty.yaml").write_text(yaml.safe_dump({"groups": []}))
    return path


def _counter(share: float, minutes: int = MINUTES) -> str:
    return f"0+{round(PER_MINUTE * share)}x{minutes}"


def _series(name: str, labels: dict[str, str], values: str) -> dict[str, str]:
    body = ",".join(f'{k}="{v}"' for k, v in labels.items())
    return {"series": f"{name}{{{body}}}", "values": values}


def _scraped(gateway: GatewayTelemetry) -> dict[str, str]:
    return {"job": gateway.job, "namespace": gateway.proxy_namespace, "pod": "envoy-0"}


def _responses(gateway: GatewayTelemetry, model: ModelSpec, failed: float) -> list[dict[str, str]]:
    labels = {**_scraped(gateway), "envoy_cluster_name": gateway.cluster(model.name)}
    return [
        _series(gw.CLUSTER_RESPONSES, {**labels, "envoy_response_code": code}, _counter(share))
        for code, share in (("200", 1 - failed), ("503", failed))
    ]


def _histogram(
    gateway: GatewayTelemetry,
    model: ModelSpec,
    metric: str,
    buckets: Sequence[float],
    took: Sequence[tuple[float, float]],
) -> list[dict[str, str]]:
    """``metric`` where a share ``s`` of the requests took ``t`` seconds, for (s, t) in took."""
    labels = {**_scraped(gateway), gw.MODEL_LABEL: model.served_model_name}
    if metric == gw.REQUEST_DURATION:
        labels[gw.ERROR_LABEL] = ""
    series = [
        _series(
            f"{metric}_bucket",
            {**labels, "le": repr(float(bound))},
            _counter(sum(share for share, seconds in took if seconds <= bound)),
        )
        for bound in buckets
    ]
    series.append(_series(f"{metric}_bucket", {**labels, "le": "+Inf"}, _counter(1)))
    series.append(_series(f"{metric}_count", labels, _counter(1)))
    return series


def _measure(
    workdir: Path, query: str, bound: float, series: list[dict[str, str]], expected: list[Any]
) -> None:
    _run(workdir, f"({query}) > bool {bound!r}", series, expected)


def _run(workdir: Path, expr: str, series: list[dict[str, str]], expected: list[Any]) -> None:
    test = {
        "interval": "1m",
        "input_series": series,
        "promql_expr_test": [{"expr": expr, "eval_time": "25m", "exp_samples": expected}],
    }
    test_file = workdir / f"test-{abs(hash(yaml.safe_dump(test)))}.yaml"
    test_file.write_text(
        yaml.safe_dump({"rule_files": ["empty.yaml"], "evaluation_interval": "1m", "tests": [test]})
    )
    result = subprocess.run(
        [require_tool("promtool"), "test", "rules", str(test_file)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


FAILS = [{"labels": "{}", "value": 1}]
PASSES = [{"labels": "{}", "value": 0}]


def test_the_rendered_analysis_holds_every_gateway_sli_to_the_slo(
    spec: StackSpec, rendered: dict[str, tuple[str, float]]
) -> None:
    assert spec.sla is not None
    assert set(rendered) == {
        "error-ratio",
        "ttft-slow-ratio",
        "e2e-slow-ratio",
        "canary-error-ratio",
        "canary-ttft-slow-ratio",
        "canary-e2e-slow-ratio",
    }
    assert rendered["error-ratio"][1] == pytest.approx(1 - spec.sla.availability / 100)
    assert rendered["ttft-slow-ratio"][1] == pytest.approx(0.05)
    assert rendered["e2e-slow-ratio"][1] == pytest.approx(0.05)
    assert rendered["canary-error-ratio"][1] == pytest.approx(1 - spec.sla.availability / 100)
    assert rendered["canary-ttft-slow-ratio"][1] == pytest.approx(0.05)
    assert rendered["canary-e2e-slow-ratio"][1] == pytest.approx(0.05)


@pytest.mark.parametrize(
    ("failed", "expected"),
    [
        # A 5 % canary failing a fifth of its requests: 1 % of the model's, 10x the budget.
        (0.05 * 0.2, FAILS),
        # One failure in 10,000: within the 0.1 % budget.
        (0.0001, PASSES),
    ],
)
def test_a_canary_error_spike_fails_the_error_ratio_and_health_passes(
    spec: StackSpec,
    gateway: GatewayTelemetry,
    rendered: dict[str, tuple[str, float]],
    workdir: Path,
    failed: float,
    expected: list[Any],
) -> None:
    query, bound = rendered["error-ratio"]
    _measure(workdir, query, bound, _responses(gateway, spec.models[0], failed), expected)


@pytest.mark.parametrize(
    ("sli", "metric", "buckets"),
    [
        ("ttft", gw.TIME_TO_FIRST_TOKEN, gw.TIME_TO_FIRST_TOKEN_BUCKETS),
        ("e2e", gw.REQUEST_DURATION, gw.REQUEST_DURATION_BUCKETS),
    ],
)
@pytest.mark.parametrize(
    ("took", "expected"),
    [
        # A 25 % canary answering in 60 s: a quarter of the model's requests miss the p95.
        ([(0.75, 0.5), (0.25, 60.0)], FAILS),
        # Everything in half a second.
        ([(1.0, 0.5)], PASSES),
    ],
)
def test_a_slow_canary_fails_the_latency_analysis_and_a_fast_one_passes(
    spec: StackSpec,
    gateway: GatewayTelemetry,
    rendered: dict[str, tuple[str, float]],
    workdir: Path,
    sli: str,
    metric: str,
    buckets: Sequence[float],
    took: list[tuple[float, float]],
    expected: list[Any],
) -> None:
    query, bound = rendered[f"{sli}-slow-ratio"]
    series = _histogram(gateway, spec.models[0], metric, buckets, took)
    _measure(workdir, query, bound, series, expected)


STABLE, CANARY = "5d8f7c9b4", "6c4b9d7f8"
"""Pod-template hashes of the stable and the canary ReplicaSet."""
CANARY_SLIS = [
    ("ttft", gw.TIME_TO_FIRST_TOKEN, gw.TIME_TO_FIRST_TOKEN_BUCKETS,
     vllm_metrics.TIME_TO_FIRST_TOKEN, vllm_metrics.TIME_TO_FIRST_TOKEN_BUCKETS),
    ("e2e", gw.REQUEST_DURATION, gw.REQUEST_DURATION_BUCKETS,
     vllm_metrics.E2E_REQUEST_LATENCY, vllm_metrics.E2E_REQUEST_LATENCY_BUCKETS),
]  # fmt: skip


def _pod_histogram(
    model: ModelSpec,
    metric: str,
    buckets: Sequence[float],
    pod_hash: str,
    share: float,
    took: Sequence[tuple[float, float]],
) -> list[dict[str, str]]:
    """vLLM's ``metric`` on the pods of one ReplicaSet serving ``share`` of the model's
    requests, a share ``s`` of which took ``t`` seconds, for (s, t) in took."""
    labels = {
        "job": f"vllm-{model.name}",
        "namespace": "serving",
        "pod": f"vllm-{model.name}-{pod_hash}-0",
        canary_analysis.CANARY_POD_LABEL: pod_hash,
        "model_name": model.served_model_name,
        "engine": "0",
    }
    series = [
        _series(
            f"{metric}_bucket",
            {**labels, "le": repr(float(bound))},
            _counter(share * sum(s for s, seconds in took if seconds <= bound)),
        )
        for bound in buckets
    ]
    series.append(_series(f"{metric}_bucket", {**labels, "le": "+Inf"}, _counter(share)))
    series.append(_series(f"{metric}_count", labels, _counter(share)))
    return series


def _on_canary(query: str) -> str:
    """The query as the AnalysisRun runs it: the canary's hash in place of its argument."""
    assert canary_analysis.CANARY_HASH in query
    return query.replace(canary_analysis.CANARY_HASH, CANARY)


@pytest.mark.parametrize(("sli", "gw_metric", "gw_buckets", "metric", "buckets"), CANARY_SLIS)
@pytest.mark.parametrize(
    ("canary_took", "canary_expected"),
    [
        # A fifth of the canary's requests take 60 s: 4 % of the model's, within its p95.
        ([(0.8, 0.2), (0.2, 60.0)], FAILS),
        # The canary as fast as the stable.
        ([(1.0, 0.2)], PASSES),
    ],
)
def test_a_canary_only_latency_spike_fails_the_canary_metric_not_the_models(
    spec: StackSpec,
    gateway: GatewayTelemetry,
    rendered: dict[str, tuple[str, float]],
    workdir: Path,
    sli: str,
    gw_metric: str,
    gw_buckets: Sequence[float],
    metric: str,
    buckets: Sequence[float],
    canary_took: list[tuple[float, float]],
    canary_expected: list[Any],
) -> None:
    model, canary_share = spec.models[0], 0.2
    pods = _pod_histogram(model, metric, buckets, STABLE, 1 - canary_share, [(1.0, 0.2)])
    pods += _pod_histogram(model, metric, buckets, CANARY, canary_share, canary_took)
    query, bound = rendered[f"canary-{sli}-slow-ratio"]
    _measure(workdir, _on_canary(query), bound, pods, canary_expected)
    # The gateway sees both tracks as one: the model's share of slow requests.
    model_took = [(1 - canary_share, 0.2)] + [(canary_share * s, t) for s, t in canary_took]
    query, bound = rendered[f"{sli}-slow-ratio"]
    series = _histogram(gateway, model, gw_metric, gw_buckets, model_took)
    _measure(workdir, query, bound, series, PASSES)


@pytest.mark.parametrize("sli", ["ttft", "e2e"])
def test_a_canary_metric_without_the_canary_pods_series_has_no_sample(
    spec: StackSpec, rendered: dict[str, tuple[str, float]], workdir: Path, sli: str
) -> None:
    # Only the stable's pods report (the canary's are not scraped, or lack the hash label).
    [(_, _, _, metric, buckets)] = [entry for entry in CANARY_SLIS if entry[0] == sli]
    pods = _pod_histogram(spec.models[0], metric, buckets, STABLE, 1.0, [(1.0, 0.2)])
    query, bound = rendered[f"canary-{sli}-slow-ratio"]
    _measure(workdir, _on_canary(query), bound, pods, [])


def test_a_canary_metric_of_an_idle_canary_is_nan_and_cannot_promote(
    spec: StackSpec, rendered: dict[str, tuple[str, float]], workdir: Path
) -> None:
    # The canary's pods are scraped but answered nothing in the window: 0 / 0.
    model = spec.models[0]
    metric, buckets = vllm_metrics.E2E_REQUEST_LATENCY, vllm_metrics.E2E_REQUEST_LATENCY_BUCKETS
    pods = _pod_histogram(model, metric, buckets, CANARY, 0.0, [(1.0, 0.2)])
    query, _ = rendered["canary-e2e-slow-ratio"]
    test_query = f"count(({_on_canary(query)}) == ({_on_canary(query)}))"
    # NaN equals nothing, itself included: the one sample is filtered out, leaving no result.
    _run(workdir, test_query, pods, [])


@pytest.mark.parametrize("name", ["error-ratio", "ttft-slow-ratio", "e2e-slow-ratio"])
def test_without_data_a_measurement_has_no_sample_and_cannot_promote(
    spec: StackSpec,
    gateway: GatewayTelemetry,
    rendered: dict[str, tuple[str, float]],
    workdir: Path,
    name: str,
) -> None:
    query, bound = rendered[name]
    # Another model's traffic only: nothing of this model's route is scraped.
    other = _responses(gateway, spec.models[1], 0.0)
    _measure(workdir, query, bound, other, [])


def test_an_empty_or_nan_result_meets_neither_condition() -> None:
    """Argo's conditions (expr-lang): both guard on a value, so no data is inconclusive."""
    metric = canary_analysis.AnalysisMetric("m", "d", "q", 0.001)
    for condition in (metric.success_condition, metric.failure_condition):
        assert condition.startswith("len(result) > 0 && !isNaN(result[0]) && ")
    assert metric.success_condition.endswith("result[0] <= 0.001")
    assert metric.failure_condition.endswith("result[0] > 0.001")


def _pod_requests(
    pod_hash: str, share: float, failed: float, probes: float = 0.0
) -> list[dict[str, str]]:
    """vLLM's HTTP counter on the pods of one ReplicaSet serving ``share`` of the model's
    requests, a share ``failed`` of them answered with a 5xx, plus ``probes`` (a share of the
    model's request rate) readiness probes, all answered."""
    labels = {
        "job": "vllm-llama",
        "namespace": "serving",
        "service": "vllm-llama",
        "pod": f"vllm-llama-{pod_hash}-0",
        canary_analysis.CANARY_POD_LABEL: pod_hash,
        "method": "POST",
        vllm_metrics.HTTP_HANDLER_LABEL: "/v1/chat/completions",
    }
    status = vllm_metrics.HTTP_STATUS_LABEL
    series = [
        _series(
            vllm_metrics.HTTP_REQUESTS, {**labels, status: "2xx"}, _counter(share * (1 - failed))
        )
    ]
    if failed:
        # The 5xx series exists only once the server has failed a request.
        series.append(
            _series(
                vllm_metrics.HTTP_REQUESTS,
                {**labels, status: vllm_metrics.HTTP_SERVER_ERRORS},
                _counter(share * failed),
            )
        )
    if probes:
        probe = {
            **labels,
            "method": "GET",
            vllm_metrics.HTTP_HANDLER_LABEL: vllm_metrics.READINESS_PATH,
        }
        series.append(
            _series(vllm_metrics.HTTP_REQUESTS, {**probe, status: "2xx"}, _counter(probes))
        )
    return series


@pytest.mark.parametrize(
    ("canary_failed", "expected"),
    [
        # A 20 % canary failing 0.4 % of its requests: 4x the 0.1 % budget on its own track.
        (0.004, FAILS),
        # One failure in 10,000 of the canary's requests: within the budget.
        (0.0001, PASSES),
        # No server error at all: the 5xx series does not exist, the ratio is 0.
        (0.0, PASSES),
    ],
)
def test_a_canary_error_spike_with_a_healthy_stable_fails_the_canary_error_ratio(
    spec: StackSpec,
    gateway: GatewayTelemetry,
    rendered: dict[str, tuple[str, float]],
    workdir: Path,
    canary_failed: float,
    expected: list[Any],
) -> None:
    canary_share = 0.2
    pods = _pod_requests(STABLE, 1 - canary_share, 0.0, probes=0.01)
    pods += _pod_requests(CANARY, canary_share, canary_failed, probes=0.01)
    query, bound = rendered["canary-error-ratio"]
    _measure(workdir, _on_canary(query), bound, pods, expected)
    # The gateway sees both tracks as one: 0.2 x 0.4 % = 0.08 % of the model's, within budget.
    query, bound = rendered["error-ratio"]
    model = _responses(gateway, spec.models[0], canary_share * canary_failed)
    _measure(workdir, query, bound, model, PASSES)


def test_the_canary_error_ratio_without_the_canary_pods_series_has_no_sample(
    rendered: dict[str, tuple[str, float]], workdir: Path
) -> None:
    # Only the stable's pods report, one of them failing: nothing measures the canary.
    query, bound = rendered["canary-error-ratio"]
    _measure(workdir, _on_canary(query), bound, _pod_requests(STABLE, 1.0, 0.01), [])


def test_a_canary_answering_only_readiness_probes_is_idle_and_cannot_promote(
    rendered: dict[str, tuple[str, float]], workdir: Path
) -> None:
    # The canary's pods are scraped and probed but got no request in the window: 0 / 0.
    pods = _pod_requests(CANARY, 0.0, 0.0, probes=0.01)
    query = _on_canary(rendered["canary-error-ratio"][0])
    # NaN equals nothing, itself included: the one sample is filtered out, leaving no result.
    _run(workdir, f"count(({query}) == ({query}))", pods, [])
    # Counted with the probes, the same canary would pass on them.
    probe_filter = f', {vllm_metrics.HTTP_HANDLER_LABEL}!="{vllm_metrics.READINESS_PATH}"'
    probes_counted = query.replace(probe_filter, "")
    assert probes_counted != query
    _run(workdir, f"({probes_counted}) > bool 0.001", pods, PASSES)


def test_the_debug_panel_shows_each_replica_sets_server_error_share(workdir: Path) -> None:
    # What the canary's analysis measures, beside the stable's 0 (no 5xx series at all).
    pods = _pod_requests(STABLE, 0.8, 0.0, probes=0.01) + _pod_requests(CANARY, 0.2, 0.004)
    label = canary_analysis.CANARY_POD_LABEL
    expected = [
        {"labels": f'{{service="vllm-llama", {label}="{STABLE}"}}', "value": 0},
        {"labels": f'{{service="vllm-llama", {label}="{CANARY}"}}', "value": 0.004},
    ]
    _run(workdir, dashboards.SERVER_ERROR_SHARE_BY_REPLICA_SET, pods, expected)
