"""junit.xml: one test case per rule, for CI test UIs.

A rule fails when it has unwaived mandatory findings (undecided ones included: the gate
fails closed). Advisory and waived findings keep their rule passing and are listed in
``<system-out>`` so they stay visible without failing the build. A rule that does not
apply to the stack (no SLA declared, not sovereign) is ``<skipped>``, never a pass.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict

from servegate.findings import Finding, Report, Rule, RuleOutcome, RuleStatus
from servegate.report.values import sort_key, status_of, value_text
from servegate.report.view import all_rules

# Characters XML 1.0 cannot carry at all; a message containing one must still serialize.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _line(finding: Finding) -> str:
    evidence = f"{finding.evidence.path} = {value_text(finding.evidence.value)}"
    if finding.evidence.limit is not None:
        limit = finding.evidence.limit
        evidence += f"; limit {limit.path} = {value_text(limit.value)}"
    line = f"{finding.resource_urn}: {finding.message} [{evidence}]"
    if finding.waiver is not None:
        line += (
            f" ({finding.waiver.label}, waived by {finding.waiver.approved_by} until "
            f"{finding.waiver.expires.isoformat()}: {finding.waiver.justification})"
        )
    return f"- {status_of(finding)}: {line}"


def _testcase(
    rule: Rule, findings: list[Finding], stack: str, status: RuleStatus | None
) -> tuple[ET.Element, bool]:
    case = ET.Element(
        "testcase",
        {"classname": rule.area.value, "name": _xml_text(f"{rule.id} {rule.title}"), "time": "0"},
    )
    case.set("file", f"stacks/Pulumi.{stack}.yaml")
    blocking = [f for f in findings if f.blocking]
    others = [f for f in findings if not f.blocking]
    if blocking:
        failure = ET.SubElement(
            case,
            "failure",
            {
                "message": f"{len(blocking)} unwaived mandatory finding(s) of {rule.id}",
                "type": rule.severity.value,
            },
        )
        failure.text = _xml_text("\n".join(_line(f) for f in blocking))
    if status is not None and status.status is RuleOutcome.NOT_APPLICABLE:
        ET.SubElement(case, "skipped", {"message": _xml_text(f"not applicable: {status.reason}")})
    if others:
        out = ET.SubElement(case, "system-out")
        out.text = _xml_text("\n".join(_line(f) for f in others))
    return case, bool(blocking)


def render_junit(report: Report) -> str:
    """The report as JUnit XML (one <testsuite> for the stack inside <testsuites>)."""
    by_rule: dict[str, list[Finding]] = defaultdict(list)
    for finding in sorted(report.findings, key=sort_key):
        by_rule[finding.rule_id].append(finding)
    rules = sorted(all_rules(report).values(), key=lambda r: r.id)
    statuses = {s.rule_id: s for s in report.rule_status}
    cases = [
        _testcase(rule, by_rule.get(rule.id, []), report.stack, statuses.get(rule.id))
        for rule in rules
    ]
    failures = sum(1 for _, failed in cases if failed)
    skipped = sum(1 for s in statuses.values() if s.status is RuleOutcome.NOT_APPLICABLE)
    counts = {
        "tests": str(len(cases)),
        "failures": str(failures),
        "errors": "0",
        "skipped": str(skipped),
    }
    root = ET.Element("testsuites", {"name": "servegate", **counts, "time": "0"})
    suite = ET.SubElement(
        root,
        "testsuite",
        {
            "name": f"servegate {report.stack}",
            **counts,
            "time": "0",
            "timestamp": report.generated_at,
        },
    )
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("stack", report.stack),
        ("source", report.source),
        ("verdict", report.verdict.value),
        ("plan_sha256", report.plan_sha256),
        ("policies_sha256", report.policies_sha256),
        ("engine", f"{report.engine.name} {report.engine.version}"),
        ("as_of", report.as_of),
        ("waivers_file", report.waivers_file or "none"),
        ("waivers_sha256", report.waivers_sha256 or ""),
    ):
        ET.SubElement(properties, "property", {"name": name, "value": _xml_text(value)})
    suite.extend(case for case, _ in cases)
    if report.waiver_problems:
        # Waiver problems concern the waivers file, not a rule: listed on the suite.
        out = ET.SubElement(suite, "system-out")
        out.text = _xml_text("\n".join(f"- {p.label}: {p.reason}" for p in report.waiver_problems))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
