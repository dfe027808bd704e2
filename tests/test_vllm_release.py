"""The vLLM flags the model servers pass and the vLLM metrics the components query exist in
the pinned vLLM release (tests/fixtures/vllm_v0.33.0.yaml, read from that release)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from components import versions
from tests import stacks

ROOT = Path(__file__).resolve().parent.parent
RELEASE = yaml.safe_load((ROOT / "tests" / "fixtures" / "vllm_v0.33.0.yaml").read_text())
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}


def _known_flags() -> set[str]:
    flags = set(RELEASE["engine_flags"]) | set(RELEASE["frontend_flags"])
    return flags | {f"--no-{flag.removeprefix('--')}" for flag in RELEASE["boolean_flags"]}


def _exported_series() -> set[str]:
    """Series names as scraped, plus each metric's own name (components append the suffix)."""
    return set(RELEASE["metrics"]) | {
        f"{name}{suffix}" for name, kind in RELEASE["metrics"].items() for suffix in SUFFIXES[kind]
    }


def test_the_fixture_is_the_pinned_release() -> None:
    assert f"v{RELEASE['release'].removeprefix('v')}" == versions.image("vllm").tag


@pytest.mark.parametrize("stack", stacks.SHIPPED)
def test_every_flag_the_model_servers_pass_exists_in_the_release(stack: str) -> None:
    servers = [
        d
        for d in stacks.of_type(stack, "kubernetes:apps/v1:Deployment")
        if d["props"]["metadata"]["labels"].get("servegate.io/role") == "model-server"
    ]
    assert servers
    for server in servers:
        (container,) = [
            c
            for c in server["props"]["spec"]["template"]["spec"]["containers"]
            if c["name"] == "vllm"
        ]
        assert container["command"][:2] == ["vllm", "serve"]
        flags = {arg.partition("=")[0] for arg in container["args"]}
        assert flags and flags <= _known_flags(), flags - _known_flags()


def test_every_vllm_series_the_components_query_is_exported_by_the_release() -> None:
    used = {
        match
        for path in sorted((ROOT / "components").glob("*.py"))
        for match in re.findall(r"vllm:[a-z0-9_]+", path.read_text())
    }
    assert used, "the components query no vLLM series"
    assert used <= _exported_series(), used - _exported_series()


def test_a_renamed_metric_would_be_caught() -> None:
    assert "vllm:gpu_cache_usage_perc" not in _exported_series()  # removed with the v0 engine
    assert "vllm:kv_cache_usage_perc" in _exported_series()
