"""One rule per file: the bundle loader refuses a rule file with other than one METADATA block
carrying custom.id, and one whose deny bodies report another rule's id."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from servegate.policy import PolicyError
from servegate.policy.bundle import load_bundle
from servegate.policy.metadata import parse_rules
from servegate.policy.rule_files import check_rule_file

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "rego" / "policies"


def _block(rule_id: str) -> str:
    return (
        "# METADATA\n# title: Demo rule\n# custom:\n"
        f"#   id: {rule_id}\n#   area: security\n#   severity: high\n"
        "#   enforcement: mandatory\n#   scope: resource\n#   parameters: []\n"
        "#   remediation: Fix it.\n"
    )


def _violation(rule_id: str) -> str:
    return (
        'deny contains v if {\n\tsome res in inv.resources(input, "t")\n'
        f'\tv := inv.violation(\n\t\t"{rule_id}", res,\n'
        '\t\t"message",\n\t\t"path", null,\n\t)\n}\n'
    )


HEAD = "package demo\n\nimport data.lib.inventory as inv\nimport rego.v1\n\n"


def _check(source: str, file: str = "policies/demo/demo_003_x.rego") -> None:
    check_rule_file(file, source, parse_rules(file, source))


def test_one_block_whose_bodies_report_its_id_is_a_rule_file() -> None:
    undecided = 'deny contains v if {\n\tv := inv.undecided("DEMO-003", {}, "p")\n}\n'
    _check(HEAD + _block("DEMO-003") + _violation("DEMO-003") + undecided)


def test_two_blocks_in_one_file_are_refused() -> None:
    source = HEAD + _block("DEMO-003") + _violation("DEMO-003") + _block("DEMO-004")
    source += _violation("DEMO-004")
    expected = (
        "policies/demo/demo_003_x.rego: a rule file holds exactly one METADATA block with "
        "custom.id, found 2 (DEMO-003, DEMO-004); put each rule in its own "
        "policies/<area>/<id>_<slug>.rego"
    )
    with pytest.raises(PolicyError) as caught:
        _check(source)
    assert str(caught.value) == expected


def test_a_deny_body_reporting_another_id_is_refused_at_its_line() -> None:
    source = HEAD + _block("DEMO-003") + _violation("DEMO-003") + _violation("DEMO-004")
    line = source.splitlines().index('\t\t"DEMO-004", res,') + 1
    with pytest.raises(PolicyError) as caught:
        _check(source)
    assert str(caught.value) == (
        f"policies/demo/demo_003_x.rego:{line}: a deny body reports rule id 'DEMO-004', but "
        "the file's rule is DEMO-003 (its METADATA custom.id); a rule file reports only its own id"
    )


@pytest.mark.parametrize(
    "finding",
    [
        'v := inv.undecided("DEMO-004", res, "region")',
        'v := inv.violation_with_limit("DEMO-004", res, "m", "p", 1, "l", 2)',
        'v := {"rule_id": "DEMO-004", "urn": res.urn}',
    ],
)
def test_every_way_of_building_a_finding_is_checked(finding: str) -> None:
    body = f'deny contains v if {{\n\tsome res in inv.resources(input, "t")\n\t{finding}\n}}\n'
    with pytest.raises(PolicyError, match=r"reports rule id 'DEMO-004', but the file's rule is"):
        _check(HEAD + _block("DEMO-003") + body)


def test_a_helper_building_the_finding_is_checked_too() -> None:
    helper = '_finding(res) := inv.undecided("DEMO-004", res, "p")\n\n'
    body = 'deny contains v if {\n\tsome res in inv.resources(input, "t")\n'
    body += "\tv := _finding(res)\n}\n"
    with pytest.raises(PolicyError, match="reports rule id 'DEMO-004'"):
        _check(HEAD + helper + _block("DEMO-003") + body)


def test_other_ids_in_comments_and_messages_are_not_reports() -> None:
    comment = '# Unlike DEMO-004, inv.violation("DEMO-004", ...) is not built here.\n'
    message = _violation("DEMO-003").replace('"message"', '"see DEMO-004"')
    _check(HEAD + comment + _block("DEMO-003") + message)


def test_modules_without_deny_rules_are_not_rule_files() -> None:
    _check("package lib.demo\n\nimport rego.v1\n\nx := 1\n", "policies/lib/demo.rego")


def test_the_loader_refuses_a_two_rule_file_naming_it(tmp_path: Path) -> None:
    policies = tmp_path / "policies"
    shutil.copytree(FIXTURES, policies)
    shutil.copytree(ROOT / "policies" / "lib", policies / "lib")
    second = policies / "demo" / "demo_002_small_stacks.rego"
    rule = second.read_text().split("import rego.v1\n", 1)[1]
    demo = policies / "demo" / "demo.rego"
    demo.write_text(demo.read_text() + rule)
    second.unlink()
    expected = r"^policies/demo/demo\.rego: a rule file holds exactly one"
    with pytest.raises(PolicyError, match=expected):
        load_bundle(policies)


def test_the_loader_refuses_a_body_reporting_another_rule(tmp_path: Path) -> None:
    policies = tmp_path / "policies"
    shutil.copytree(FIXTURES, policies)
    shutil.copytree(ROOT / "policies" / "lib", policies / "lib")
    second = policies / "demo" / "demo_002_small_stacks.rego"
    second.write_text(second.read_text().replace('"rule_id": "DEMO-002"', '"rule_id": "DEMO-001"'))
    expected = (
        r"^policies/demo/demo_002_small_stacks\.rego:\d+: a deny body reports rule id 'DEMO-001'"
    )
    with pytest.raises(PolicyError, match=expected):
        load_bundle(policies)


def test_every_shipped_rule_lives_in_a_file_named_after_its_id() -> None:
    bundle = load_bundle(ROOT / "policies")
    for relative, source in bundle.modules.items():
        located = parse_rules(relative, source)
        if not located:
            continue
        [rule] = located
        stem = rule.rule.id.lower().replace("-", "_")
        assert re.match(rf"^{rule.rule.package}/{stem}_[a-z0-9_]+\.rego$", relative), relative
        assert f"{relative.removesuffix('.rego')}_test.rego" in bundle.test_modules, relative
