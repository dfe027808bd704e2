"""The one table of chart and image pins: complete, sourced, and the only place pins live."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
import yaml

from components import versions
from components.config import ModelSpec

ROOT = Path(__file__).resolve().parent.parent
TABLE = yaml.safe_load(versions.VERSIONS_FILE.read_text(encoding="utf-8"))
ROWS = [
    (section, key, row)
    for section in ("charts", "images", "apis", "eks_addons")
    for key, row in TABLE[section].items()
]


@pytest.mark.parametrize(("section", "key", "row"), ROWS, ids=[f"{s}.{k}" for s, k, _ in ROWS])
def test_every_pin_names_where_and_when_it_was_checked(section: str, key: str, row: dict) -> None:
    source = row["source"]
    assert re.fullmatch(r"[\w.-]+/[\w.-]+", source["repo"]), key
    assert source["tag"], key
    assert isinstance(row["checked"], date), key
    pinned = row.get("version") or row.get("tag")
    assert pinned and "latest" not in str(pinned), key


def test_chart_versions_match_their_release_tags() -> None:
    for pin in versions.charts().values():
        tag = TABLE["charts"][pin.key]["source"]["tag"]
        assert tag.endswith(pin.version.removeprefix("v")), pin.key


def test_eks_addon_versions_are_builds_of_their_upstream_tags() -> None:
    for name, row in TABLE["eks_addons"].items():
        pin = versions.eks_addon(name)
        assert row["source"]["tag"] == row["upstream"], name
        assert re.fullmatch(rf"{re.escape(row['upstream'])}-eksbuild\.[0-9]+", pin.version), name


def test_the_default_vllm_image_is_the_pinned_release() -> None:
    default = ModelSpec.model_fields["image"].default
    assert default == versions.image("vllm").reference == "vllm/vllm-openai:v0.33.0"


def test_no_component_spells_out_a_pinned_version() -> None:
    """Chart and image pins come from the table: a literal in a component would drift from it."""
    pinned = {
        str(row.get("version") or row["tag"])
        for section, _, row in ROWS
        if section in ("charts", "images")
    }
    offenders = [
        f"{path.name}: {value}"
        for path in sorted((ROOT / "components").glob("*.py"))
        for value in pinned
        if re.search(rf"[\"':]v?{re.escape(value.removeprefix('v'))}[\"']", path.read_text())
    ]
    assert offenders == []


def test_an_unknown_pin_is_a_key_error_naming_it() -> None:
    with pytest.raises(KeyError, match="no-such-chart"):
        versions.chart("no-such-chart")


def test_new_stacks_pin_the_kubernetes_version_of_the_table() -> None:
    from servegate.scaffold import NewStack

    request = NewStack(name="x", zone="ca", region="ca-central-1")
    assert request.kubernetes_version == versions.kubernetes_version() == "1.35"
