"""No secret value from config, stack exports or Kubernetes Secrets reaches any output:
report.json, report.md, report.html, report.sarif, junit.xml, the audit log, the terminal
or the inventory. Fixed canaries first, then properties over random secret values."""

from __future__ import annotations

import base64
import copy
import json
import shutil
import string
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from components import catalog
from servegate.cli.main import app
from servegate.plan import offline
from servegate.report import writer
from tests import stacks

runner = CliRunner()
# Every format the writer knows.
FORMATS = ",".join(writer.FORMATS)
CONFIG_SECRET = "sk-canary-config-7f3a9c2e1b5d4f6a8e0c2b4d6f8a0c2e"
K8S_SECRET = "sk-canary-k8s-5e7d9b1c3a5f7e9d1b3c5a7f9e1d3b5c"
EXPORT_SECRET = "sk-live-9f8e7d"
# How the Pulumi engine marks a secret value in what the SDK sends it.
SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"


def _outputs(project: Path) -> dict[Path, str]:
    files = {p: p.read_text() for p in (project / "reports").rglob("*") if p.is_file()}
    assert {p.name for p in files} >= {name for name, _ in writer.RENDERERS.values()} | {
        "audit.jsonl"
    }
    return files


def _assert_absent(outputs: dict[Path, str], *values: str) -> None:
    for path, text in outputs.items():
        for value in values:
            assert value not in text, f"{value} leaked into {path}"
            encoded = base64.b64encode(value.encode()).decode()
            assert encoded not in text, f"base64 of {value} leaked into {path}"


def _with_config_keys(project: Path, keys: dict[str, str]) -> None:
    """prod-ca with its API keys from Pulumi secret config (gateway.apiKeys pulumi-config)."""
    path = project / "stacks" / "Pulumi.prod-ca.yaml"
    document = yaml.safe_load((catalog.PROJECT_ROOT / "stacks" / "Pulumi.prod-ca.yaml").read_text())
    document["config"]["llm-serving:gateway"]["apiKeys"] = {"source": "pulumi-config"}
    document["config"]["llm-serving:gatewayApiKeys"] = json.dumps(keys)
    path.write_text(yaml.safe_dump(document))


