"""``servegate policies test``: run every ``test_*`` rule of the ``*_test.rego`` packages.

Each test file is evaluated on its own (see ``_units``): a rule's tests with the library, their
rule file and the package's shared builders; the area's own test file with its whole area. One
query per file within the engine's timeout, so a file that does not compile, is slow, hangs or
crashes the engine only fails itself. Policies that do not compile stop the run (EngineError).

A test passes when its rule is ``true``. When a file's query fails (a test raised an error), its
tests are evaluated one by one so each error is charged to its own test; an erroring test fails.
When the engine cannot evaluate a file at all (it crashed, timed out, or the test file does not
compile), every test of that file fails with the reason.

Coverage comes from the engine when it can measure it (regorus, opa-go), merged over the files;
it is reported for the policy files, not for the tests.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from servegate.engines import get_engine
from servegate.engines.base import Engine, EngineError, FileCoverage
from servegate.engines.factory import DEFAULT_ENGINE
from servegate.policy import PolicyError
from servegate.policy.bundle import TEST_SUFFIX, PolicyBundle, load_bundle, packages_of_tests

_TEST_RULE = re.compile(r"^(test_\w+)\b", re.MULTILINE)
# The folder of the shared helpers every area imports.
LIBRARY_FOLDER = "lib"
_AREA_REFERENCE = re.compile(r"\bdata\.([a-z_][a-z0-9_]*)")
# Engines that evaluate a whole test package per file cheaply, queried as data.<package>:
# regorus 0.13 measured 80 % line coverage instead of 99 % when the tests were wrapped in
# comprehensions (opa-go measured the same either way).
_WHOLE_PACKAGE_ENGINES = frozenset({"regorus"})
# A rule id as tests name it, and as METADATA declares it (custom.id).
_RULE_ID = re.compile(r"\"([A-Z]+-[0-9]{3})\"")
_RULE_ID_DECLARED = re.compile(r"^#\s+id:\s+([A-Z]+-[0-9]{3})\s*$", re.MULTILINE)
_KIT_AREA = re.compile(r"\bdenials(?:_with_params)?\(\s*\"([a-z_][a-z0-9_]*)\"")

COVERAGE_UNAVAILABLE = "coverage not available on this engine"
NOTHING_MEASURED = "coverage not measured: no test package could be evaluated"

# Seconds one test file may take, per engine. rego-cpp took up to about 40 s for a file here
# (2 cores shared with other jobs); regorus takes well under a second. A timeout only guards
# against a hang, so the budget is generous.
PACKAGE_TIMEOUT_S = {"regorus": 60.0, "regopy": 600.0, "opa-go": 120.0, "opa": 60.0}
DEFAULT_PACKAGE_TIMEOUT_S = 60.0


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
class PackageRun:
    """One test package's evaluation: its tests' outcomes and the wall time it took.

    ``error`` is set when the engine could not evaluate the package at all (it crashed or
    timed out); every test of the package then has status ERROR.
    """

    package: str
    files: tuple[str, ...]
    outcomes: tuple[TestOutcome, ...]
    seconds: float
    error: str = ""

    @property
    def passed(self) -> int:
        return sum(1 for outcome in self.outcomes if outcome.passed)

    @property
    def failed(self) -> int:
        """Failed tests, errored ones included."""
        return len(self.outcomes) - self.passed


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
    """Every test package's outcome on one engine, plus coverage."""

    engine: str
    engine_version: str
    packages: tuple[PackageRun, ...]
    coverage: CoverageReport

    @property
    def outcomes(self) -> tuple[TestOutcome, ...]:
        """Every test's outcome, package by package."""
        return tuple(outcome for package in self.packages for outcome in package.outcomes)

    @property
    def passed(self) -> int:
        return sum(package.passed for package in self.packages)

    @property
    def failed(self) -> int:
        """Failed tests, errored ones included."""
        return sum(package.failed for package in self.packages)

    @property
    def seconds(self) -> float:
        """Wall time spent evaluating the packages."""
        return sum(package.seconds for package in self.packages)

    @property
    def ok(self) -> bool:
        """True when there are tests and all of them passed."""
        return bool(self.outcomes) and self.failed == 0


@dataclass(frozen=True)
class _TestRule:
    # Relative to the bundle root (a module key), and as reported (with the root's name).
    relative: str
    file: str
    name: str


