"""Rule metadata: parsing the # METADATA blocks and every validation error."""

from __future__ import annotations

import pytest

from servegate.findings import Area, Enforcement, Severity
from servegate.policy import PolicyError
from servegate.policy.metadata import (
    LocatedRule,
    check_unique_ids,
    count_test_cases,
    parse_rules,
)

RULE_BLOCK = """\
# METADATA
# title: Buckets are encrypted
# description: An unencrypted bucket
#   exposes its objects.
# custom:
#   id: DEMO-001
#   area: security
#   severity: high
#   enforcement: mandatory
#   scope: resource
#   parameters: [limits.max_resources]
#   remediation: Set serverSideEncryption.
"""


def policy(block: str = RULE_BLOCK, bodies: int = 1) -> str:
    deny = "deny contains v if {\n\tv := 1\n}\n"
    return (
        "# METADATA\n# title: Package: annotations are not rules\npackage demo\n\n"
        "import rego.v1\n\n" + block + deny * bodies
    )


def test_block_becomes_a_rule() -> None:
    [located] = parse_rules("policies/demo/demo.rego", policy(bodies=3))
    rule = located.rule
    assert (rule.id, rule.package, rule.scope) == ("DEMO-001", "demo", "resource")
    assert (rule.area, rule.severity, rule.enforcement) == (
        Area.SECURITY,
        Severity.HIGH,
        Enforcement.MANDATORY,
    )
    assert rule.title == "Buckets are encrypted"
    assert rule.description == "An unencrypted bucket exposes its objects."
    assert rule.controls == ()  # joined from policies/data/controls.yaml by the bundle
    assert rule.parameters == ("limits.max_resources",)
    assert rule.remediation == "Set serverSideEncryption."
    assert located.line == 7


def test_each_block_starts_a_rule_and_following_bodies_belong_to_it() -> None:
    second = RULE_BLOCK.replace("DEMO-001", "DEMO-002")
    source = policy() + "\n" + second + "deny contains v if {\n\tv := 2\n}\n"
    assert [r.rule.id for r in parse_rules("f.rego", source)] == ["DEMO-001", "DEMO-002"]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("  area: security", "  area: safety", "key custom.area of DEMO-001 is 'safety'; allowed"),
        ("#   area: security\n", "", "key custom.area of DEMO-001 is missing"),
        ("  severity: high", "  severity: urgent", "custom.severity of DEMO-001 is 'urgent'"),
        ("#   severity: high\n", "", "custom.severity of DEMO-001 is missing"),
        ("enforcement: mandatory", "enforcement: strict", "custom.enforcement of DEMO-001"),
        ("#   enforcement: mandatory\n", "", "custom.enforcement of DEMO-001 is missing"),
        ("  scope: resource", "  scope: cluster", "custom.scope of DEMO-001 is 'cluster'"),
        ("#   scope: resource\n", "", "key custom.scope is missing"),
        ("  id: DEMO-001", "  id: demo one", "key custom.id must be an id like RES-001"),
        ("# title: Buckets are encrypted\n", "", "key title is missing"),
        ("#   remediation: Set serverSideEncryption.\n", "", "key custom.remediation"),
        (
            "#   remediation:",
            '#   controls: ["AC-3"]\n#   remediation:',
            "custom.controls of DEMO-001: control mappings live in policies/data/controls.yaml",
        ),
        ("# custom:\n", "# custom: [x]\n", "is not valid YAML"),
    ],
)
def test_invalid_metadata_is_one_line_naming_file_line_and_key(
    old: str, new: str, expected: str
) -> None:
    assert old in RULE_BLOCK
    with pytest.raises(PolicyError) as raised:
        parse_rules("policies/demo/demo.rego", policy(RULE_BLOCK.replace(old, new)))
    message = str(raised.value)
    assert message.startswith("policies/demo/demo.rego:")
    assert expected in message
    assert "\n" not in message


def test_yaml_error_points_at_the_bad_line() -> None:
    block = RULE_BLOCK.replace("#   severity: high", "#   severity: [high")
    with pytest.raises(PolicyError, match=r"^f\.rego:\d+: METADATA is not valid YAML"):
        parse_rules("f.rego", policy(block))


def test_allowed_values_are_listed() -> None:
    with pytest.raises(PolicyError) as raised:
        parse_rules("f.rego", policy(RULE_BLOCK.replace("area: security", "area: x")))
    assert "residency, sla, audit, security, cost" in str(raised.value)


def test_deny_without_metadata_is_an_error() -> None:
    source = "package demo\n\nimport rego.v1\n\ndeny contains v if {\n\tv := 1\n}\n"
    with pytest.raises(PolicyError, match=r"^f\.rego:5: deny rule without a # METADATA block"):
        parse_rules("f.rego", source)


def test_rule_metadata_above_a_helper_is_an_error() -> None:
    source = policy(RULE_BLOCK + "_helper := 1\n\n")
    with pytest.raises(PolicyError, match=r"f\.rego:7: METADATA with custom\.id must sit"):
        parse_rules("f.rego", source)


def test_duplicate_ids_across_files_are_an_error() -> None:
    [first] = parse_rules("a.rego", policy())
    [second] = parse_rules("b.rego", policy())
    expected = r"^b\.rego:7: custom\.id DEMO-001 is already used at a\.rego:7"
    with pytest.raises(PolicyError, match=expected):
        check_unique_ids([first, second])


def test_test_cases_count_tests_naming_the_rule() -> None:
    rules = [
        item.rule
        for item in parse_rules(
            "f.rego",
            policy() + RULE_BLOCK.replace("DEMO-001", "DEMO-010") + "deny contains 2 if true\n",
        )
    ]
    tests = {
        "demo_test.rego": "package demo_test\n"
        "test_demo_001_plain_denied if true\n"
        "test_demo_001_plain_denied if false\n"  # a second body of the same test
        "test_sealed_passes_demo_001 if true\n"
        "test_demo_0010_other if true\n"
        "test_demo_010_passes if true\n"
        "_not_a_test_demo_001 := 1\n"
    }
    counted = {rule.id: rule.test_cases for rule in count_test_cases(rules, tests)}
    assert counted == {"DEMO-001": 2, "DEMO-010": 1}


def test_located_rule_keeps_the_block_line() -> None:
    [located] = parse_rules("x.rego", policy())
    assert isinstance(located, LocatedRule)
    assert (located.file, located.line) == ("x.rego", 7)
