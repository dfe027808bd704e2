"""Mutation testing: every rule file's own Rego tests notice each broken deny body.

The whole library runs here (every rule file, found by ``rule_files``, so new rule files
are covered without a list to keep); the small bundles below show the mutants it makes and
that a weak test is caught.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from servegate.policy.bundle import load_bundle
from servegate.policy.metadata import parse_rules
from tests.tools import mutate
from tests.tools.rego_source import top_level_rules

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "rego" / "policies"

RULE = """package demo

import data.lib.inventory as inv
import rego.v1

_bucket := "aws:s3/bucket:Bucket"

# METADATA
# title: Buckets are encrypted
# custom:
#   id: DEMO-001
#   area: security
#   severity: high
#   enforcement: mandatory
#   scope: resource
#   parameters: []
#   remediation: Encrypt it.
deny contains v if {
	some res in inv.resources(input, _bucket)
	name := res.name
	not inv.truthy(object.get(res.props, "encrypted", false))
	every tag in object.keys(res.tags) {
		tag != "exempt"
	}
	count(name) > 0; name != "skip"
	v := inv.violation("DEMO-001", res, concat("", ["bucket ", name]), "encrypted", null)
}

deny contains v if {
	some res in inv.resources(input, _bucket)
	object.get(res.props, "public", false) == true
	v := inv.violation("DEMO-001", res, "public", "public", true)
}
"""

TESTS = """package demo_test

import data.demo
import rego.v1

_bucket(name, props) := {
	"urn": concat("", ["urn:", name]), "type": "aws:s3/bucket:Bucket", "name": name,
	"op": "create", "props": props, "unknowns": [], "tags": {},
}

_deny(buckets) := denies if {
	denies := demo.deny with input as {
		"resources": buckets,
		"by_type": {"aws:s3/bucket:Bucket": numbers.range(0, count(buckets) - 1)},
	}
}

test_plain_bucket_denied if {
	count(_deny([_bucket("plain", {})])) == 1
}

test_encrypted_bucket_allowed if {
	count(_deny([_bucket("sealed", {"encrypted": true})])) == 0
}
"""

# What the weak tests above never check: a public bucket.
STRONGER = """
test_public_encrypted_bucket_denied if {
	count(_deny([_bucket("open", {"encrypted": true, "public": true})])) == 1
}
"""


def demo_bundle(tmp_path: Path, tests: str) -> Path:
    root = tmp_path / "policies"
    (root / "data").mkdir(parents=True)
    controls = (FIXTURES / "data" / "controls.yaml").read_text()
    (root / "data" / "controls.yaml").write_text(controls.split("  DEMO-002:")[0])
    shutil.copytree(ROOT / "policies" / "lib", root / "lib")
    (root / "demo").mkdir()
    (root / "demo" / "demo_001_buckets.rego").write_text(RULE)
    (root / "demo" / "demo_001_buckets_test.rego").write_text(tests)
    return root


def test_mutants_delete_each_deny_body_and_negate_each_condition() -> None:
    described = [(m.line, m.description) for m in mutate.mutants("demo/r.rego", RULE)]
    assert described == [
        (18, "deny body deleted"),
        (21, 'negated `not inv.truthy(object.get(res.props, "encrypted", false))`'),
        (25, "negated `count(name) > 0`"),
        (25, 'negated `name != "skip"`'),
        (29, "deny body deleted"),
        (31, 'negated `object.get(res.props, "public", false) == true`'),
    ]


def test_a_mutant_is_the_file_with_one_change() -> None:
    by_line = {m.line: m for m in mutate.mutants("demo/r.rego", RULE)}
    assert "\tinv.truthy(object.get(res.props" in by_line[21].source
    assert '\tnot object.get(res.props, "public", false) == true' in by_line[31].source
    deleted = by_line[29].source
    assert deleted.count("deny contains") == 1 and deleted.count("\n") == RULE.count("\n")


HELPERS = """package demo

import rego.v1