def test_secret_config_reaches_the_secret_but_no_output(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On the mock engine the configured key reaches the API-key Secret's data (what the
    engine would send the cluster); no report, audit line, terminal line or inventory has it."""
    _with_config_keys(project, {"team-a": CONFIG_SECRET})
    sent: list[dict[str, Any]] = []
    record = offline._EchoMocks.new_resource

    def new_resource(self: Any, args: Any) -> tuple[str, dict[str, Any]]:
        if args.typ == "kubernetes:core/v1:Secret":
            sent.append(args.inputs)
        return record(self, args)

    monkeypatch.setattr(offline._EchoMocks, "new_resource", new_resource)

    result = runner.invoke(
        app, ["-C", str(project), "preview", "-s", "prod-ca", "--format", FORMATS]
    )
    assert result.exit_code == 0, result.output
    (api_keys,) = [s for s in sent if s["metadata"]["name"] == "prod-ca-gateway-api-keys"]
    # Sent as a Pulumi secret (the engine's signature), holding the credential in full.
    assert api_keys["stringData"] == {
        SECRET_SIG_KEY: SECRET_SIG,
        "value": {"team-a": f"Bearer {CONFIG_SECRET}"},
    }
    _assert_absent(_outputs(project), CONFIG_SECRET)
    assert CONFIG_SECRET not in result.output

    inventory = runner.invoke(app, ["-C", str(project), "inventory", "-s", "prod-ca"])
    assert inventory.exit_code == 0, inventory.output
    assert CONFIG_SECRET not in inventory.output
    (secret,) = [
        r
        for r in json.loads(inventory.output)["resources"]
        if r["type"] == "kubernetes:core/v1:Secret"
        and r["props"]["metadata"]["name"] == "prod-ca-gateway-api-keys"
    ]
    assert secret["props"]["stringData"] == "[secret]"


def test_an_encrypted_key_source_the_offline_run_cannot_read_fails_closed(project: Path) -> None:
    _with_config_keys(project, {"team-a": CONFIG_SECRET})
    path = project / "stacks" / "Pulumi.prod-ca.yaml"
    document = yaml.safe_load(path.read_text())
    document["config"]["llm-serving:gatewayApiKeys"] = {"secure": "v1:AAAA"}
    path.write_text(yaml.safe_dump(document))
    result = runner.invoke(app, ["-C", str(project), "preview", "-s", "prod-ca"])
    assert result.exit_code == 2, result.output
    assert "llm-serving:gatewayApiKeys: is encrypted and the offline run cannot decrypt it" in (
        result.output
    )
    assert "Traceback" not in result.output


def test_kubernetes_secret_values_in_a_preview_never_leak(project: Path) -> None:
    plan = copy.deepcopy(stacks.preview_document("prod-ca"))
    secret = next(
        s["newState"]
        for s in plan["steps"]
        if s.get("newState", {}).get("type") == "kubernetes:core/v1:Secret"
    )
    secret["inputs"]["stringData"] = {"token": K8S_SECRET}
    secret["inputs"]["data"] = {"token": base64.b64encode(K8S_SECRET.encode()).decode()}
    # A violation on the same object makes its evidence part of every report.
    secret["inputs"]["metadata"].setdefault("labels", {})["servegate.io/role"] = "model-server"
    plan_path = project / "plan.json"
    plan_path.write_text(json.dumps(plan))
    result = runner.invoke(
        app, ["-C", str(project), "check", str(plan_path), "-s", "prod-ca", "--format", FORMATS]
    )
    assert result.exit_code in (0, 1), result.output
    _assert_absent(_outputs(project), K8S_SECRET)
    assert K8S_SECRET not in result.output


def test_stack_export_secrets_never_leak(project: Path) -> None:
    export = Path(__file__).parent / "fixtures" / "plans" / "export-prod-ca.json"
    assert EXPORT_SECRET in export.read_text()  # the fixture really carries the plaintext
    result = runner.invoke(
        app, ["-C", str(project), "check", str(export), "-s", "prod-ca", "--format", FORMATS]
    )
    assert result.exit_code in (0, 1), result.output
    _assert_absent(_outputs(project), EXPORT_SECRET)
    inventory = runner.invoke(
        app, ["-C", str(project), "inventory", "-s", "prod-ca", "--plan", str(export)]
    )
    assert inventory.exit_code == 0 and EXPORT_SECRET not in inventory.output


# --- properties: random secret values, every output -----------------------------------------

# Characters every output format writes as they are (no JSON, HTML or XML escaping), so a
# leak cannot hide behind an encoding; varied enough never to occur in a report by chance;
# 32+ characters, as the gateway requires of an API key.
secret_values = st.text(
    alphabet=string.ascii_letters + string.digits + "-_.", min_size=32, max_size=64
).filter(lambda value: len(set(value)) >= 10)


def _examples(count: int) -> settings:
    # Each example runs the gate (and one offline program run for config): a few suffice
    # for random values, where the canaries above pin the known cases.
    return settings(
        max_examples=count,
        deadline=None,
        database=None,
        # No shrinking: every example is a whole gate run, and any leak is a bug as found.
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


def _fresh_reports(project: Path) -> None:
    shutil.rmtree(project / "reports", ignore_errors=True)


def _gate_and_inventory(project: Path, plan: Path) -> str:
    """Gate ``plan`` in every format and print its inventory; the terminal output of both."""
    result = runner.invoke(
        app, ["-C", str(project), "check", str(plan), "-s", "prod-ca", "--format", FORMATS]
    )
    assert result.exit_code in (0, 1), result.output
    inventory = runner.invoke(
        app, ["-C", str(project), "inventory", "-s", "prod-ca", "--plan", str(plan)]
    )
    assert inventory.exit_code == 0, inventory.output
    return result.output + inventory.output


@_examples(5)
@given(api_key=secret_values, token=secret_values, config_key=secret_values)
def test_random_secrets_in_a_preview_never_leak(
    project: Path, api_key: str, token: str, config_key: str
) -> None:
    """Kubernetes Secret data (plain and base64), and a secret config value the preview
    printed in plain text, reach no report, log line, terminal line or inventory."""
    _fresh_reports(project)
    plan = copy.deepcopy(stacks.preview_document("prod-ca"))
    plan["config"]["llm-serving:gatewayApiKeys"] = json.dumps({"team-a": config_key})
    secret = next(
        s["newState"]
        for s in plan["steps"]
        if s.get("newState", {}).get("type") == "kubernetes:core/v1:Secret"
    )
    secret["inputs"]["stringData"] = {"api-key": api_key}
    secret["inputs"]["data"] = {"token": base64.b64encode(token.encode()).decode()}
    # A violation on the Secret itself puts its evidence in every report.
    secret["inputs"]["metadata"].setdefault("labels", {})["servegate.io/role"] = "model-server"
    path = project / "plan.json"
    path.write_text(json.dumps(plan))
    terminal = _gate_and_inventory(project, path)
    _assert_absent(_outputs(project), api_key, token, config_key)
    for value in (api_key, token, config_key):
        assert value not in terminal


@_examples(4)
@given(value=secret_values)
def test_random_stack_export_secrets_never_leak(project: Path, value: str) -> None:
    _fresh_reports(project)
    export = Path(__file__).parent / "fixtures" / "plans" / "export-prod-ca.json"
    path = project / "export.json"
    path.write_text(export.read_text().replace(EXPORT_SECRET, value))
    assert value in path.read_text()
    terminal = _gate_and_inventory(project, path)
    _assert_absent(_outputs(project), value)
    assert value not in terminal


@_examples(2)
@given(value=secret_values)
def test_random_secret_stack_config_never_leaks_offline(project: Path, value: str) -> None:
    """A secret config key's value, run through the program offline: in no output."""
    _fresh_reports(project)
    _with_config_keys(project, {"team-a": value})
    result = runner.invoke(
        app, ["-C", str(project), "preview", "-s", "prod-ca", "--format", FORMATS]
    )
    assert result.exit_code == 0, result.output
    inventory = runner.invoke(app, ["-C", str(project), "inventory", "-s", "prod-ca"])
    assert inventory.exit_code == 0
    _assert_absent(_outputs(project), value)
    assert value not in result.output and value not in inventory.output


