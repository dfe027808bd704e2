"""Baseline diff: new, unchanged and resolved findings."""

from __future__ import annotations

from dataclasses import replace

from servegate.baseline import apply_baseline, diff
from servegate.findings import BaselineStatus, Evidence
from tests.report_builders import failing_report, finding, urn


def test_each_finding_is_new_unchanged_or_resolved() -> None:
    bucket = urn("dev", "aws:s3/bucket:Bucket", "models")
    stays = finding("RES-001", bucket)
    goes = finding("SEC-001", bucket, path="acl")
    arrives = finding("AUD-001", bucket, path="logging")
    current, resolved = diff([stays, arrives], [stays, goes])
    assert [f.baseline for f in current] == [BaselineStatus.UNCHANGED, BaselineStatus.NEW]
    assert resolved == (replace(goes, baseline=BaselineStatus.RESOLVED),)


def test_identity_is_rule_resource_and_path_not_message_or_value() -> None:
    bucket = urn("dev", "aws:s3/bucket:Bucket", "models")
    before = finding("RES-001", bucket, value="us-east-1", message="old wording")
    now = finding("RES-001", bucket, value="us-west-2", message="new wording")
    other_path = replace(now, evidence=Evidence(path="replicaRegion", value="us-west-2"))
    current, resolved = diff([now, other_path], [before])
    assert [f.baseline for f in current] == [BaselineStatus.UNCHANGED, BaselineStatus.NEW]
    assert resolved == ()


def test_same_resource_under_another_rule_is_new() -> None:
    bucket = urn("dev", "aws:s3/bucket:Bucket", "models")
    current, resolved = diff([finding("SEC-001", bucket)], [finding("RES-001", bucket)])
    assert current[0].baseline is BaselineStatus.NEW
    assert [f.rule_id for f in resolved] == ["RES-001"]


def test_empty_baseline_makes_everything_new() -> None:
    report = failing_report()
    current, resolved = diff(report.findings, [])
    assert {f.baseline for f in current} == {BaselineStatus.NEW}
    assert resolved == ()


def test_apply_baseline_records_the_file_and_keeps_order() -> None:
    report = failing_report()
    result = apply_baseline(report, report, "reports/dev/baseline.json")
    assert result.baseline_path == "reports/dev/baseline.json"
    assert [f.key for f in result.findings] == [f.key for f in report.findings]
    assert {f.baseline for f in result.findings} == {BaselineStatus.UNCHANGED}
    assert result.resolved == ()


def test_duplicate_baseline_entries_resolve_once() -> None:
    bucket = urn("dev", "aws:s3/bucket:Bucket", "models")
    gone = finding("RES-001", bucket)
    _, resolved = diff([], [gone, gone])
    assert len(resolved) == 1
