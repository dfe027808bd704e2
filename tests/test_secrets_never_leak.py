"""No secret value from config, stack exports or Kubernetes Secrets reaches any output:
report.json, report.md, report.html, report.sarif, junit.xml, the audit log or inventory."""

from __future__ import annotations

import base64
import copy
import json
import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from components import catalog
from servegate.cli.main import app
from tests import stacks

runner = CliRunner()
FORMATS = "json,md,html,sarif,junit"
CONFIG_SECRET = "sk-canary-config-7f3a9c2e1b5d4f6a8e0c2b4d6f8a0c2e"
K8S_SECRET = "sk-canary-k8s-5e7d9b1c3a5f7e9d1b3c5a7f9e1d3b5c"
EXPORT_SECRET = "sk-live-9f8e7d"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(catalog.PROJECT_ROOT / "stacks", tmp_path / "stacks")
    (tmp_path / "policies").symlink_to(catalog.PROJECT_ROOT / "policies")
    shutil.copy(catalog.PROJECT_ROOT / "__main__.py", tmp_path / "__main__.py")
    return tmp_path


def _outputs(project: Path) -> dict[Path, str]:
    files = {p: p.read_text() for p in (project / "reports").rglob("*") if p.is_file()}
    assert {p.name for p in files} >= {
        "report.json",
        "report.md",
        "report.html",
        "report.sarif",
        "junit.xml",
        "audit.jsonl",
    }
    return files


def _assert_absent(outputs: dict[Path, str], *values: str) -> None:
    for path, text in outputs.items():
        for value in values:
            assert value not in text, f"{value} leaked into {path}"
            encoded = base64.b64encode(value.encode()).decode()
            assert encoded not in text, f"base64 of {value} leaked into {path}"


def test_secret_config_reaches_the_program_but_no_output(project: Path) -> None:
    path = project / "stacks" / "Pulumi.prod-ca.yaml"
    document = yaml.safe_load(path.read_text())
    document["config"]["llm-serving:gatewayApiKeys"] = json.dumps({"team-a": CONFIG_SECRET})
    path.write_text(yaml.safe_dump(document))

    inventory = runner.invoke(app, ["-C", str(project), "inventory", "-s", "prod-ca"])
    assert inventory.exit_code == 0, inventory.output
    assert CONFIG_SECRET not in inventory.output
    secrets = [
        r
        for r in json.loads(inventory.output)["resources"]
        if r["type"] == "kubernetes:core/v1:Secret"
    ]
    # The configured keys were used (no placeholder annotation) and show as "[secret]".
    assert secrets and all(
        "servegate.io/rotate" not in r["props"]["metadata"].get("annotations", {}) for r in secrets
    )
    assert all(r["props"]["stringData"] == "[secret]" for r in secrets)

    result = runner.invoke(
        app, ["-C", str(project), "preview", "-s", "prod-ca", "--format", FORMATS]
    )
    assert result.exit_code == 0, result.output
    _assert_absent(_outputs(project), CONFIG_SECRET)
    assert CONFIG_SECRET not in result.output


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
