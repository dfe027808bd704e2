"""The remaining-error-budget recording rule through promtool, on 30 days of synthetic traffic.

prod-ca promises 99.9 % availability over a 30-day window (budget 0.1 % of requests). One
sample an hour of the model's gateway counters (600,000 requests an hour) drives
``promtool test rules``:

- 0.05 % 5xx for the whole window spends half the budget: 0.5 remains;
- 0.2 % 5xx spends it twice over: -1 remains (the gate treats <= 0 as spent);
- no failures at all (Envoy never creates the 5xx counter): the whole budget remains;
- 401s spend nothing, 429s spend it like 5xx (the SLI's own definition).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from components.config import ModelSpec, StackSpec, load_stack
from components.gateway_telemetry import GatewayTelemetry
from components.slo_rules import BUDGET_REMAINING_RECORD, Objectives, build_rule_groups
from tests.gateway_metrics import telemetry
from tests.test_slo_rules_promtool import _cluster_responses, _gateway_up, _promtool

PER_HOUR = 600_000
WINDOW_HOURS = 30 * 24


@pytest.fixture(scope="module")
def spec() -> StackSpec:
    return load_stack("prod-ca")


@pytest.fixture(scope="module")
def gateway(spec: StackSpec) -> GatewayTelemetry:
    return telemetry(spec)


@pytest.fixture(scope="module")
def rules_file(
    spec: StackSpec, gateway: GatewayTelemetry, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    groups = build_rule_groups(Objectives.of(spec.sla), spec.models, gateway)
    # Only the SLO groups: the budget needs nothing else, and 720 hourly evaluations of
    # every group would make the test slow for nothing.
    slo = [g for g in groups if g["name"].startswith("servegate-slo-")]
    path = tmp_path_factory.mktemp("budget") / "rules.yaml"
    path.write_text(yaml.safe_dump({"groups": slo}))
    return path


def _window(
    gateway: GatewayTelemetry, model: ModelSpec, codes: dict[str, float]
) -> list[dict[str, str]]:
    """A window of hourly samples: share ``codes[code]`` of PER_HOUR requests an hour."""
    good = 1 - sum(codes.values())
    phases = {"200": [(good, WINDOW_HOURS)]}
    phases.update({code: [(share, WINDOW_HOURS)] for code, share in codes.items()})
    # _counter counts per_minute per step; here a step is an hour.
    series = _cluster_responses(gateway, model, phases)
    for item in series:
        item["values"] = _scaled(item["values"])
    return [_gateway_up(gateway, WINDOW_HOURS), *series]


def _scaled(values: str) -> str:
    """_counter's notation at PER_HOUR per step instead of its per-minute rate."""
    factor = PER_HOUR // 10_000
    parts = []
    for part in values.split():
        start, rest = part.split("+")
        step, count = rest.split("x")
        parts.append(f"{int(start) * factor}+{int(step) * factor}x{count}")
    return " ".join(parts)


def _remaining(
    rules_file: Path, series: list[dict[str, str]], model: ModelSpec, expected_per_mille: int
) -> None:
    test = {
        "interval": "1h",
        "input_series": series,
        "promql_expr_test": [
            {
                "expr": f'round({BUDGET_REMAINING_RECORD}{{model="{model.name}"}} * 1000)',
                "eval_time": f"{WINDOW_HOURS}h",
                "exp_samples": [
                    {
                        "labels": f'{{model="{model.name}", slo="availability", window="30d"}}',
                        "value": expected_per_mille,
                    }
                ],
            }
        ],
    }
    test_file = rules_file.with_name(f"budget-{model.name}-{expected_per_mille}.yaml")
    test_file.write_text(
        yaml.safe_dump(
            {"rule_files": [rules_file.name], "evaluation_interval": "1h", "tests": [test]}
        )
    )
    result = _promtool("test", "rules", test_file)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("codes", "per_mille"),
    [
        ({"503": 0.0005}, 500),
        ({"503": 0.002}, -1000),
        ({}, 1000),
        ({"401": 0.01, "429": 0.0003}, 700),
    ],
    ids=["half-spent", "overspent", "no-errors", "429-counts-401-does-not"],
)
def test_remaining_budget_over_the_window(
    spec: StackSpec,
    gateway: GatewayTelemetry,
    rules_file: Path,
    codes: dict[str, float],
    per_mille: int,
) -> None:
    assert spec.sla is not None and spec.sla.availability == 99.9
    model = spec.models[0]
    _remaining(rules_file, _window(gateway, model, codes), model, per_mille)


def test_budget_rule_reads_the_stack_window_and_objective(
    spec: StackSpec, gateway: GatewayTelemetry
) -> None:
    assert spec.sla is not None
    sla = spec.sla.model_copy(update={"window_days": 28, "availability": 99.5})
    rules: list[Any] = [
        rule
        for group in build_rule_groups(Objectives.of(sla), spec.models[:1], gateway)
        for rule in group["rules"]
        if rule.get("record") == BUDGET_REMAINING_RECORD
    ]
    assert len(rules) == 1
    assert rules[0]["labels"]["window"] == "28d"
    assert "rate28d" in rules[0]["expr"] and "/ 0.005" in rules[0]["expr"]
