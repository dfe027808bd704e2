"""``auth: api-key`` needs a key source: without one the stack is a config error (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from components.config import ConfigError, parse_spec
from servegate.cli.main import app

runner = CliRunner()


def _prod_ca(project: Path) -> tuple[Path, dict[str, Any]]:
    path = project / "stacks" / "Pulumi.prod-ca.yaml"
    return path, yaml.safe_load(path.read_text())


def _problems(config: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as error:
        parse_spec("prod-ca", config)
    return [str(p) for p in error.value.problems]


def test_api_key_auth_without_a_key_source_exits_2_with_one_line(project: Path) -> None:
    path, document = _prod_ca(project)
    del document["config"]["llm-serving:gateway"]["apiKeys"]
    path.write_text(yaml.safe_dump(document))
    result = runner.invoke(app, ["-C", str(project), "preview", "-s", "prod-ca"])
    assert result.exit_code == 2, result.output
    (line,) = [line for line in result.output.splitlines() if "gateway.apiKeys" in line]
    assert line.endswith(
        "llm-serving:gateway.apiKeys: is required when gateway.auth is api-key (source: "
        "secrets-manager with clients, or source: pulumi-config with "
        "llm-serving:gatewayApiKeys set by pulumi config set --secret)"
    )
    assert "Traceback" not in result.output


def test_pulumi_config_source_needs_the_secret_config(project: Path) -> None:
    _, document = _prod_ca(project)
    config = document["config"]
    config["llm-serving:gateway"]["apiKeys"] = {"source": "pulumi-config"}
    (problem,) = _problems(config)
    assert problem.startswith(
        "llm-serving:gatewayApiKeys: is required when gateway.apiKeys.source is pulumi-config"
    )
    # Set (even encrypted, as pulumi config set --secret writes it): a key source.
    config["llm-serving:gatewayApiKeys"] = {"secure": "v1:AAAA"}
    assert parse_spec("prod-ca", config).gateway.api_keys is not None


@pytest.mark.parametrize(
    ("api_keys", "expected"),
    [
        ({"source": "secrets-manager"}, "llm-serving:gateway.apiKeys.clients: needs at least one"),
        (
            {"source": "secrets-manager", "clients": ["a", "a"]},
            "llm-serving:gateway.apiKeys.clients: lists a client id twice",
        ),
        (
            {"source": "pulumi-config", "clients": ["a"]},
            "llm-serving:gateway.apiKeys.clients: is for secrets-manager",
        ),
        ({"source": "vault"}, "llm-serving:gateway.apiKeys.source:"),
        (
            {"source": "secrets-manager", "clients": ["Team A"]},
            "llm-serving:gateway.apiKeys.clients[0]:",
        ),
    ],
)
def test_bad_key_sources_name_the_key(
    project: Path, api_keys: dict[str, Any], expected: str
) -> None:
    _, document = _prod_ca(project)
    config = document["config"]
    config["llm-serving:gateway"]["apiKeys"] = api_keys
    config["llm-serving:gatewayApiKeys"] = json.dumps({"a": "k" * 40})
    problems = _problems(config)
    assert any(p.startswith(expected) for p in problems), problems


def test_oidc_needs_no_api_key_source(project: Path) -> None:
    _, document = _prod_ca(project)
    gateway = document["config"]["llm-serving:gateway"]
    del gateway["apiKeys"]
    gateway.update({"auth": "oidc", "oidcIssuer": "https://auth.example.ca"})
    assert parse_spec("prod-ca", document["config"]).gateway.api_keys is None
