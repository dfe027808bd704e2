"""Control mappings (policies/data/controls.yaml): every rule maps to real framework controls,
the ids and titles match the frameworks' published catalogs, and the bundle refuses gaps."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from components import catalog
from servegate.cli.main import app
from servegate.policy import PolicyError
from servegate.policy.bundle import load_bundle
from servegate.policy.controls import load_controls

ROOT = catalog.PROJECT_ROOT
VENDOR = Path(__file__).parent / "vendor" / "controls"
# Framework key -> the vendored upstream list its ids and titles are checked against.
UPSTREAM = {
    "NIST-800-53": "nist-800-53-rev5-titles.json",
    "ISO-27001": "iso-27001-2022-titles.json",
    "CIS-AWS": "cis-aws-6.0.0-titles.json",
    "CIS-EKS": "cis-eks-1.8.0-titles.json",
}
runner = CliRunner()


def _table() -> dict[str, Any]:
    raw: dict[str, Any] = yaml.safe_load((ROOT / "policies/data/controls.yaml").read_text())
    return raw


def test_every_rule_maps_to_at_least_one_real_control() -> None:
    bundle = load_bundle(ROOT / "policies")
    for rule in bundle.rules:
        refs = bundle.controls.by_rule[rule.id]
        assert refs, rule.id
        assert rule.controls == tuple(str(ref) for ref in refs)
        for ref in refs:
            # e.g. "NIST SP 800-53 Rev. 5: SA-9(5) Processing, Storage, and Service Location"
            assert re.match(r"^.+: \S+ .+$", str(ref)), str(ref)


@pytest.mark.parametrize("framework", sorted(UPSTREAM))
def test_ids_and_titles_are_those_the_framework_publishes(framework: str) -> None:
    upstream = json.loads((VENDOR / UPSTREAM[framework]).read_text())
    assert upstream["provenance"]
    titles = _table()["frameworks"][framework]["titles"]
    for control_id, title in titles.items():
        assert control_id in upstream["titles"], f"{framework} {control_id} is not published"
        assert title.casefold() == upstream["titles"][control_id].casefold(), control_id


def test_every_framework_states_its_source_and_whether_it_was_verified() -> None:
    for key, framework in _table()["frameworks"].items():
        assert len(framework["source"]) > 40, key
        assert isinstance(framework["verified"], bool), key
        if key in UPSTREAM:
            assert framework["verified"] is True, key


def test_no_placeholder_wording_in_the_product() -> None:
    tracked = subprocess.run(
        [
            "git",
            "ls-files",
            "servegate",
            "components",
            "policies",
            "docs",
            "README.md",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    offenders = [
        path
        for path in tracked
        if (ROOT / path).is_file()
        and re.search(r"\bseed\b", (ROOT / path).read_text(errors="replace"), re.IGNORECASE)
    ]
    assert offenders == []


RULE_IDS = {"RES-001", "AUD-001"}


def _mapping(**changes: Any) -> dict[str, Any]:
    table = {
        "frameworks": {
            "NIST-800-53": {
                "name": "NIST SP 800-53",
                "version": "Rev. 5",
                "verified": True,
                "source": "NIST SP 800-53 Rev. 5 control catalog (usnistgov/oscal-content).",
                "titles": {
                    "SA-9(5)": "Processing, Storage, and Service Location",
                    "AU-2": "Event Logging",
                },
            }
        },
        "controls": {"RES-001": {"NIST-800-53": ["SA-9(5)"]}, "AUD-001": {"NIST-800-53": ["AU-2"]}},
    }
    table.update(changes)
    return table


def test_a_valid_table_maps_each_rule() -> None:
    controls = load_controls(_mapping(), RULE_IDS)
    assert [str(r) for r in controls.by_rule["RES-001"]] == [
        "NIST SP 800-53 Rev. 5: SA-9(5) Processing, Storage, and Service Location"
    ]
    [(ref, rules)] = [g for g in controls.rules_by_control("NIST-800-53") if g[0].id == "AU-2"]
    assert (ref.title, rules) == ("Event Logging", ["AUD-001"])


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"controls": {"RES-001": {"NIST-800-53": ["SA-9(5)"]}}}, "no control mapping for AUD-001"),
        (
            {"controls": {**_mapping()["controls"], "SEC-404": {"NIST-800-53": ["AU-2"]}}},
            "controls.SEC-404: no rule has this id",
        ),
        (
            {"controls": {**_mapping()["controls"], "RES-001": {"NIST": ["AU-2"]}}},
            "controls.RES-001.NIST: unknown framework; allowed: NIST-800-53",
        ),
        (
            {"controls": {**_mapping()["controls"], "RES-001": {"NIST-800-53": ["SC-99"]}}},
            "'SC-99' is not in frameworks.NIST-800-53.titles",
        ),
        (
            {"controls": {**_mapping()["controls"], "RES-001": {"NIST-800-53": []}}},
            "must be a non-empty list of control ids",
        ),
        (
            {
                "frameworks": {
                    "NIST-800-53": {
                        "name": "NIST",
                        "version": "5",
                        "source": "x",
                        "titles": {"AU-2": "x"},
                    }
                }
            },
            "frameworks.NIST-800-53.verified: must be true or false",
        ),
    ],
)
def test_gaps_in_the_table_are_one_line_naming_the_key(
    changes: dict[str, Any], expected: str
) -> None:
    with pytest.raises(PolicyError) as raised:
        load_controls(_mapping(**changes), RULE_IDS)
    assert "\n" not in str(raised.value)
    assert str(raised.value).startswith("policies/data/controls.yaml: ")
    assert expected in str(raised.value)


def test_a_bundle_with_an_unmapped_rule_does_not_load(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "policies", tmp_path / "policies", ignore=shutil.ignore_patterns("pack"))
    path = tmp_path / "policies/data/controls.yaml"
    table = yaml.safe_load(path.read_text())
    del table["controls"]["SLA-003"]
    path.write_text(yaml.safe_dump(table))
    with pytest.raises(PolicyError, match="no control mapping for SLA-003"):
        load_bundle(tmp_path / "policies")


def test_policies_doc_groups_the_catalog_by_one_framework() -> None:
    result = runner.invoke(app, ["-C", str(ROOT), "policies", "doc", "--framework", "NIST-800-53"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("# servegate controls by NIST SP 800-53 Rev. 5")
    section = result.output.split("## SA-9(5): Processing, Storage, and Service Location")[1]
    section = section.split("\n## ")[0]
    assert "| RES-001 | Resources stay inside the stack's sovereignty zone |" in section
    assert "AUD-001" not in section


def test_policies_doc_refuses_an_unknown_framework() -> None:
    result = runner.invoke(app, ["-C", str(ROOT), "policies", "doc", "--framework", "SOC2"])
    assert result.exit_code == 2
    assert "no framework 'SOC2'; allowed: " in result.output
    assert "Traceback" not in result.output


def test_policies_doc_shows_each_parameter_with_its_value() -> None:
    result = runner.invoke(app, ["-C", str(ROOT), "policies", "doc"])
    assert result.exit_code == 0, result.output
    zones = yaml.safe_load((ROOT / "policies/data/zones.yaml").read_text())["zones"]
    line = next(ln for ln in result.output.splitlines() if "zones.zones" in ln)
    for region in zones["ca"]:
        assert region in line