@dataclass(frozen=True)
class _Measured:
    run: PackageRun
    # False when the engine crashed or timed out on the package: it measured nothing.
    evaluated: bool
    coverage: tuple[FileCoverage, ...] | None


ProgressCallback = Callable[[PackageRun], None]


def run_policy_tests(
    policies_dir: Path,
    *,
    engine: str = DEFAULT_ENGINE,
    opa_url: str | None = None,
    timeout_s: float | None = None,
    packages: Iterable[str] | None = None,
    on_package: ProgressCallback | None = None,
) -> PolicyTestRun:
    """Load the bundle under ``policies_dir`` and run its tests on the named engine.

    ``timeout_s`` bounds each package's evaluation (default: ``PACKAGE_TIMEOUT_S`` of the
    engine). See ``run_bundle_tests`` for ``packages`` and ``on_package``.
    """
    bundle = load_bundle(policies_dir)
    budget = timeout_s if timeout_s is not None else package_timeout(engine)
    return run_bundle_tests(
        bundle,
        get_engine(engine, opa_url=opa_url, timeout_s=budget),
        packages=packages,
        on_package=on_package,
    )


def package_timeout(engine: str) -> float:
    """The default seconds one test package may take on the named engine."""
    return PACKAGE_TIMEOUT_S.get(engine, DEFAULT_PACKAGE_TIMEOUT_S)


def bundle_test_packages(bundle: PolicyBundle) -> list[str]:
    """The bundle's test package names, sorted."""
    return sorted(set(packages_of_tests(bundle).values()))


def run_bundle_tests(
    bundle: PolicyBundle,
    engine: Engine,
    *,
    packages: Iterable[str] | None = None,
    on_package: ProgressCallback | None = None,
) -> PolicyTestRun:
    """Run the bundle's tests on ``engine``, package after package.

    ``packages`` limits the run to those test packages (PolicyError for a name the bundle
    does not have). ``on_package`` is called with each package's result as soon as it is
    known, so a caller can show progress. Raises EngineError when the policies do not
    compile; the engine's timeout applies to each package.
    """
    tests = _tests_by_package(bundle)
    chosen = sorted(tests) if packages is None else _checked(packages, tests)
    _check_compiles(engine, bundle.modules, bundle.data)
    measured: list[_Measured] = []
    runs: list[PackageRun] = []
    for package in chosen:
        units = [
            _run_package(engine, modules, bundle.data, package, unit_tests)
            for modules, unit_tests in _units(bundle, tests[package])
        ]
        measured.extend(units)
        run = _joined(package, [unit.run for unit in units])
        if on_package is not None:
            on_package(run)
        runs.append(run)
    return PolicyTestRun(
        engine=engine.name,
        engine_version=engine.version,
        packages=tuple(runs),
        coverage=_policy_coverage(measured, set(bundle.modules)),
    )


def _units(
    bundle: PolicyBundle, tests: list[_TestRule]
) -> list[tuple[dict[str, str], list[_TestRule]]]:
    """The package's test files, each with the modules it is evaluated with.

    A rule's test file (``sla/sla_004_disruption_budget_test.rego``) is evaluated with the
    shared library, the area's modules that are no rule file, its own rule file and the
    package's shared test files (builders). Any other test file (the area's
    ``<area>_test.rego``: the compliant stack has no finding of any rule) gets every module of
    its area. Areas never reference each other (each is queried as ``data.<area>.deny``); an
    area a test names (``data.cost``, the test kit's ``denials("cost", ...)``) is loaded whole.

    Why not the whole bundle for every file: rego-cpp 1.5 re-evaluates every rule a query
    reaches at each reference while a ``with`` is in effect (no caching), so a test of one rule
    evaluated with all of its area's rules took seconds and gigabytes, and a package's tests
    together exceeded the machine's memory. A file that does not compile or crashes the engine
    also fails alone.
    """
    rule_files = {
        test_file: rule
        for test_file in bundle.test_modules
        if (rule := _rule_file_of(bundle, test_file)) is not None
    }
    loaded_rules = set(rule_files.values())
    by_id = {
        rule_id: path
        for path, source in bundle.modules.items()
        for rule_id in _RULE_ID_DECLARED.findall(source)
    }
    by_file: dict[str, list[_TestRule]] = {}
    for test in tests:
        by_file.setdefault(test.relative, []).append(test)
    units: list[tuple[dict[str, str], list[_TestRule]]] = []
    for relative, file_tests in by_file.items():
        # Its own file and the package's shared builders (the test files that test no single
        # rule): rego-cpp compiles every loaded module at each query, and the test files are
        # most of the text.
        own = {
            rel: bundle.test_modules[rel]
            for rel in by_file
            if rel == relative or rel not in rule_files
        }
        rule = rule_files.get(relative)
        folder = relative.split("/")[0]
        # Other areas the tests name come whole; the file's own area only for a file that
        # tests no single rule.
        areas = _areas_named(own.values()) - {folder}
        if rule is None:
            areas.add(folder)
        # The rule files of the other rules the file's tests name ("SLA-013": a test that one
        # rule leaves a case to another).
        named = {
            by_id[rule_id]
            for rule_id in _RULE_ID.findall(bundle.test_modules[relative])
            if rule_id in by_id
        }
        policies = {
            path: source
            for path, source in bundle.modules.items()
            if path.split("/")[0] in areas
            or path == rule
            or path in named
            or (path.split("/")[0] == folder and path not in loaded_rules)
            or path.split("/")[0] == LIBRARY_FOLDER
        }
        units.append(({**policies, **bundle.test_kits, **own}, file_tests))
    return units


