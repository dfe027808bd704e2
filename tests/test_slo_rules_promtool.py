"""prod-ca's rule groups through promtool: they load, and burn-rate alerts fire when they should.

Synthetic vLLM counters at 10,000 finished requests a minute (one sample a minute) drive
``promtool test rules``. prod-ca promises 99.9% availability (budget 0.1%), so:

- 20% errors for an hour burns 200x: every window pair fires, the fast page included;
- 0.5% errors for two hours burns 5x: the 1d/2h (3x) and 3d/6h (1x) tickets fire, while
  the pages (14.4x, 6x) stay silent;
- 0.01% errors burns 0.1x: nothing fires.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.config import ModelSpec, StackSpec, load_stack
from components.slo_rules import BURN_WINDOWS, build_rule_groups
from tests.tooling import require_tool

PER_MINUTE = 10_000
AVAILABILITY_ALERT = "ModelAvailabilityBurnRate"


@pytest.fixture(scope="module")
def spec() -> StackSpec:
    return load_stack("prod-ca")


@pytest.fixture(scope="module")
def rules_file(spec: StackSpec, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("promtool") / "rules.yaml"
    path.write_text(yaml.safe_dump({"groups": build_rule_groups(spec, spec.models)}))
    return path


def _promtool(*args: str | Path) -> subprocess.CompletedProcess[str]:
    promtool = require_tool("promtool")
    return subprocess.run(
        [promtool, *map(str, args)], capture_output=True, text=True, timeout=300, check=False
    )


def _counter(phases: list[tuple[int, int]]) -> str:
    """promtool expanding notation for a counter: (increase per minute, minutes) phases."""
    parts, value = [], 0
    for step, minutes in phases:
        parts.append(f"{value}+{step}x{minutes}")
        value += step * minutes
    return " ".join(parts)


def _requests(model: ModelSpec, phases: list[tuple[float, int]]) -> list[dict[str, str]]:
    """Finished-request counters for (error share, minutes) phases, split stop/abort."""
    bad = [(round(PER_MINUTE * share), minutes) for share, minutes in phases]
    good = [(PER_MINUTE - errors, minutes) for errors, minutes in bad]
    return [
        {
            "series": (
                f'vllm:request_success_total{{model_name="{model.served_model_name}",'
                f'finished_reason="{reason}",engine="0",pod="{model.name}-0"}}'
            ),
            "values": _counter(counts),
        }
        for reason, counts in (("stop", good), ("abort", bad))
    ]


def _healthy_gauges(model: ModelSpec, minutes: int) -> list[dict[str, str]]:
    labels = f'model_name="{model.served_model_name}",engine="0",pod="{model.name}-0"'
    return [
        {"series": f"vllm:num_requests_waiting{{{labels}}}", "values": f"1x{minutes}"},
        {"series": f"vllm:kv_cache_usage_perc{{{labels}}}", "values": f"0.4x{minutes}"},
    ]


def _burn_alerts(rule_groups: list[dict[str, Any]], model: str, windows: set[str]) -> list[Any]:
    """Expected firing availability alerts of ``model`` for the given burn windows."""
    return [
        {
            "exp_labels": {"alertname": AVAILABILITY_ALERT, **rule["labels"]},
            "exp_annotations": rule["annotations"],
        }  # fmt: skip
        for group in rule_groups
        for rule in group["rules"]
        if rule.get("alert") == AVAILABILITY_ALERT
        and rule["labels"]["model"] == model
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


def test_rules_pass_promtool_check(rules_file: Path) -> None:
    result = _promtool("check", "rules", rules_file)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_error_spike_fires_the_fast_burn_page(spec: StackSpec, rules_file: Path) -> None:
    llama, mixtral = spec.models
    groups = build_rule_groups(spec, spec.models)
    all_windows = {f"{b.long}-{b.short}" for b in BURN_WINDOWS}
    series = [
        *_requests(llama, [(0.0001, 60), (0.20, 60)]),
        *_requests(mixtral, [(0.0001, 120)]),
    ]
    fast = _burn_alerts(groups, llama.name, {"1h-5m"})
    assert fast and fast[0]["exp_labels"]["severity"] == "page"
    _run_tests(
        rules_file,
        [
            {
                "interval": "1m",
                "input_series": series,
                "alert_rule_test": [
                    # Before the spike: healthy.
                    {"eval_time": "55m", "alertname": AVAILABILITY_ALERT, "exp_alerts": []},
                    # An hour into the spike every window pair burns, only for llama.
                    {
                        "eval_time": "120m",
                        "alertname": AVAILABILITY_ALERT,
                        "exp_alerts": _burn_alerts(groups, llama.name, all_windows),
                    },
                ],
            }
        ],
    )


def test_slow_burn_opens_tickets_but_pages_nobody(spec: StackSpec, rules_file: Path) -> None:
    llama = spec.models[0]
    groups = build_rule_groups(spec, spec.models)
    tickets = _burn_alerts(groups, llama.name, {"1d-2h", "3d-6h"})
    assert {a["exp_labels"]["severity"] for a in tickets} == {"ticket"}
    _run_tests(
        rules_file,
        [
            {
                "interval": "1m",
                "input_series": _requests(llama, [(0.005, 120)]),
                "alert_rule_test": [
                    {"eval_time": "110m", "alertname": AVAILABILITY_ALERT, "exp_alerts": tickets}
                ],
            }
        ],
    )


def test_healthy_traffic_fires_nothing(spec: StackSpec, rules_file: Path) -> None:
    groups = build_rule_groups(spec, spec.models)
    minutes = 180
    series = [
        s
        for model in spec.models
        for s in (*_requests(model, [(0.0001, minutes)]), *_healthy_gauges(model, minutes))
    ]
    alertnames = sorted({r["alert"] for g in groups for r in g["rules"] if "alert" in r})
    assert AVAILABILITY_ALERT in alertnames and "ModelMetricsAbsent" in alertnames
    _run_tests(
        rules_file,
        [
            {
                "interval": "1m",
                "input_series": series,
                "alert_rule_test": [
                    {"eval_time": at, "alertname": name, "exp_alerts": []}
                    for at in ("30m", "90m", "170m")
                    for name in alertnames
                ],
            }
        ],
    )
