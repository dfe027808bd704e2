"""``servegate policies test``: run every ``test_*`` rule of the ``*_test.rego`` packages.

Each test package is evaluated as one query (``data.<package>``): a test passes when its
rule is ``true``. When that query fails (a test raised an error), the package's tests are
evaluated one by one so each error is charged to its own test; an erroring test fails.
Coverage comes from the engine when it can measure it (regorus); it is reported for the
policy files, not for the tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from servegate.engines import get_engine
from servegate.engines.base import Engine, FileCoverage
from servegate.engines.factory import DEFAULT_TIMEOUT_S
from servegate.policy.bundle import PolicyBundle, load_bundle, packages_of_tests

_TEST_RULE = re.compile(r"^(test_\w+)\b", re.MULTILINE)

COVERAGE_UNAVAILABLE = "coverage not available on this engine"


class TestStatus(StrEnum):
    """How one test rule ended."""

    __test__ = False  # not a pytest test class
    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"


@dataclass(frozen=True)
class TestOutcome:
    """One test rule's result; ``message`` explains a failure or an error."""

    __test__ = False  # not a pytest test class

    file: str
    package: str
    name: str
    status: TestStatus
    message: str = ""

    @property
    def passed(self) -> bool:
        return self.status is TestStatus.PASSED


@dataclass(frozen=True)
class CoverageReport:
    """Line coverage of the policy files, or why there is none."""

    files: tuple[FileCoverage, ...] = ()
    unavailable: str = ""

    @property
    def percent(self) -> float | None:
        """Covered over coverable lines across all policy files (None when unavailable)."""
        if self.unavailable:
            return None
        covered = sum(len(f.covered) for f in self.files)
        total = sum(len(f.covered | f.not_covered) for f in self.files)
        return 100.0 if total == 0 else 100.0 * covered / total


@dataclass(frozen=True)
class PolicyTestRun:
    """Every test's outcome on one engine, plus coverage."""

    engine: str
    engine_version: str
    outcomes: tuple[TestOutcome, ...]
    coverage: CoverageReport

    @property
    def passed(self) -> int:
        return sum(1 for outcome in self.outcomes if outcome.passed)

    @property
    def failed(self) -> int:
        """Failed tests, errored ones included."""
        return len(self.outcomes) - self.passed

    @property
    def ok(self) -> bool:
        """True when there are tests and all of them passed."""
        return bool(self.outcomes) and self.failed == 0


def run_policy_tests(
    policies_dir: Path,
    *,
    engine: str = "regorus",
    opa_url: str | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> PolicyTestRun:
    """Load the bundle under ``policies_dir`` and run its tests on the named engine."""
    bundle = load_bundle(policies_dir)
    return run_bundle_tests(bundle, get_engine(engine, opa_url=opa_url, timeout_s=timeout_s))


def run_bundle_tests(bundle: PolicyBundle, engine: Engine) -> PolicyTestRun:
    """Run the bundle's tests on ``engine``; EngineError when the policies do not load."""
    packages = packages_of_tests(bundle)
    tests = {
        relative: list(dict.fromkeys(_TEST_RULE.findall(source)))
        for relative, source in bundle.test_modules.items()
    }
    modules = bundle.all_modules()
    package_queries = sorted({f"data.{package}" for package in packages.values()})
    measured = engine.evaluate(modules, bundle.data, {}, package_queries, coverage=True)
    retry = [
        f"data.{packages[relative]}.{name}"
        for relative, names in tests.items()
        if f"data.{packages[relative]}" in measured.errors
        for name in names
    ]
    one_by_one = engine.evaluate(modules, bundle.data, {}, retry) if retry else None
    outcomes: list[TestOutcome] = []
    for relative in sorted(tests):
        package = packages[relative]
        for name in tests[relative]:
            file = f"{bundle.root.name}/{relative}"
            if one_by_one is not None and f"data.{package}" in measured.errors:
                query = f"data.{package}.{name}"
                if query in one_by_one.errors:
                    outcome = TestOutcome(
                        file, package, name, TestStatus.ERROR, one_by_one.errors[query]
                    )
                else:
                    outcome = _judged(file, package, name, one_by_one.values.get(query))
            else:
                results = measured.values.get(f"data.{package}") or {}
                outcome = _judged(file, package, name, results.get(name))
            outcomes.append(outcome)
    return PolicyTestRun(
        engine=engine.name,
        engine_version=engine.version,
        outcomes=tuple(outcomes),
        coverage=_policy_coverage(measured.coverage, set(bundle.modules)),
    )


def _judged(file: str, package: str, name: str, value: object) -> TestOutcome:
    if value is True:
        return TestOutcome(file, package, name, TestStatus.PASSED)
    reason = "undefined (a condition was false)" if value is None else f"evaluated to {value!r}"
    return TestOutcome(file, package, name, TestStatus.FAILED, reason)


def _policy_coverage(
    files: tuple[FileCoverage, ...] | None, policy_files: set[str]
) -> CoverageReport:
    if files is None:
        return CoverageReport(unavailable=COVERAGE_UNAVAILABLE)
    return CoverageReport(
        files=tuple(sorted((f for f in files if f.path in policy_files), key=lambda f: f.path))
    )
