"""Baseline diff: which findings are new since an approved report.json, which are unchanged
and which were resolved.

A finding's identity across runs is ``Finding.key``: rule id, resource URN and evidence path.
Messages and values may change between runs without making a finding new.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from servegate.findings import BaselineStatus, Finding, Report
from servegate.report.json_report import load_report_json


def load_baseline(path: Path) -> Report:
    """The baseline report at ``path``; GateError (one line) when it is not a report.json."""
    return load_report_json(path)


def diff(
    current: Sequence[Finding], baseline: Sequence[Finding]
) -> tuple[tuple[Finding, ...], tuple[Finding, ...]]:
    """Current findings marked NEW or UNCHANGED, and the baseline's findings that are gone
    (marked RESOLVED), in their original order."""
    baseline_keys = {finding.key for finding in baseline}
    current_keys = {finding.key for finding in current}
    marked = tuple(
        replace(
            finding,
            baseline=(
                BaselineStatus.UNCHANGED if finding.key in baseline_keys else BaselineStatus.NEW
            ),
        )
        for finding in current
    )
    resolved: list[Finding] = []
    seen: set[tuple[str, str, str]] = set()
    for finding in baseline:
        if finding.key in current_keys or finding.key in seen:
            continue
        seen.add(finding.key)
        resolved.append(replace(finding, baseline=BaselineStatus.RESOLVED))
    return marked, tuple(resolved)


def apply_baseline(report: Report, baseline: Report, baseline_path: str) -> Report:
    """``report`` with its findings diffed against ``baseline`` (whose file is recorded)."""
    findings, resolved = diff(report.findings, baseline.findings)
    return replace(report, findings=findings, resolved=resolved, baseline_path=baseline_path)
