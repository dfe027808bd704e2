"""prod-ca's rendered canary analysis through promtool: a canary's spike fails it, health passes.

The queries and bounds are read from the AnalysisTemplate the stack renders (what Argo
Rollouts will run), evaluated by ``promtool test rules`` on synthetic gateway series of the
model's route (10,000 requests a minute; stable and canary answer through its one cluster)
as ``(<query>) > bool <bound>``: 1 is a failed measurement (the run fails, the Rollout aborts
and rolls back), 0 a passing one. No series at all gives no sample: neither condition holds,
the measurement is inconclusive and the Rollout pauses.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

from components import canary_analysis
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
    test = {
        "interval": "1m",
        "input_series": series,
        "promql_expr_test": [
            {"expr": f"({query}) > bool {bound!r}", "eval_time": "25m", "exp_samples": expected}
        ],
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
    assert set(rendered) == {"error-ratio", "ttft-slow-ratio", "e2e-slow-ratio"}
    assert rendered["error-ratio"][1] == pytest.approx(1 - spec.sla.availability / 100)
    assert rendered["ttft-slow-ratio"][1] == pytest.approx(0.05)
    assert rendered["e2e-slow-ratio"][1] == pytest.approx(0.05)


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