def _rule_file_of(bundle: PolicyBundle, test_file: str) -> str | None:
    """The rule file a test file tests (``x_test.rego`` beside ``x.rego``), unless that is
    the area's own module (``sla/sla.rego``) or a library module."""
    if not test_file.endswith(TEST_SUFFIX):
        return None
    rule = test_file[: -len(TEST_SUFFIX)] + ".rego"
    folder, _, name = rule.partition("/")
    if folder == LIBRARY_FOLDER or name == f"{folder}.rego" or rule not in bundle.modules:
        return None
    return rule


def _areas_named(sources: Iterable[str]) -> set[str]:
    """The areas test sources reach by reference or through the test kit's denials."""
    areas: set[str] = set()
    for source in sources:
        areas.update(_AREA_REFERENCE.findall(source))
        areas.update(_KIT_AREA.findall(source))
    return areas


def _joined(package: str, runs: list[PackageRun]) -> PackageRun:
    """One package's result from those of its test files."""
    errors = [run.error for run in runs if run.error]
    return PackageRun(
        package=package,
        files=tuple(file for run in runs for file in run.files),
        outcomes=tuple(outcome for run in runs for outcome in run.outcomes),
        seconds=sum(run.seconds for run in runs),
        error="; ".join(errors),
    )


def _check_compiles(engine: Engine, modules: dict[str, str], data: dict[str, Any]) -> None:
    """EngineError when the policies do not compile, rather than every test failing with it.

    regorus compiles the whole bundle at its first query, so a trivial query is enough.
    """
    probe = "true"
    errors = engine.evaluate(modules, data, {}, [probe]).errors
    if probe in errors:
        raise EngineError(f"the policies do not compile: {errors[probe]}")


def _tests_by_package(bundle: PolicyBundle) -> dict[str, list[_TestRule]]:
    packages = packages_of_tests(bundle)
    tests: dict[str, list[_TestRule]] = {}
    for relative in bundle.test_modules:  # load order (bundle._load_order), not sorted
        if relative not in packages:
            continue  # a shared test kit
        file = f"{bundle.root.name}/{relative}"
        names = dict.fromkeys(_TEST_RULE.findall(bundle.test_modules[relative]))
        tests.setdefault(packages[relative], []).extend(
            _TestRule(relative, file, name) for name in names
        )
    return tests


def _checked(packages: Iterable[str], known: dict[str, list[_TestRule]]) -> list[str]:
    chosen = sorted(set(packages))
    unknown = [package for package in chosen if package not in known]
    if unknown:
        raise PolicyError(
            f"no test package {', '.join(unknown)}; the bundle has: {', '.join(sorted(known))}"
        )
    return chosen