def test_generated_tls_keys_reach_their_secrets_but_no_output(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Redis CA's and certificates' private keys (made up by the mock engine, as the TLS
    provider would compute them) reach the kubernetes.io/tls Secrets as Pulumi secrets; no
    report, audit line, terminal line or inventory has any of them."""
    keys: list[str] = []
    sent: list[dict[str, Any]] = []
    record = offline._EchoMocks.new_resource

    def new_resource(self: Any, args: Any) -> tuple[str, dict[str, Any]]:
        resource_id, outputs = record(self, args)
        if args.typ == "tls:index/privateKey:PrivateKey":
            keys.append(outputs["privateKeyPem"])
        if args.typ == "kubernetes:core/v1:Secret" and args.inputs["type"] == "kubernetes.io/tls":
            sent.append(args.inputs)
        return resource_id, outputs

    monkeypatch.setattr(offline._EchoMocks, "new_resource", new_resource)
    result = runner.invoke(
        app, ["-C", str(project), "preview", "-s", "prod-ca", "--format", FORMATS]
    )
    assert result.exit_code == 0, result.output
    # A CA, the Redis server's and the rate-limit service's keys, each in a Secret (the CA's in
    # none: it only signs).
    assert len(set(keys)) == 3
    in_secrets = set()
    for secret in sent:
        assert secret["stringData"][SECRET_SIG_KEY] == SECRET_SIG
        in_secrets.add(secret["stringData"]["value"]["tls.key"])
    assert len(in_secrets) == 2 and in_secrets < set(keys)
    # The base64 body alone, too: a leak may have lost the PEM armour or line breaks.
    bodies = [key.splitlines()[1] for key in keys]
    _assert_absent(_outputs(project), *keys, *bodies)
    for value in (*keys, *bodies):
        assert value not in result.output

    # The inventory runs the program again: the mock engine makes that run's keys afresh.
    keys.clear()
    inventory = runner.invoke(app, ["-C", str(project), "inventory", "-s", "prod-ca"])
    assert inventory.exit_code == 0, inventory.output
    assert len(set(keys)) == 3
    for key in keys:
        assert key.splitlines()[1] not in inventory.output
    resources = json.loads(inventory.output)["resources"]
    csrs = [r for r in resources if r["type"] == "tls:index/certRequest:CertRequest"]
    assert len(csrs) == 2 and all(r["props"]["privateKeyPem"] == "[secret]" for r in csrs)
