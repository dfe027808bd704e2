"""Config errors speak the stack file's language: no Python class names, how to quote a number,
the nearest known key for a typo at any depth."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from components import catalog
from components.config import ConfigError, parse_spec, read_stack_config, stack_file
from servegate.cli.main import app

# Every pydantic model class of the config: none of these names may reach a user.
CLASS_NAMES = {
    "StackSpec",
    "ResidencySpec",
    "LatencySpec",
    "SlaSpec",
    "NetworkSpec",
    "ClusterSpec",
    "RegistrySpec",
    "GpuPoolSpec",
    "ReplicaSpec",
    "CanarySpec",
    "ModelSpec",
    "RateLimitSpec",
    "GatewaySpec",
    "MonitoringSpec",
    "AuditSpec",
    "BudgetSpec",
}
WRONG_VALUES = (3, 1.5, "text", True, None, [1], {"zz": 1})


def _prod_ca() -> dict[str, Any]:
    return read_stack_config(stack_file("prod-ca", catalog.PROJECT_ROOT))


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every key path of a config mapping, containers and leaves."""
    items: Any = node.items() if isinstance(node, dict) else enumerate(node)
    for key, value in items:
        yield (*prefix, key)
        if isinstance(value, dict | list):
            yield from _paths(value, (*prefix, key))


def _replaced(config: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(config)
    node: Any = changed
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return changed


def _problems(config: dict[str, Any]) -> list[str]:
    try:
        parse_spec("prod-ca", config)
    except ConfigError as error:
        return [str(p) for p in error.problems]
    return []


def test_no_class_name_reaches_a_message_for_any_wrong_value_anywhere() -> None:
    config = _prod_ca()
    paths = [p for p in _paths(config) if p[0] != "aws:region"]
    assert len(paths) > 60  # the walk reaches nested keys, not only the top level
    seen = 0
    for path in paths:
        for value in WRONG_VALUES:
            for line in _problems(_replaced(config, path, value)):
                seen += 1
                leaked = {name for name in CLASS_NAMES if name in line}
                assert not leaked, line
                assert "Input should be" not in line and "pydantic" not in line, line
    assert seen > 200


def test_a_mapping_given_a_scalar_lists_its_keys_not_its_class() -> None:
    config = _prod_ca()
    config["llm-serving:models"][0]["replicas"] = 3
    assert _problems(config) == [
        "llm-serving:models[0].replicas: 3 must be a mapping of keys (min, max, targetQueueDepth)"
    ]


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (
            ("llm-serving:cluster", "kubernetesVersion"),
            1.35,
            "llm-serving:cluster.kubernetesVersion: "
            'write it as a string, e.g. kubernetesVersion: "1.35"',
        ),
        (
            ("llm-serving:models", 0, "name"),
            8,
            'llm-serving:models[0].name: write it as a string, e.g. name: "8"',
        ),
        (
            ("llm-serving:tags", "cost-center"),
            4411,
            'llm-serving:tags.cost-center: write it as a string, e.g. cost-center: "4411"',
        ),
        (
            ("llm-serving:cluster", "endpointPublicAccessCidrs"),
            [10],
            'llm-serving:cluster.endpointPublicAccessCidrs[0]: write it as a string, e.g. "10"',
        ),
    ],
)
def test_a_number_where_a_string_is_needed_says_how_to_write_it(
    path: tuple[Any, ...], value: Any, expected: str
) -> None:
    assert _problems(_replaced(_prod_ca(), path, value)) == [expected]


@pytest.mark.parametrize(
    ("path", "typo", "suggestion"),
    [
        (("llm-serving:enviroment",), "prod", "'environment'"),
        (("llm-serving:gpuPools", 0, "diskGB"), 100, "'diskGiB'"),
        (("llm-serving:models", 0, "replicas", "minimum"), 2, "'min'"),
        (("llm-serving:models", 0, "canary", "wieght"), 10, "'weight'"),
        (("llm-serving:models", 0, "gpusperreplica"), 1, "'gpusPerReplica'"),
        (("llm-serving:sla", "latency", "ttftP59Seconds"), 1.0, "'ttftP95Seconds'"),
        (("llm-serving:gateway", "rateLimit", "tokenPerMinute"), 9, "'tokensPerMinute'"),
    ],
)
def test_unknown_keys_at_any_depth_get_a_did_you_mean_and_the_allowed_keys(
    path: tuple[Any, ...], typo: Any, suggestion: str
) -> None:
    (line,) = _problems(_replaced(_prod_ca(), path, typo))
    assert f"{path[-1]}: is not a known key; did you mean {suggestion}? (allowed: " in line
    allowed = line.split("(allowed: ")[1].rstrip(")").split(", ")
    assert suggestion.strip("'") in allowed and path[-1] not in allowed


def test_an_unknown_key_with_no_near_name_lists_the_allowed_keys() -> None:
    (line,) = _problems(_replaced(_prod_ca(), ("llm-serving:network", "zzz"), 1))
    assert line == "llm-serving:network.zzz: is not a known key (allowed: cidr, azCount)"


def test_an_empty_value_says_to_write_one() -> None:
    (line,) = _problems(_replaced(_prod_ca(), ("llm-serving:gateway", "hostname"), None))
    assert line == "llm-serving:gateway.hostname: has no value: write one"
    (line,) = _problems(_replaced(_prod_ca(), ("llm-serving:gateway", "auth"), None))
    assert line.endswith("has no value: write one, or remove the key for the default")


def _project(tmp_path: Path) -> Path:
    (tmp_path / "stacks").mkdir()
    (tmp_path / "policies").symlink_to(catalog.PROJECT_ROOT / "policies")
    return tmp_path


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda c: c["llm-serving:cluster"].update(kubernetesVersion=1.35),
            'cluster.kubernetesVersion: write it as a string, e.g. kubernetesVersion: "1.35"',
        ),
        (
            lambda c: c["llm-serving:models"][0].update(replicas=3),
            "models[0].replicas: 3 must be a mapping of keys (min, max, targetQueueDepth)",
        ),
        (
            lambda c: c["llm-serving:gpuPools"][0].update(diskGB=100),
            "gpuPools[0].diskGB: is not a known key; did you mean 'diskGiB'?",
        ),
    ],
)
def test_the_cli_prints_the_message_in_one_line_and_exits_2(
    tmp_path: Path, mutate: Any, expected: str
) -> None:
    project = _project(tmp_path)
    config = _prod_ca()
    mutate(config)
    path = project / "stacks" / "Pulumi.prod-ca.yaml"
    # Written as YAML the user would: 1.35 unquoted is a number.
    path.write_text(yaml.safe_dump({"config": config}))
    result = CliRunner().invoke(app, ["-C", str(project), "inventory", "-s", "prod-ca"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], result.output
    assert "Traceback" not in result.output
