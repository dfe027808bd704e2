"""`servegate new-stack`: the stack files it writes (CI pipelines: test_ci_pipelines.py)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from components import catalog
from components.config import load_stack
from servegate.cli.main import app
from tests.stacks import names as known_stacks

runner = CliRunner()


def _run(project: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["--project-dir", str(project), *args])
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("zone", "region", "extra"),
    [("ca", "ca-central-1", ["--air-gapped"]), ("eu", "eu-west-1", []), ("us", "us-west-2", [])],
)
def test_new_stack_writes_a_config_that_passes_its_gate(
    project: Path, zone: str, region: str, extra: list[str]
) -> None:
    code, output = _run(
        project, "new-stack", f"new-{zone}", "--zone", zone, "--region", region, *extra
    )
    assert code == 0, output
    spec = load_stack(f"new-{zone}", project)
    assert (spec.residency.zone, spec.region) == (zone, region)
    assert spec.residency.air_gapped is bool(extra)
    assert spec.models[0].replicas.min >= spec.replica_floor
    # The new stack passes its own gate offline.
    code, output = _run(project, "preview", "-s", f"new-{zone}", "--format", "json")
    assert code == 0, output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["x", "--zone", "mars", "--region", "ca-central-1"], "--zone 'mars' is not a known zone"),
        (["x", "--zone", "ca", "--region", "us-east-1"], "--region 'us-east-1' is not in zone ca"),
        (["Bad_Name", "--zone", "ca", "--region", "ca-central-1"], "use lowercase letters"),
        (["prod-ca", "--zone", "ca", "--region", "ca-central-1"], "already exists"),
    ],
)
def test_new_stack_rejects_bad_input_in_one_line(
    project: Path, args: list[str], message: str
) -> None:
    code, output = _run(project, "new-stack", *args)
    assert code == 2
    assert message in output
    assert "Traceback" not in output


@pytest.mark.parametrize(
    ("name", "extra", "environment"),
    [
        ("prod-ca2", [], "prod"),
        ("staging-ca", [], "staging"),
        ("dev2", [], "dev2"),
        ("prod-ca3", ["--environment", "qa"], "qa"),
    ],
)
def test_new_stack_environment_defaults_to_the_names_first_part(
    project: Path, name: str, extra: list[str], environment: str
) -> None:
    code, output = _run(
        project, "new-stack", name, "--zone", "ca", "--region", "ca-central-1", *extra
    )
    assert code == 0, output
    assert load_stack(name, project).environment == environment


def test_new_stack_rejects_a_bad_environment(project: Path) -> None:
    code, output = _run(
        project, "new-stack", "x", "--zone", "ca", "--region", "ca-central-1",
        "--environment", "Prod_1",
    )  # fmt: skip
    assert code == 2
    assert output.strip() == "error: --environment 'Prod_1': use lowercase letters, digits and '-'"


def test_every_zone_has_a_sovereign_flag_and_new_stacks_follow_it(project: Path) -> None:
    assert set(catalog.zone_sovereignty()) == set(catalog.zones())
    for zone, regions in catalog.zones().items():
        name = f"flag-{zone}"
        code, output = _run(project, "new-stack", name, "--zone", zone, "--region", regions[0])
        assert code == 0, output
        expected = catalog.zone_sovereignty()[zone]
        assert load_stack(name, project).residency.sovereign is expected
    assert catalog.zone_sovereignty()["ca"] and not catalog.zone_sovereignty()["us"]


def test_new_stack_without_an_sla(project: Path) -> None:
    code, output = _run(
        project, "new-stack", "lab-ca", "--zone", "ca", "--region", "ca-central-1", "--no-sla"
    )
    assert code == 0, output
    spec = load_stack("lab-ca", project)
    assert spec.sla is None and spec.replica_floor == 1
    assert spec.models[0].replicas.min == 1
    code, output = _run(
        project, "new-stack", "lab-ca2", "--zone", "ca", "--region", "ca-central-1",
        "--no-sla", "--availability", "99.9",
    )  # fmt: skip
    assert code == 2 and "--no-sla and --availability contradict each other" in output
    assert not (project / "stacks" / "Pulumi.lab-ca2.yaml").exists()


def test_each_new_stack_gets_a_network_no_other_stack_uses(project: Path) -> None:
    import ipaddress

    for index in range(3):
        code, output = _run(
            project, "new-stack", f"net-{index}", "--zone", "eu", "--region", "eu-west-1"
        )
        assert code == 0, output
    blocks = [
        ipaddress.IPv4Network(str(load_stack(stack, project).network.cidr))
        for stack in known_stacks(project)
    ]
    assert len(blocks) == len(known_stacks(project)) >= 6
    for i, block in enumerate(blocks):
        assert not any(block.overlaps(other) for other in blocks[i + 1 :]), blocks
    # Overwriting a stack keeps the CIDR choice free of its own old value only.
    before = load_stack("net-0", project).network.cidr
    code, output = _run(
        project, "new-stack", "net-0", "--zone", "eu", "--region", "eu-west-1", "--force"
    )
    assert code == 0, output
    assert load_stack("net-0", project).network.cidr == before


def _aud_010(project: Path, stack: str) -> list[dict[str, Any]]:
    import json

    code, output = _run(project, "preview", "-s", stack, "--format", "json")
    assert code == 0, output  # advisory: the gate still passes
    report = json.loads((project / "reports" / stack / "report.json").read_text())
    return [f for f in report["findings"] if f["rule_id"] == "AUD-010"]


def test_new_stack_placeholders_are_flagged_until_replaced(project: Path) -> None:
    code, output = _run(
        project, "new-stack", "prod-ca9", "--zone", "ca", "--region", "ca-central-1",
        "--air-gapped",
    )  # fmt: skip
    assert code == 0, output
    text = (project / "stacks" / "Pulumi.prod-ca9.yaml").read_text()
    assert "111122223333.dkr.ecr.ca-central-1.amazonaws.com" in text
    assert "cost-center: unassigned" in text
    findings = _aud_010(project, "prod-ca9")
    assert all(f["enforcement"] == "advisory" for f in findings)
    values = {f["evidence"]["value"] for f in findings}
    digest = catalog.placeholders()["image_digests"][0]  # a sovereign stack's vLLM image
    assert values == {"111122223333", "unassigned", digest}
    kinds = {str(f["resource_type"]) for f in findings}
    assert "kubernetes:apps/v1:Deployment" in kinds  # the image host
    assert "kubernetes:helm.sh/v3:Release" in kinds  # the chart registry
    assert "pulumi:providers:aws" in kinds  # the default cost-center tag
    # Replaced by the owner's values: nothing left to flag.
    path = project / "stacks" / "Pulumi.prod-ca9.yaml"
    path.write_text(
        text.replace("111122223333", "210987654321")
        .replace("cost-center: unassigned", "cost-center: cc-7001")
        .replace(digest, "sha256:" + "5e" * 32)
    )
    assert _aud_010(project, "prod-ca9") == []


def test_a_cost_center_given_on_the_command_line_is_not_a_placeholder(project: Path) -> None:
    code, output = _run(
        project, "new-stack", "prod-us9", "--zone", "us", "--region", "us-east-1",
        "--cost-center", "cc-1234",
    )  # fmt: skip
    assert code == 0, output
    text = (project / "stacks" / "Pulumi.prod-us9.yaml").read_text()
    assert "cost-center: cc-1234" in text and "TODO: your cost center" not in text
    assert _aud_010(project, "prod-us9") == []


def test_a_new_stack_runs_through_every_stack_iterating_test(tmp_path: Path) -> None:
    """Copy the project, add a stack with new-stack, run the tests that iterate over
    stacks/ in a fresh pytest: each has a case for the new stack and every one passes."""
    import os
    import subprocess
    import sys

    root = catalog.PROJECT_ROOT
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "reports")
    for folder in ("components", "servegate", "policies", "stacks", "tests", "docs"):
        shutil.copytree(root / folder, tmp_path / folder, ignore=ignore)
    for file in ("Pulumi.yaml", "__main__.py", "pyproject.toml", "tasks.py"):
        shutil.copy(root / file, tmp_path / file)
    # The tools' virtualenvs (Checkov) are the checkout's; the copy uses them as they are.
    if (root / ".tools").exists():
        (tmp_path / ".tools").symlink_to(root / ".tools")
    code, output = _run(tmp_path, "new-stack", "extra-eu", "--zone", "eu", "--region", "eu-west-1")
    assert code == 0, output
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    result = subprocess.run(  # noqa: S603 - our own interpreter on our own tests
        [sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider",
         "-k", "extra-eu", "tests"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    tail = result.stdout[-3000:] + result.stderr[-2000:]
    assert result.returncode == 0, tail
    new_stack_cases = [
        line for line in result.stdout.splitlines() if "[extra-eu]" in line and "PASSED" in line
    ]
    # test_stacks_offline, test_render_validate, test_config, components/test_vllm, ...
    assert len(new_stack_cases) >= 8, tail
