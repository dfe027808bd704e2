"""Images by digest in sovereign stacks: the config refuses a model image without one, in one
line naming the key; pins with a digest render it; non-sovereign stacks may use a tag."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from components import catalog, versions
from components.config import ConfigError, parse_spec, read_stack_config
from servegate.cli.main import app

runner = CliRunner()
DIGEST = "sha256:" + "ab" * 32


def _config(stack: str) -> dict[str, Any]:
    return read_stack_config(catalog.PROJECT_ROOT / "stacks" / f"Pulumi.{stack}.yaml")


def _problems(stack: str, config: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_spec(stack, config)
    return [str(p) for p in caught.value.problems]


def test_a_sovereign_model_without_a_digest_is_one_error_naming_its_key() -> None:
    config = _config("prod-eu")
    config["llm-serving:models"][0]["image"] = "vllm/vllm-openai:v0.33.0"
    [problem] = _problems("prod-eu", config)
    assert problem.startswith("llm-serving:models[0].image: ")
    assert "digest" in problem


def test_the_default_image_needs_a_digest_in_a_sovereign_stack() -> None:
    config = _config("prod-eu")
    del config["llm-serving:models"][0]["image"]
    [problem] = _problems("prod-eu", config)
    assert problem.startswith("llm-serving:models[0].image: ")


def test_a_canary_image_without_a_digest_names_the_canary_key() -> None:
    config = _config("prod-ca")
    config["llm-serving:models"][0]["canary"]["image"] = "vllm/vllm-openai:v0.33.1"
    [problem] = _problems("prod-ca", config)
    assert problem.startswith("llm-serving:models[0].canary.image: ")


def test_a_malformed_digest_is_refused_anywhere() -> None:
    config = _config("dev")
    config["llm-serving:models"][0]["image"] = "vllm/vllm-openai:v0.33.0@sha256:abc"
    [problem] = _problems("dev", config)
    assert "malformed digest" in problem


def test_a_non_sovereign_stack_may_pull_by_tag() -> None:
    config = _config("dev")
    config["llm-serving:models"][0].pop("image", None)
    assert parse_spec("dev", config).models[0].image == versions.image("vllm").reference


def test_the_cli_exits_2_with_one_line(project: Path) -> None:
    path = project / "stacks" / "Pulumi.prod-eu.yaml"
    document = yaml.safe_load(path.read_text())
    document["config"]["llm-serving:models"][0]["image"] = "vllm/vllm-openai:v0.33.0"
    path.write_text(yaml.safe_dump(document))
    plan = project / "plan.json"
    plan.write_text(json.dumps({"steps": []}))
    result = runner.invoke(app, ["-C", str(project), "check", str(plan), "-s", "prod-eu"])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if "models[0].image" in line]
    assert len(lines) == 1 and "Traceback" not in result.output


def test_a_pin_with_a_digest_renders_it() -> None:
    pin = versions.ImagePin(key="x", image="amazon/aws-cli", tag="2.36.7", digest=DIGEST)
    assert pin.reference == f"amazon/aws-cli:2.36.7@{DIGEST}"
    assert versions.image("aws-cli").digest is not None
