"""How `servegate policies test` reports: failures first, then totals and coverage."""

from __future__ import annotations

from rich.markup import escape

from servegate import console
from servegate.policy.testing import PolicyTestRun


def print_test_results(run: PolicyTestRun) -> int:
    """Print the run and return the exit code: 0 all passed, 1 a test failed or none ran."""
    out = console.out_console()
    for outcome in run.outcomes:
        if not outcome.passed:
            detail = f" — {escape(outcome.message)}" if outcome.message else ""
            out.print(
                f"[red]{outcome.status.value.upper()}[/] {escape(outcome.package)}."
                f"{escape(outcome.name)} ({escape(outcome.file)}){detail}"
            )
    if not console.quiet():
        for coverage in sorted(run.coverage.files, key=lambda f: f.path):
            out.print(f"  coverage {coverage.percent:5.1f}%  {escape(coverage.path)}", markup=True)
    percent = run.coverage.percent
    coverage_text = (
        f"coverage {percent:.1f}%" if percent is not None else escape(run.coverage.unavailable)
    )
    out.print(
        f"{run.passed} passed, {run.failed} failed"
        f" — {run.engine} {run.engine_version}; {coverage_text}",
        markup=True,
    )
    return 0 if run.ok else 1
