"""How `servegate policies test` reports: failures first, then packages, totals and coverage."""

from __future__ import annotations

from rich.markup import escape

from servegate import console
from servegate.policy.testing import PackageRun, PolicyTestRun


def print_package_line(package: PackageRun) -> None:
    """A test package's line: its tests, how they ended, how long it took (not when quiet).

    Fits ``run_policy_tests(on_package=...)``, to show progress while regopy works.
    """
    if console.quiet():
        return
    out = console.out_console()
    verdict = "[green]ok[/]" if package.failed == 0 and package.outcomes else "[red]FAILED[/]"
    out.print(
        f"  {verdict} {escape(package.package)}: {len(package.outcomes)} tests, "
        f"{package.passed} passed, {package.failed} failed ({package.seconds:.1f}s)"
    )


def print_test_results(run: PolicyTestRun, *, package_lines: bool = True) -> int:
    """Print the run and return the exit code: 0 all passed, 1 a test failed or none ran.

    ``package_lines=False`` leaves out the per-package lines (a caller that printed them
    as the packages finished).
    """
    out = console.out_console()
    for package in run.packages:
        if package.error:
            # Every test of the package failed for the same reason: say it once.
            out.print(
                f"[red]ERROR[/] {escape(package.package)} ({escape(', '.join(package.files))}):"
                f" {len(package.outcomes)} tests not run — {escape(package.error)}"
            )
            continue
        for outcome in package.outcomes:
            if not outcome.passed:
                detail = f" — {escape(outcome.message)}" if outcome.message else ""
                out.print(
                    f"[red]{outcome.status.value.upper()}[/] {escape(outcome.package)}."
                    f"{escape(outcome.name)} ({escape(outcome.file)}){detail}"
                )
    if package_lines:
        for package in run.packages:
            print_package_line(package)
    if not console.quiet():
        for coverage in sorted(run.coverage.files, key=lambda f: f.path):
            out.print(f"  coverage {coverage.percent:5.1f}%  {escape(coverage.path)}")
    percent = run.coverage.percent
    coverage_text = (
        f"coverage {percent:.1f}%" if percent is not None else escape(run.coverage.unavailable)
    )
    out.print(
        f"{run.passed} passed, {run.failed} failed in {len(run.packages)} packages"
        f" ({run.seconds:.1f}s) — {run.engine} {run.engine_version}; {coverage_text}"
    )
    return 0 if run.ok else 1
