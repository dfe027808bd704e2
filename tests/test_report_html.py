"""report.html: self-contained, escaped, complete for a reviewer."""

from __future__ import annotations

import base64
import hashlib
import re
from collections import Counter
from html.parser import HTMLParser

import pytest

from servegate.baseline import apply_baseline
from servegate.findings import Finding, Report
from servegate.report.html import OPEN_UP_TO, render_html
from servegate.report.values import STATUSES, sort_key, status_of
from tests.report_builders import (
    RULES,
    XSS,
    failing_report,
    finding,
    many_findings_report,
    passing_report,
    report,
    urn,
)

CSP = "Content-Security-Policy"


class _Collector(HTMLParser):
    """Tags with their attributes, inline script bodies, and visible text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self.text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        (self.scripts if self._in_script else self.text).append(data)


def _parse(html: str) -> _Collector:
    collector = _Collector()
    collector.feed(html)
    return collector


@pytest.fixture(scope="module")
def failing_html() -> str:
    return render_html(failing_report())


def test_script_named_resource_is_escaped(failing_html: str) -> None:
    assert XSS not in failing_html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in failing_html
    page = _parse(failing_html)
    assert [tag for tag, _ in page.tags].count("script") == 1
    assert any(XSS in chunk for chunk in page.text)  # shown to the reader as text


@pytest.mark.parametrize("build", [passing_report, failing_report])
def test_page_is_self_contained(build: object) -> None:
    html = render_html(build())  # type: ignore[operator]
    page = _parse(html)
    for tag, attrs in page.tags:
        assert "src" not in attrs, tag
        href = attrs.get("href")
        assert href is None or href.startswith("#"), href
        assert tag not in {"link", "iframe", "img", "object", "embed"}
    assert not re.search(r"@import|url\(", html, re.IGNORECASE)
    assert not re.search(r"https?://", "".join(page.scripts))


def test_content_security_policy_allows_exactly_the_inline_script(failing_html: str) -> None:
    page = _parse(failing_html)
    csp = next(
        a["content"] for t, a in page.tags if a.get("http-equiv") == "Content-Security-Policy"
    )
    assert csp is not None and "default-src 'none'" in csp
    (script,) = page.scripts
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in csp


def test_banner_summary_and_provenance(failing_html: str) -> None:
    text = " ".join(_parse(failing_html).text)
    assert "FAIL: stack dev" in text
    blocking = failing_report().summary.mandatory_failed
    assert blocking == 7  # six open, one undecided: the gate fails closed
    assert f"{blocking} unwaived mandatory findings block this plan" in text
    for value in ("a" * 64, "b" * 64, "regorus 0.13.2", "preview", "2026-11-22T10:00:00Z"):
        assert value in text
    for area in ("residency", "sla", "audit", "security", "cost"):
        assert re.search(rf'<tr><th scope="row">{area}</th><td class="num">\d+', failing_html)


def test_every_finding_is_a_filterable_row(failing_html: str) -> None:
    report = failing_report()
    rows = [a for t, a in _parse(failing_html).tags if t == "tr" and "data-area" in a]
    assert len(rows) == len(report.findings)
    statuses = sorted(str(a["data-status"]) for a in rows)
    assert statuses == sorted(["open"] * 7 + ["undecided", "waived"])
    assert {a["data-area"] for a in rows} == {"residency", "sla", "audit", "security", "cost"}
    for select in ("filter-area", "filter-severity", "filter-status"):
        assert f'<label for="{select}">' in failing_html


def test_waivers_problems_and_remediation(failing_html: str) -> None:
    assert "compliance@example.com" in failing_html
    assert "accepted risk for SLA-002" in failing_html
    assert "expired on 2026-01-31" in failing_html
    assert "Fix RES-001 by changing the stack config." in failing_html


def test_catalog_appendix_lists_every_rule(failing_html: str) -> None:
    appendix = failing_html[failing_html.index('id="catalog"') :]
    for rule in RULES:
        assert f'id="rule-{rule.id}"' in appendix
    assert "policies/data: zones.zones" in appendix


def test_long_values_are_truncated_with_a_note() -> None:
    long_value = {"statement": ["x" * 50] * 20}
    item = finding("SEC-001", urn("dev", "aws:s3/bucketPolicy:BucketPolicy", "p"), value=long_value)
    html = render_html(report([item]))
    assert "x" * 50 * 5 not in html
    assert re.search(r"value truncated \(\d+ characters\)", html)


def test_baseline_states_and_resolved_findings() -> None:
    html = render_html(apply_baseline(failing_report(), passing_report(), "baseline.json"))
    assert 'id="filter-baseline"' in html
    assert 'data-baseline="new"' in html
    resolved = html[html.index('id="resolved"') : html.index('id="catalog"')]
    assert "CST-001" in resolved and "AUD-001" in resolved


def test_without_baseline_there_is_no_baseline_filter() -> None:
    assert 'id="filter-baseline"' not in render_html(passing_report())


def _sections(html: str) -> list[dict[str, str | None]]:
    return [a for t, a in _parse(html).tags if t == "details" and "data-rule" in a]


def test_thousands_of_findings_are_one_closed_section_per_rule() -> None:
    many = many_findings_report(3000)
    html = render_html(many)
    sections = _sections(html)
    # One section per rule, in report order, each starting closed; every finding is a row.
    assert [s["data-rule"] for s in sections] == list(
        dict.fromkeys(f.rule_id for f in sorted_findings(many))
    )
    assert {s["data-rule"] for s in sections} == {r.id for r in RULES}
    assert all("open" not in s for s in sections)
    rows = [a for t, a in _parse(html).tags if t == "tr" and "data-area" in a]
    assert len(rows) == 3000
    per_rule = Counter(f.rule_id for f in many.findings)
    for rule_id, count in per_rule.items():
        assert re.search(rf"<strong>{rule_id}</strong> [^<]*: {count} findings", html)
    assert "closed: open a rule to see its findings" in html


def test_a_few_findings_open_every_section() -> None:
    sections = _sections(render_html(many_findings_report(OPEN_UP_TO)))
    assert sections and all("open" in s for s in sections)
    assert all(
        "open" not in s for s in _sections(render_html(many_findings_report(OPEN_UP_TO + 1)))
    )


def sorted_findings(report: Report) -> list[Finding]:
    """The report's findings in the order the page lists them (status, then severity...)."""
    order = {status: index for index, status in enumerate(STATUSES)}
    return sorted(report.findings, key=lambda f: (order[status_of(f)], sort_key(f)))