_public(res) if object.get(res.props, "public", false) == true

_named(res) if {
	# mutation-equivalent: the deny body checks the name again.
	res.name != ""
	not startswith(res.name, "tmp-")
}
"""


def test_helper_conditions_are_negated_and_equivalents_are_marked() -> None:
    found = [
        (m.line, m.description, m.equivalent)
        for m in mutate.mutants("demo/r.rego", HELPERS, helpers=True)
    ]
    assert found == [
        (5, 'negated `object.get(res.props, "public", false) == true` in _public', ""),
        (9, 'negated `res.name != ""` in _named', "the deny body checks the name again."),
        (10, 'negated `not startswith(res.name, "tmp-")` in _named', ""),
    ]
    assert mutate.mutants("demo/r.rego", HELPERS) == []


@pytest.mark.parametrize(
    "statement",
    ["some x in xs", "some i", "x := f(y)", "[a, b] := pair", "x = 1", "every x in xs {"],
)
def test_declarations_and_assignments_are_not_conditions(statement: str) -> None:
    assert mutate.negation(statement) is None


def test_comparisons_are_conditions() -> None:
    assert mutate.negation("x == 1") == "not x == 1"
    assert mutate.negation("x >= 1") == "not x >= 1"
    assert mutate.negation("not f(x)") == "f(x)"
    assert mutate.negation('contains(x, ":=")') == 'not contains(x, ":=")'


def test_weak_tests_let_mutants_survive(tmp_path: Path) -> None:
    result = mutate.run(demo_bundle(tmp_path, TESTS), jobs=1)
    survivors = {
        (o.mutant.line, o.mutant.description) for o in result.outcomes if o.status == "survived"
    }
    # Negating the public check fires it for the plain bucket (a second denial), but no test
    # has a public bucket, so deleting that body goes unnoticed.
    assert survivors == {(29, "deny body deleted")}
    assert not result.ok and 0 < result.score < 100
    assert "SURVIVED policies/demo/demo_001_buckets.rego:29: deny body deleted" in mutate.report(
        result
    )


def test_tests_that_pin_every_condition_kill_every_mutant(tmp_path: Path) -> None:
    result = mutate.run(demo_bundle(tmp_path, TESTS + STRONGER), jobs=2)
    assert result.ok and result.score == 100.0
    assert result.count("killed") == 6


def test_a_rule_file_without_tests_fails(tmp_path: Path) -> None:
    root = demo_bundle(tmp_path, TESTS)
    (root / "demo" / "demo_001_buckets_test.rego").rename(root / "demo" / "other_test.rego")
    result = mutate.run(root, jobs=1)
    assert result.untested == ("demo/demo_001_buckets.rego",) and not result.ok


def test_tests_failing_on_the_unmutated_rule_score_nothing(tmp_path: Path) -> None:
    broken = TESTS.replace("== 1\n}\n\ntest_encrypted", "== 2\n}\n\ntest_encrypted")
    result = mutate.run(demo_bundle(tmp_path, broken), jobs=1)
    assert [o.status for o in result.outcomes] == ["broken"] and not result.ok


def test_every_rule_file_is_a_mutation_target() -> None:
    # Found from the files, not a list: a new rule file is mutated without being named here.
    bundle = load_bundle(ROOT / "policies")
    with_deny = {
        relative
        for relative, source in bundle.modules.items()
        if not relative.startswith("lib/")
        and any(rule.name == "deny" for rule in top_level_rules(source))
    }
    assert set(mutate.rule_files(bundle)) == with_deny
    assert all(len(parse_rules(r, bundle.modules[r])) == 1 for r in with_deny)
    assert len(with_deny) >= 50


def test_the_library_scores_100_percent(capsys: pytest.CaptureFixture[str]) -> None:
    result = mutate.run(ROOT / "policies")
    with capsys.disabled():
        print("\n" + mutate.report(result))
    assert result.count("survived") == 0, mutate.report(result)
    assert result.ok, mutate.report(result)
