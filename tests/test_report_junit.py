"""junit.xml: one test case per rule, failures for unwaived mandatory findings."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace

from servegate.report.junit import render_junit
from tests.report_builders import RULES, XSS, failing_report, passing_report


def _suite(xml: str) -> ET.Element:
    root = ET.fromstring(xml)
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    assert root.get("tests") == suite.get("tests") and root.get("failures") == suite.get("failures")
    return suite


def _cases(suite: ET.Element) -> dict[str, ET.Element]:
    return {str(case.get("name")).split(" ", 1)[0]: case for case in suite.findall("testcase")}


def test_failing_report_counts_and_failures() -> None:
    suite = _suite(render_junit(failing_report()))
    cases = _cases(suite)
    assert set(cases) == {r.id for r in RULES}
    failed = {rule_id for rule_id, case in cases.items() if case.find("failure") is not None}
    # SLA-002 is waived and SEC-002 advisory; CST-001 has no finding at all
    assert failed == {"RES-001", "SLA-001", "AUD-001", "SEC-001", "CST-002"}
    assert suite.get("tests") == str(len(RULES))
    assert suite.get("failures") == str(len(failed))
    assert cases["RES-001"].get("classname") == "residency"
    assert (
        cases["RES-001"].get("name") == "RES-001 Resources stay inside the stack's sovereignty zone"
    )


def test_failure_lists_each_resource_with_its_message() -> None:
    cases = _cases(_suite(render_junit(failing_report())))
    failure = cases["RES-001"].find("failure")
    assert failure is not None and failure.text is not None
    assert failure.get("message") == "2 unwaived mandatory finding(s) of RES-001"
    assert XSS in failure.text  # a parsed XML text node: escaped in the file, intact here
    assert "bucket in us-east-1 is outside zone ca" in failure.text
    assert "undecided" in str(cases["SEC-001"].findtext("failure"))


def test_advisory_and_waived_findings_pass_with_system_out() -> None:
    cases = _cases(_suite(render_junit(failing_report())))
    for rule_id, word in (("SEC-002", "open"), ("SLA-002", "waived by compliance@example.com")):
        assert cases[rule_id].find("failure") is None
        assert word in str(cases[rule_id].findtext("system-out"))


def test_passing_report_has_no_failures() -> None:
    suite = _suite(render_junit(passing_report()))
    assert suite.get("failures") == "0"
    assert all(case.find("failure") is None for case in suite.findall("testcase"))


def test_control_characters_still_give_well_formed_xml() -> None:
    report = failing_report()
    broken = replace(report.findings[0], message="bell \x07 and nul \x00")
    suite = _suite(render_junit(replace(report, findings=(broken,))))
    assert "bell" in str(_cases(suite)["RES-001"].findtext("failure"))
