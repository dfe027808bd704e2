"""``servegate policies test``: pass/fail/error per test rule, and coverage."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from servegate.cli.policy_output import print_test_results
from servegate.engines import get_engine
from servegate.engines.base import Engine, EngineError, Evaluation, FileCoverage
from servegate.policy import PolicyError
from servegate.policy.bundle import load_bundle
from servegate.policy.testing import (
    COVERAGE_UNAVAILABLE,
    PackageRun,
    PolicyTestRun,
    TestStatus,
    package_timeout,
    run_bundle_tests,
    run_policy_tests,
)

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
    shutil.copytree(
        ROOT / "policies" / "lib",
        root / "lib",
        ignore=shutil.ignore_patterns("*_test.rego", "*test_kit.rego"),
    )
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
    assert set(files) == {"demo/demo.rego", "demo/demo_002_small_stacks.rego", "lib/inventory.rego"}
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


@pytest.mark.parametrize(
    "source",
    [
        "package broken\n\nimport rego.v1\n\nx if {\n",
        "package broken\n\nimport rego.v1\n\nx if {\n\ty := z\n\tz := 1\n}\n",
    ],
    ids=["syntax", "unsafe-variable"],
)
def test_policies_that_do_not_compile_stop_the_run(policies: Path, source: str) -> None:
    (policies / "demo" / "broken.rego").write_text(source)
    with pytest.raises(EngineError, match=r"broken\.rego"):
        run_policy_tests(policies, engine="regorus")


def test_a_test_file_that_does_not_compile_fails_its_package_only(policies: Path) -> None:
    (policies / "demo" / "broken_test.rego").write_text(
        "package broken_test\n\nimport rego.v1\n\ntest_a if {\n\ttrue\n"
        "}\n\ntest_b if {\n\tx == 1\n}\n"
    )
    run = run_policy_tests(policies, engine="regorus")
    broken, demo = _by_package(run)["broken_test"], _by_package(run)["demo_test"]
    assert "broken_test" in broken.error and "broken_test.rego" in broken.error
    assert [o.status for o in broken.outcomes] == [TestStatus.ERROR, TestStatus.ERROR]
    assert (demo.passed, demo.failed, demo.error) == (4, 0, "")
    assert not run.ok


def test_each_package_reports_its_files_tests_and_time(policies: Path) -> None:
    (policies / "demo" / "demo_extra_test.rego").write_text(FAILING_TESTS)
    seen: list[str] = []
    run = run_policy_tests(policies, engine="regorus", on_package=lambda p: seen.append(p.package))
    assert seen == [p.package for p in run.packages] == ["demo_extra_test", "demo_test"]
    extra, demo = run.packages
    assert extra.files == ("policies/demo/demo_extra_test.rego",)
    assert (len(extra.outcomes), extra.passed, extra.failed) == (3, 1, 2)
    assert (len(demo.outcomes), demo.passed, demo.failed) == (4, 4, 0)
    assert all(p.seconds >= 0 for p in run.packages)
    assert run.seconds == pytest.approx(extra.seconds + demo.seconds)


def test_packages_can_be_chosen(policies: Path) -> None:
    (policies / "demo" / "demo_extra_test.rego").write_text(FAILING_TESTS)
    run = run_policy_tests(policies, engine="regorus", packages=["demo_test"])
    assert [p.package for p in run.packages] == ["demo_test"]
    assert run.ok
    known = "demo_extra_test, demo_test"
    with pytest.raises(PolicyError, match=rf"no test package nope_test; the bundle has: {known}$"):
        run_policy_tests(policies, engine="regorus", packages=["nope_test"])


def test_coverage_is_merged_over_packages(policies: Path) -> None:
    # Each package exercises one rule; merged, both rules' lines are covered.
    whole = run_policy_tests(policies, engine="regorus").coverage.files
    source = (policies / "demo" / "demo_test.rego").read_text()
    builders, _, rest = source.partition("test_demo_001")
    demo_001_tests, _, demo_002_test = ("test_demo_001" + rest).partition("test_demo_002")
    (policies / "demo" / "demo_test.rego").write_text(builders + demo_001_tests)
    (policies / "demo" / "demo2_test.rego").write_text(
        builders.replace("package demo_test", "package demo2_test")
        + "test_demo_002"
        + demo_002_test
    )
    split = run_policy_tests(policies, engine="regorus")
    assert [p.package for p in split.packages] == ["demo2_test", "demo_test"]
    assert split.ok
    demo = "demo/demo.rego"
    assert _file(split.coverage.files, demo).covered == _file(whole, demo).covered


def test_a_package_that_crashes_the_engine_fails_by_name(tmp_path: Path) -> None:
    # regopy 1.5.2 segfaults on `with input as X` when the rule calls a built-in.
    root = tmp_path / "policies"
    (root / "plain").mkdir(parents=True)
    (root / "plain" / "plain.rego").write_text(
        "package plain\n\nimport rego.v1\n\nsize := count(input.items)\n"
    )
    (root / "plain" / "crash_test.rego").write_text(
        "package crash_test\n\nimport rego.v1\n\n"
        'test_size if data.plain.size == 2 with input as {"items": [1, 2]}\n\n'
        "test_true if true\n"
    )
    (root / "plain" / "plain_test.rego").write_text(
        "package plain_test\n\nimport rego.v1\n\n"
        "test_size if data.plain.size == 2 with input.items as [1, 2]\n"
    )
    run = run_policy_tests(root, engine="regopy")
    crash, plain = _by_package(run)["crash_test"], _by_package(run)["plain_test"]
    assert crash.error.startswith("package crash_test could not be evaluated:")
    assert "SIGSEGV" in crash.error
    assert [(o.name, o.status) for o in crash.outcomes] == [
        ("test_size", TestStatus.ERROR),
        ("test_true", TestStatus.ERROR),
    ]
    assert (plain.passed, plain.failed) == (1, 0)
    assert (run.passed, run.failed, run.ok) == (1, 2, False)


class _RegorusSpy(Engine):
    """regorus, remembering which modules each evaluation loaded; with ``stuck``, an
    evaluation of that package hits the deadline."""

    name = "fake"

    def __init__(self, stuck: str | None = None) -> None:
        self._stuck = f"data.{stuck}" if stuck else None
        self._inner = get_engine("regorus")
        self.loads: list[tuple[set[str], list[str]]] = []

    @property
    def version(self) -> str:
        return "0"

    def evaluate(
        self,
        modules: dict[str, str],
        data: dict[str, Any],
        input_doc: dict[str, Any],
        queries: list[str],
        *,
        coverage: bool = False,
    ) -> Evaluation:
        stuck = self._stuck
        if stuck and any(query == stuck or f"{stuck}." in query for query in queries):
            raise EngineError(
                "fake did not finish evaluating within 1s; the evaluation was stopped"
            )
        self.loads.append((set(modules), queries))
        return self._inner.evaluate(modules, data, input_doc, queries, coverage=coverage)


def test_a_package_that_times_out_fails_by_name_and_the_others_run(policies: Path) -> None:
    (policies / "demo" / "demo_extra_test.rego").write_text(FAILING_TESTS)
    run = run_bundle_tests(load_bundle(policies), _RegorusSpy("demo_test"))
    stuck, extra = _by_package(run)["demo_test"], _by_package(run)["demo_extra_test"]
    assert stuck.error == (
        "package demo_test could not be evaluated: "
        "fake did not finish evaluating within 1s; the evaluation was stopped"
    )
    assert len(stuck.outcomes) == 4 and stuck.passed == 0
    assert all(o.status is TestStatus.ERROR and o.message == stuck.error for o in stuck.outcomes)
    assert (extra.passed, extra.failed) == (1, 2)
    # Only the evaluated package was measured.
    assert run.coverage.files


def test_default_timeouts_give_regopy_more_time() -> None:
    assert package_timeout("regopy") > package_timeout("regorus") > 0
    assert package_timeout("opa") > 0


def _by_package(run: PolicyTestRun) -> dict[str, PackageRun]:
    return {package.package: package for package in run.packages}


def _file(files: tuple[FileCoverage, ...], path: str) -> FileCoverage:
    return next(f for f in files if f.path == path)


def test_the_cli_output_names_packages_and_collapses_a_failed_package(
    policies: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (policies / "demo" / "demo_extra_test.rego").write_text(FAILING_TESTS)
    run = run_bundle_tests(load_bundle(policies), _RegorusSpy("demo_test"))
    assert print_test_results(run) == 1
    lines = capsys.readouterr().out.splitlines()
    failures = [line for line in lines if line.startswith(("FAILED", "ERROR"))]
    assert failures[:2] == [
        "FAILED demo_extra_test.test_demo_002_wrong_expectation "
        "(policies/demo/demo_extra_test.rego) — undefined (a condition was false)",
        "ERROR demo_extra_test.test_demo_002_erroring (policies/demo/demo_extra_test.rego) — "
        + run.packages[0].outcomes[1].message,
    ]
    # The stopped package is one line, not one per test.
    assert failures[2:] == [
        "ERROR demo_test (policies/demo/demo_test.rego): 4 tests not run — "
        "package demo_test could not be evaluated: "
        "fake did not finish evaluating within 1s; the evaluation was stopped"
    ]
    package_lines = [line.strip() for line in lines if "tests," in line]
    assert package_lines[0].startswith("FAILED demo_extra_test: 3 tests, 1 passed, 2 failed (")
    assert package_lines[1].startswith("FAILED demo_test: 4 tests, 0 passed, 4 failed (")
    assert lines[-1].startswith("1 passed, 6 failed in 2 packages (")


def test_a_rules_tests_load_its_rule_file_alone_and_the_area_tests_the_whole_area() -> None:
    bundle = load_bundle(ROOT / "policies")
    engine = _RegorusSpy()
    run = run_bundle_tests(bundle, engine, packages=["sla_test"])
    assert run.ok
    loads = {
        query: modules
        for modules, queries in engine.loads
        for query in queries
        if query.startswith("{")
    }
    sla_rules = {path for path in bundle.modules if path.startswith("sla/sla_0")}
    pdb_query = next(q for q in loads if "test_sla_004_missing_pdb_denied" in q)
    fit_query = next(
        q for q in loads if "test_sla_014_leaves_an_unplaceable_server_to_sla_013" in q
    )
    compliant_query = next(q for q in loads if "test_compliant_stack_has_no_findings" in q)
    # A rule's tests: its own rule file, the area's and library modules, no other area.
    assert loads[pdb_query] & sla_rules == {"sla/sla_004_disruption_budget.rego"}
    # A test naming another rule's id loads that rule too.
    assert loads[fit_query] & sla_rules == {
        "sla/sla_014_model_fit.rego",
        "sla/sla_013_schedulable.rego",
    }
    # The area's own test file judges the whole area.
    assert loads[compliant_query] & sla_rules == sla_rules
    for modules in loads.values():
        assert not {
            path
            for path in modules
            if path.split("/")[0] in {"audit", "security", "residency", "cost"}
        }
        assert "lib/inventory.rego" in modules and "sla/sla.rego" in modules
