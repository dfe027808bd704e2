"""report.md: the PR comment."""

from __future__ import annotations

import re
from dataclasses import replace

from servegate.baseline import apply_baseline
from servegate.report.markdown import MAX_CHARS, render_markdown
from tests.report_builders import (
    RULES,
    XSS,
    failing_report,
    finding,
    many_findings_report,
    passing_report,
    urn,
)


def _section(text: str, heading: str) -> str:
    """The text from ``heading`` to the next heading or details tag."""
    start = text.index(heading)
    end = re.search(r"\n(### |</?details)", text[start + len(heading) :])
    return text[start : start + len(heading) + end.start()] if end else text[start:]


def test_failing_report_puts_verdict_and_blocking_findings_first() -> None:
    text = render_markdown(failing_report())
    first_line = text.splitlines()[0]
    assert "FAIL" in first_line and "dev" in first_line
    blocking = _section(text, "### Blocking findings (6)")
    assert text.index("### Blocking findings") < text.index("<details")
    for rule_id in ("RES-001", "SLA-001", "AUD-001", "SEC-001", "CST-002"):
        assert f"| {rule_id} |" in blocking
    # advisory, waived and undecided findings are folded, not in the blocking table
    assert "SEC-002" not in blocking and "SLA-002" not in blocking
    assert "encryptionConfig" not in blocking


def test_failing_report_folds_the_other_sections() -> None:
    text = render_markdown(failing_report())
    assert "<details open><summary>Undecided (1)" in text  # it blocks, so it is open
    assert "<details><summary>Advisory findings (1)" in text
    waived = _section(text, "<details><summary>Waived findings (1)")
    assert "compliance@example.com" in waived and "2027-03-31" in waived
    assert "### Waiver problems (1)" in text and "expired on 2026-01-31" in text


def test_passing_report_has_no_blocking_section() -> None:
    text = render_markdown(passing_report())
    assert "PASS" in text.splitlines()[0]
    assert "Blocking findings" not in text
    assert "Advisory findings (1)" in text and "Waived findings (1)" in text


def test_values_cannot_inject_html_or_break_tables() -> None:
    bucket = urn("dev", "aws:s3/bucket:Bucket", "a|b")
    nasty = finding("RES-001", bucket, message="x | y <b>bold</b> `code` *em* [l](http://e)")
    text = render_markdown(replace(failing_report(), findings=(nasty,)))
    assert XSS not in text and "<b>" not in text and "[l](http" not in text
    row = next(line for line in text.splitlines() if line.startswith("| RES-001 |"))
    # a cell separator is an unescaped pipe; the header has six columns
    assert len(re.findall(r"(?<!\\)\|", row)) == 7


def test_script_resource_is_escaped() -> None:
    text = render_markdown(failing_report())
    assert XSS not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_baseline_diff_is_shown() -> None:
    report = apply_baseline(failing_report(), passing_report(), "baseline.json")
    text = render_markdown(report)
    assert "9 new · 0 unchanged · 2 resolved" in text
    resolved = _section(text, "<details><summary>Resolved since the baseline (2)")
    assert "CST-001" in resolved and "AUD-001" in resolved
    assert "| new |" in text


def test_thousands_of_findings_are_summarised_under_the_limit() -> None:
    report = many_findings_report(6000)
    text = render_markdown(report)
    assert len(text) <= MAX_CHARS
    assert "more not listed" in text
    # the per-rule counts still account for every finding of a section
    per_rule = dict(re.findall(r"^\| ([A-Z]{3}-\d{3}) \| [^|]+ \| (\d+) \|$", text, re.M))
    assert set(per_rule) == {r.id for r in RULES}
    assert sum(int(n) for n in per_rule.values()) == 6000


def test_a_small_report_is_listed_in_full() -> None:
    text = render_markdown(many_findings_report(40))
    assert "more not listed" not in text
    assert len(re.findall(r"finding number \d+ ", text)) == 40