def _run_package(
    engine: Engine,
    modules: dict[str, str],
    data: dict[str, Any],
    package: str,
    tests: list[_TestRule],
) -> _Measured:
    """Evaluate ``tests`` (one query each: the other test files loaded are not evaluated)."""
    files = tuple(dict.fromkeys(test.file for test in tests))
    # One query for the file's tests, each wrapped in an array comprehension (empty when the
    # test is undefined): one compile per file on rego-cpp, which compiles at every query, and
    # the package's other loaded tests are not evaluated.
    query = (
        f"data.{package}" if engine.name in _WHOLE_PACKAGE_ENGINES else _file_query(package, tests)
    )
    started = time.monotonic()
    try:
        # A covered evaluation starts from freshly loaded policies: nothing is left over from
        # the previous file (rego-cpp slows down as one interpreter answers more queries).
        measured = engine.evaluate(modules, data, {}, [query], coverage=True)
        if query in measured.errors:
            # A test raised an error: evaluate them one by one to charge it to its test.
            outcomes = _one_by_one(engine, modules, data, package, tests)
            reasons = {outcome.message for outcome in outcomes}
            all_erred = all(outcome.status is TestStatus.ERROR for outcome in outcomes)
            if all_erred and len(outcomes) > 1 and len(reasons) == 1:
                # Every test erred the same way (the test file does not compile): say it once.
                raise EngineError(reasons.pop())
        else:
            found = measured.values.get(query)
            values = found if isinstance(found, dict) else {}
            if query != f"data.{package}":
                values = {name: _first(value) for name, value in values.items()}
            outcomes = [_judged(package, test, values.get(test.name)) for test in tests]
    except EngineError as exc:
        reason = f"package {package} could not be evaluated: {exc}"
        errored = tuple(
            TestOutcome(test.file, package, test.name, TestStatus.ERROR, reason) for test in tests
        )
        run = PackageRun(package, files, errored, time.monotonic() - started, error=reason)
        return _Measured(run, evaluated=False, coverage=None)
    run = PackageRun(package, files, tuple(outcomes), time.monotonic() - started)
    return _Measured(run, evaluated=True, coverage=measured.coverage)


def _file_query(package: str, tests: list[_TestRule]) -> str:
    """``{"test_a": [x | x := data.p.test_a], ...}``: every test's value, or [] if undefined."""
    entries = ", ".join(
        f'"{test.name}": [value | value := data.{package}.{test.name}]' for test in tests
    )
    return "{" + entries + "}"


def _first(values: object) -> object:
    """A test's value from its comprehension: None (undefined) when it produced none."""
    return values[0] if isinstance(values, list) and values else None


def _one_by_one(
    engine: Engine,
    modules: dict[str, str],
    data: dict[str, Any],
    package: str,
    tests: list[_TestRule],
) -> list[TestOutcome]:
    queries = {test.name: f"data.{package}.{test.name}" for test in tests}
    evaluation = engine.evaluate(modules, data, {}, list(queries.values()))
    outcomes: list[TestOutcome] = []
    for test in tests:
        query = queries[test.name]
        if query in evaluation.errors:
            message = evaluation.errors[query]
            outcomes.append(TestOutcome(test.file, package, test.name, TestStatus.ERROR, message))
        else:
            outcomes.append(_judged(package, test, evaluation.values.get(query)))
    return outcomes


def _judged(package: str, test: _TestRule, value: object) -> TestOutcome:
    if value is True:
        return TestOutcome(test.file, package, test.name, TestStatus.PASSED)
    reason = "undefined (a condition was false)" if value is None else f"evaluated to {value!r}"
    return TestOutcome(test.file, package, test.name, TestStatus.FAILED, reason)


def _policy_coverage(measured: list[_Measured], policy_files: set[str]) -> CoverageReport:
    """Coverage merged over the packages the engine evaluated: a line is covered when any
    package's tests executed it."""
    evaluated = [item for item in measured if item.evaluated]
    if not evaluated:
        return CoverageReport(unavailable=NOTHING_MEASURED)
    reports = [item.coverage for item in evaluated if item.coverage is not None]
    if not reports:
        return CoverageReport(unavailable=COVERAGE_UNAVAILABLE)
    covered: dict[str, set[int]] = {}
    coverable: dict[str, set[int]] = {}
    for files in reports:
        for file in files:
            if file.path in policy_files:
                covered.setdefault(file.path, set()).update(file.covered)
                coverable.setdefault(file.path, set()).update(file.covered | file.not_covered)
    return CoverageReport(
        files=tuple(
            FileCoverage(
                path=path,
                covered=frozenset(covered[path]),
                not_covered=frozenset(coverable[path] - covered[path]),
            )
            for path in sorted(covered)
        )
    )
