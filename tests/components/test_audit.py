"""AuditTrail on the Pulumi mock engine."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from components.audit import (
    CLOUDWATCH_RETENTION_DAYS,
    AuditTrail,
    AuditTrailArgs,
    log_retention_days,
    object_lock_mode,
)
from components.config import StackSpec, load_stack, parse_spec, read_stack_config, stack_file
from tests.components.conftest import RecordingMocks

ACCOUNT = "123456789012"  # the mocks' IAM role ARNs carry this account


def build(spec: StackSpec) -> dict[str, Any]:
    """Create the trail; return its resolved outputs."""
    resolved: dict[str, Any] = {}

    @pulumi.runtime.test
    def run() -> pulumi.Output[Any]:
        audit = AuditTrail("audit", AuditTrailArgs.of(spec))
        return pulumi.Output.all(audit.bucket_name, audit.kms_key.arn, audit.bucket.arn).apply(
            lambda values: resolved.update(
                zip(("bucket", "key", "bucket_arn"), values, strict=True)
            )
        )

    run()
    return resolved


def only(mocks: RecordingMocks, token: str) -> dict[str, Any]:
    (resource,) = mocks.of_type(token)
    return dict(resource.inputs)


def with_audit(stack: str, **audit: Any) -> StackSpec:
    config = read_stack_config(stack_file(stack))
    config["llm-serving:audit"] = {**config["llm-serving:audit"], **audit}
    return parse_spec(stack, config)


def test_bucket_is_locked_versioned_encrypted_and_private(mocks: RecordingMocks) -> None:
    spec = load_stack("prod-ca")
    outputs = build(spec)
    bucket = only(mocks, "aws:s3/bucket:Bucket")
    assert bucket["objectLockEnabled"] is True
    assert bucket["tags"]["servegate.io/purpose"] == "audit"
    versioning = only(mocks, "aws:s3/bucketVersioning:BucketVersioning")
    assert versioning["versioningConfiguration"]["status"] == "Enabled"
    lock = only(mocks, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")
    retention = lock["rule"]["defaultRetention"]
    assert retention == {"mode": "COMPLIANCE", "days": spec.audit.object_lock_days}
    sse = only(
        mocks,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    )
    (rule,) = sse["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {
        "sseAlgorithm": "aws:kms",
        "kmsMasterKeyId": outputs["key"],
    }
    assert rule["bucketKeyEnabled"] is True
    block = only(mocks, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    for flag in (
        "blockPublicAcls",
        "blockPublicPolicy",
        "ignorePublicAcls",
        "restrictPublicBuckets",
    ):
        assert block[flag] is True
    ownership = only(mocks, "aws:s3/bucketOwnershipControls:BucketOwnershipControls")
    assert ownership["rule"]["objectOwnership"] == "BucketOwnerEnforced"
    for token in (
        "aws:s3/bucketVersioning:BucketVersioning",
        "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "aws:s3/bucketPolicy:BucketPolicy",
    ):
        assert only(mocks, token)["bucket"] == "audit-logs-id"


def test_bucket_policy_is_tls_only_and_scoped_to_the_trail(mocks: RecordingMocks) -> None:
    spec = load_stack("prod-ca")
    outputs = build(spec)
    statements = {
        s["Sid"]: s
        for s in json.loads(only(mocks, "aws:s3/bucketPolicy:BucketPolicy")["policy"])["Statement"]
    }
    deny = statements["DenyInsecureTransport"]
    assert deny["Effect"] == "Deny"
    assert deny["Principal"] == "*"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert set(deny["Resource"]) == {outputs["bucket_arn"], f"{outputs['bucket_arn']}/*"}
    trail_arn = f"arn:aws:cloudtrail:{spec.region}:{ACCOUNT}:trail/audit"
    write = statements["CloudTrailWrite"]
    assert write["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert write["Resource"] == f"{outputs['bucket_arn']}/AWSLogs/{ACCOUNT}/*"
    assert write["Condition"]["StringEquals"]["aws:SourceArn"] == trail_arn
    assert (
        statements["CloudTrailAclCheck"]["Condition"]["StringEquals"]["aws:SourceArn"] == trail_arn
    )


def test_trail_validates_files_covers_all_regions_and_uses_the_key(mocks: RecordingMocks) -> None:
    spec = load_stack("prod-ca")
    outputs = build(spec)
    trail = only(mocks, "aws:cloudtrail/trail:Trail")
    assert trail["enableLogFileValidation"] is True
    assert trail["isMultiRegionTrail"] is True
    assert trail["includeGlobalServiceEvents"] is True
    assert trail["kmsKeyId"] == outputs["key"]
    assert trail["s3BucketName"] == outputs["bucket"]
    group = only(mocks, "aws:cloudwatch/logGroup:LogGroup")
    assert trail["cloudWatchLogsGroupArn"] == "arn:aws:mock:::audit-trail:*"
    assert group["retentionInDays"] >= spec.audit.log_retention_days
    assert group["kmsKeyId"] == outputs["key"]
    key = only(mocks, "aws:kms/key:Key")
    assert key["enableKeyRotation"] is True
    principals = [s["Principal"] for s in json.loads(key["policy"])["Statement"]]
    assert {"Service": "cloudtrail.amazonaws.com"} in principals
    assert {"Service": f"logs.{spec.region}.amazonaws.com"} in principals


def test_governance_lock_for_internal_data(mocks: RecordingMocks) -> None:
    spec = load_stack("dev")
    assert spec.tags["data-classification"] == "internal"
    build(spec)
    lock = only(mocks, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")
    assert lock["rule"]["defaultRetention"] == {
        "mode": "GOVERNANCE",
        "days": spec.audit.object_lock_days,
    }
    assert object_lock_mode(load_stack("prod-eu").tags["data-classification"]) == "COMPLIANCE"


@pytest.mark.parametrize(("declared", "applied"), [(30, 30), (100, 120), (366, 400), (3653, 3653)])
def test_retention_rounds_up_to_a_value_cloudwatch_accepts(declared: int, applied: int) -> None:
    spec = with_audit("prod-ca", logRetentionDays=declared)
    assert log_retention_days(spec.audit) == applied
    assert applied in CLOUDWATCH_RETENTION_DAYS


def test_children_are_named_under_the_component(mocks: RecordingMocks) -> None:
    build(load_stack("prod-ca"))
    children = [r for r in mocks.resources if r.typ != "servegate:index:AuditTrail"]
    assert all(r.name.startswith("audit-") for r in children)
