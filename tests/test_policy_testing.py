"""``servegate policies test``: pass/fail/error per test rule, and coverage."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from servegate.engines.base import EngineError
from servegate.policy.testing import COVERAGE_UNAVAILABLE, TestStatus, run_policy_tests

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "rego" / "policies"

FAILING_TESTS = """\
package demo_extra_test

import data.demo
import rego.v1

test_demo_002_wrong_expectation if {
	empty := {"stack": {"project": "p", "name": "s"}, "resources": [], "by_type": {}}
	count(demo.deny) == 7 with input as empty
}

test_demo_002_erroring if {
	to_number("seven") == 7
}

test_demo_002_true_again if {
	true
}
"""


@pytest.fixture
def policies(tmp_path: Path) -> Path:
    root = tmp_path / "policies"
    shutil.copytree(FIXTURES, root)
    shutil.copytree(ROOT / "policies" / "lib", root / "lib")
    return root


def test_passing_suite_with_coverage_on_regorus(policies: Path) -> None:
    run = run_policy_tests(policies, engine="regorus")
    assert run.engine == "regorus"
    assert [(o.name, o.status) for o in run.outcomes] == [
        ("test_demo_001_encrypted_bucket_passes", TestStatus.PASSED),
        ("test_demo_001_plain_bucket_denied", TestStatus.PASSED),
        ("test_demo_001_unknown_is_undecided", TestStatus.PASSED),
        ("test_demo_002_too_many_resources", TestStatus.PASSED),
    ]
    assert (run.passed, run.failed, run.ok) == (4, 0, True)
    files = {f.path: f for f in run.coverage.files}
    # Coverage is of the policies, not of the tests.
    assert set(files) == {"demo/demo.rego", "lib/inventory.rego"}
    demo_source = (policies / "demo" / "demo.rego").read_text().splitlines()
    never_used = next(i for i, line in enumerate(demo_source, 1) if "_never_used" in line)
    assert never_used in files["demo/demo.rego"].not_covered
    assert 0 < files["demo/demo.rego"].percent < 100
    assert run.coverage.percent is not None and 0 < run.coverage.percent < 100


def test_failures_and_errors_are_counted_per_test(policies: Path) -> None:
    (policies / "demo" / "demo_extra_test.rego").write_text(FAILING_TESTS)
    run = run_policy_tests(policies, engine="regorus")
    extra = {o.name: o for o in run.outcomes if o.package == "demo_extra_test"}
    assert extra["test_demo_002_wrong_expectation"].status is TestStatus.FAILED
    assert extra["test_demo_002_erroring"].status is TestStatus.ERROR
    assert "could not parse string as number" in extra["test_demo_002_erroring"].message
    assert extra["test_demo_002_true_again"].status is TestStatus.PASSED
    assert (run.passed, run.failed, run.ok) == (5, 2, False)
    # The package that errored as a whole still reports coverage for the others.
    assert run.coverage.files


def test_regopy_reports_that_it_has_no_coverage(tmp_path: Path) -> None:
    # regopy 1.5.2 crashes on `with` inside modules, so this suite avoids it.
    root = tmp_path / "policies"
    (root / "plain").mkdir(parents=True)
    (root / "plain" / "plain.rego").write_text("package plain\n\nimport rego.v1\n\nlimit := 3\n")
    (root / "plain" / "plain_test.rego").write_text(
        "package plain_test\n\nimport rego.v1\n\n"
        "test_limit if data.plain.limit == 3\n\ntest_wrong if data.plain.limit == 4\n"
    )
    run = run_policy_tests(root, engine="regopy")
    assert [(o.name, o.status) for o in run.outcomes] == [
        ("test_limit", TestStatus.PASSED),
        ("test_wrong", TestStatus.FAILED),
    ]
    assert run.coverage.percent is None
    assert run.coverage.unavailable == COVERAGE_UNAVAILABLE


def test_policies_that_do_not_compile_stop_the_run(policies: Path) -> None:
    (policies / "demo" / "broken_test.rego").write_text("package broken_test\ntest_x if {\n")
    with pytest.raises(EngineError, match=r"broken_test\.rego"):
        run_policy_tests(policies, engine="regorus")
