"""The policy bundle: modules, data, rules, queries and the policies hash."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from servegate.policy import PolicyError
from servegate.policy.bundle import load_bundle, packages_of_tests

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "rego" / "policies"


@pytest.fixture
def policies(tmp_path: Path) -> Path:
    root = tmp_path / "policies"
    shutil.copytree(FIXTURES, root)
    # The shipped library without its own tests: the demo bundle's tests are the ones counted.
    shutil.copytree(
        ROOT / "policies" / "lib",
        root / "lib",
        ignore=shutil.ignore_patterns("*_test.rego", "*test_kit.rego"),
    )
    return root


def test_bundle_contents(policies: Path) -> None:
    bundle = load_bundle(policies)
    libraries = {
        f"lib/{p.name}"
        for p in (ROOT / "policies" / "lib").glob("*.rego")
        if not p.stem.endswith(("_test", "test_kit"))
    }
    demo = {"demo/demo.rego", "demo/demo_002_small_stacks.rego"}
    assert set(bundle.modules) == demo | {"lib/inventory.rego"} | libraries
    assert set(bundle.test_modules) == {"demo/demo_test.rego"}
    assert bundle.data == {"params": {"limits": {"max_resources": 2}}}
    assert bundle.packages == ("demo",)
    assert bundle.queries == ["data.demo.deny"]
    assert [(r.id, r.test_cases) for r in bundle.rules] == [("DEMO-001", 3), ("DEMO-002", 1)]
    assert packages_of_tests(bundle) == {"demo/demo_test.rego": "demo_test"}


def test_hash_is_stable_and_follows_data_and_policy_changes(policies: Path) -> None:
    first = load_bundle(policies).sha256
    assert load_bundle(policies).sha256 == first
    limits = policies / "data" / "limits.yaml"
    limits.write_text("max_resources: 3\n")
    changed = load_bundle(policies).sha256
    assert changed != first
    limits.write_text("# Parameters of the demo policies.\nmax_resources: 2\n")
    assert load_bundle(policies).sha256 == first
    test_file = policies / "demo" / "demo_test.rego"
    test_file.write_text(test_file.read_text() + "\n")
    assert load_bundle(policies).sha256 != first


def test_hash_does_not_depend_on_where_the_bundle_lives(policies: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "copy" / "policies"
    shutil.copytree(policies, elsewhere)
    assert load_bundle(elsewhere).sha256 == load_bundle(policies).sha256


def test_renaming_a_file_changes_the_hash(policies: Path) -> None:
    first = load_bundle(policies).sha256
    (policies / "data" / "limits.yaml").rename(policies / "data" / "limits2.yaml")
    with pytest.raises(PolicyError, match="limits.max_resources"):
        load_bundle(policies)
    (policies / "data" / "limits2.yaml").rename(policies / "data" / "limits.yaml")
    (policies / "extra.rego").write_text("package extra\n")
    assert load_bundle(policies).sha256 != first


def test_unreadable_yaml_is_one_line(policies: Path) -> None:
    (policies / "data" / "limits.yaml").write_text("max_resources: [2\n")
    with pytest.raises(PolicyError) as raised:
        load_bundle(policies)
    assert "limits.yaml" in str(raised.value)
    assert "not valid YAML" in str(raised.value)
    assert "\n" not in str(raised.value)


def test_non_utf8_rego_is_one_line(policies: Path) -> None:
    (policies / "demo" / "bad.rego").write_bytes(b"package bad\n# \xff\n")
    with pytest.raises(PolicyError, match=r"bad\.rego: not UTF-8 text"):
        load_bundle(policies)


def test_duplicate_rule_id_across_files(policies: Path) -> None:
    demo = (policies / "demo" / "demo.rego").read_text()
    (policies / "demo" / "copy.rego").write_text(demo.replace("package demo", "package copy"))
    with pytest.raises(PolicyError, match="DEMO-001 is already used"):
        load_bundle(policies)


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="no policies directory"):
        load_bundle(tmp_path / "nowhere")


def test_the_project_bundle_loads() -> None:
    bundle = load_bundle(ROOT / "policies")
    assert bundle.rules
    assert all(rule.package in bundle.packages for rule in bundle.rules)
