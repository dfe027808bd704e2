"""The project's own Rego test suite passes on both embedded engines, package by package.

regopy (rego-cpp) needs up to a minute or two for a package here, so each package is its
own pytest test: a failure names the package and the engine, and the slow work is spread.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from servegate.engines import get_engine
from servegate.engines.base import Engine
from servegate.policy.bundle import load_bundle
from servegate.policy.testing import (
    PolicyTestRun,
    TestStatus,
    bundle_test_packages,
    package_timeout,
    run_bundle_tests,
)

ROOT = Path(__file__).resolve().parent.parent
BUNDLE = load_bundle(ROOT / "policies")
PACKAGES = bundle_test_packages(BUNDLE)
# opa-go is the official OPA engine in-process: the reference for Rego semantics.
EMBEDDED_ENGINES = ("regorus", "regopy", "opa-go")
MIN_COVERAGE_PERCENT = 90.0
# A line that starts a rule or function (not package, import or a comment).
_RULE_LINE = re.compile(r"^(?!package\b|import\b)[A-Za-z_]", re.MULTILINE)


@pytest.fixture(scope="module", params=EMBEDDED_ENGINES)
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """One worker per engine for the module; each package still loads fresh policies."""
    name: str = request.param
    instance = get_engine(name, timeout_s=package_timeout(name))
    yield instance
    close = getattr(instance, "close", None)
    if close is not None:
        close()


@pytest.fixture(scope="module")
def regorus_run() -> PolicyTestRun:
    return run_bundle_tests(BUNDLE, get_engine("regorus", timeout_s=package_timeout("regorus")))


def test_the_bundle_has_test_packages() -> None:
    assert PACKAGES, "policies/ has no *_test.rego packages"


@pytest.mark.parametrize("package", PACKAGES)
def test_every_test_of_the_package_passes(engine: Engine, package: str) -> None:
    run = run_bundle_tests(BUNDLE, engine, packages=[package])
    assert [p.package for p in run.packages] == [package]
    result = run.packages[0]
    assert not result.error, result.error
    assert len(result.outcomes) > 0, f"{package} has no test_* rules"
    failures = [f"{o.status.value} {o.name}: {o.message}" for o in result.outcomes if not o.passed]
    assert not failures, f"{engine.name} {package}:\n" + "\n".join(failures)
    assert result.passed == len(result.outcomes)


def test_regorus_covers_the_policies(regorus_run: PolicyTestRun) -> None:
    percent = regorus_run.coverage.percent
    assert percent is not None, regorus_run.coverage.unavailable
    assert percent >= MIN_COVERAGE_PERCENT, f"policy coverage {percent:.1f}%"
    # Every policy module with rules is measured, not only the ones some test happened to load
    # (an area's own file may hold only the package and its METADATA).
    assert {f.path for f in regorus_run.coverage.files} == {
        path for path, source in BUNDLE.modules.items() if _RULE_LINE.search(source)
    }


def test_every_rule_has_passing_tests_for_both_verdicts(regorus_run: PolicyTestRun) -> None:
    # A rule needs at least a case where it holds and one where it fires: two tests or more
    # named after its id, and those tests must pass.
    passing = {o.name for o in regorus_run.outcomes if o.status is TestStatus.PASSED}
    thin = {}
    for rule in BUNDLE.rules:
        named = _tests_named_after(rule.id, passing)
        if rule.test_cases < 2 or len(named) < 2:
            thin[rule.id] = (rule.test_cases, len(named))
    assert not thin, f"rules with fewer than two passing tests (counted, passing): {thin}"


def _tests_named_after(rule_id: str, names: set[str]) -> set[str]:
    snake = rule_id.lower().replace("-", "_")
    pattern = re.compile(rf"(^|_){re.escape(snake)}(_|$)")
    return {name for name in names if pattern.search(name)}


def test_an_undecided_message_reads_the_same_on_both_engines() -> None:
    # rego-cpp 1.5 keeps quotes around strings that sprintf("%s") receives through function
    # arguments; the shared helper must give reports the same text whichever engine ran.
    probe = (
        "package probe\n\nimport data.lib.inventory as inv\n\n"
        "judge(rule_id, path) := inv.undecided(rule_id, {'urn': 'u', 'type': 't'}, path)\n\n"
        "message := judge('AUD-001', 'isMultiRegionTrail').message\n"
    ).replace("'", '"')
    modules = {"lib/inventory.rego": BUNDLE.modules["lib/inventory.rego"], "probe.rego": probe}
    messages = {
        name: get_engine(name).query(modules, {}, {}, ["data.probe.message"])["data.probe.message"]
        for name in EMBEDDED_ENGINES
    }
    assert messages == dict.fromkeys(
        EMBEDDED_ENGINES, "AUD-001 cannot be judged: isMultiRegionTrail is unknown until apply"
    )
