"""AuditTrail: a tamper-evident CloudTrail of the account, kept in the stack's region."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components import buckets, iam
from components.config import AuditSpec, StackSpec

# CloudWatch Logs retention values the API accepts (PutRetentionPolicy).
CLOUDWATCH_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545,
    731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip
# Classifications whose audit records even the account root must not delete early.
_COMPLIANCE_LOCKED = frozenset({"regulated", "confidential"})


def log_retention_days(audit: AuditSpec) -> int:
    """Retention of the stack's audit-relevant log groups (trail, flow logs, control plane).

    The shortest value CloudWatch Logs accepts that is at least ``audit.logRetentionDays``:
    logs are kept at least as long as declared instead of failing at apply time.
    """
    days = audit.log_retention_days
    return next(
        (allowed for allowed in CLOUDWATCH_RETENTION_DAYS if allowed >= days),
        CLOUDWATCH_RETENTION_DAYS[-1],
    )


def object_lock_mode(classification: str) -> str:
    """``COMPLIANCE`` for regulated or confidential data, else ``GOVERNANCE``.

    Compliance mode cannot be lifted by anyone, root included, until the retention ends;
    governance mode lets holders of ``s3:BypassGovernanceRetention`` clean up
    non-sensitive environments.
    """
    return "COMPLIANCE" if classification in _COMPLIANCE_LOCKED else "GOVERNANCE"


@dataclass(frozen=True)
class AuditTrailArgs:
    """Inputs of :class:`AuditTrail`."""

    region: str
    """The stack's region: the trail, its bucket, key and log group live here."""
    audit: AuditSpec
    """Retention of the trail's logs and the bucket's object lock."""
    data_classification: str
    """The stack's ``data-classification`` tag; it picks the object-lock mode."""

    @classmethod
    def of(cls, spec: StackSpec) -> AuditTrailArgs:
        """The parts of a validated stack the trail reads."""
        return cls(
            region=spec.region,
            audit=spec.audit,
            data_classification=spec.tags.get("data-classification", ""),
        )


class AuditTrail(pulumi.ComponentResource):
    """A multi-region CloudTrail with log file validation, written to a locked bucket.

    The bucket is object-locked, versioned, KMS-encrypted, private and TLS-only; the
    trail is also streamed to a KMS-encrypted CloudWatch log group for alerting. The
    account id is taken from the delivery role's ARN, so no AWS lookup is needed.
    """

    def __init__(
        self, name: str, args: AuditTrailArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("servegate:index:AuditTrail", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        region = args.region
        trail_name = name

        delivery_role = aws.iam.Role(
            f"{name}-cloudtrail-logs",
            assume_role_policy=iam.service_trust("cloudtrail.amazonaws.com"),
            description="CloudTrail delivery to CloudWatch Logs",
            opts=child,
        )
        account = delivery_role.arn.apply(iam.account_of)
        trail_arn = account.apply(
            lambda acct: (
                f"arn:{iam.partition(region)}:cloudtrail:{region}:{acct}:trail/{trail_name}"
            )
        )

        self.kms_key = aws.kms.Key(
            f"{name}-key",
            description=f"Audit trail of {name}",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=pulumi.Output.all(account, trail_arn).apply(
                lambda values: _key_policy(region, values[0], values[1])
            ),
            opts=child,
        )

        self.bucket = aws.s3.Bucket(
            f"{name}-logs",
            object_lock_enabled=True,
            force_destroy=False,
            tags={"Name": f"{name}-logs", "servegate.io/purpose": "audit"},
            opts=child,
        )
        self.bucket_name: pulumi.Output[str] = self.bucket.bucket
        public_access = buckets.private(f"{name}-logs", self.bucket, child)
        versioning = aws.s3.BucketVersioning(
            f"{name}-logs",
            bucket=self.bucket.id,
            versioning_configuration={"status": "Enabled"},
            opts=child,
        )
        aws.s3.BucketObjectLockConfiguration(
            f"{name}-logs",
            bucket=self.bucket.id,
            object_lock_enabled="Enabled",
            rule={
                "default_retention": {
                    "mode": object_lock_mode(args.data_classification),
                    "days": args.audit.object_lock_days,
                }
            },
            opts=pulumi.ResourceOptions.merge(
                child, pulumi.ResourceOptions(depends_on=[versioning])
            ),
        )
        encryption = buckets.kms_encrypted(f"{name}-logs", self.bucket, self.kms_key.arn, child)
        bucket_policy = aws.s3.BucketPolicy(
            f"{name}-logs",
            bucket=self.bucket.id,
            policy=pulumi.Output.all(self.bucket.arn, account, trail_arn).apply(
                lambda values: _bucket_policy(values[0], values[1], values[2])
            ),
            # S3 rejects a policy while the public access block is being changed.
            opts=pulumi.ResourceOptions.merge(
                child, pulumi.ResourceOptions(depends_on=[public_access])
            ),
        )

        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-trail",
            name=f"/servegate/{name}/cloudtrail",
            retention_in_days=log_retention_days(args.audit),
            kms_key_id=self.kms_key.arn,
            opts=child,
        )
        delivery_policy = aws.iam.RolePolicy(
            f"{name}-cloudtrail-logs",
            role=delivery_role.id,
            policy=self.log_group.arn.apply(
                lambda arn: iam.document(
                    [
                        {
                            "Effect": "Allow",
                            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                            "Resource": f"{arn}:log-stream:*",
                        }
                    ]
                )
            ),
            opts=child,
        )

        self.trail = aws.cloudtrail.Trail(
            f"{name}-trail",
            name=trail_name,
            s3_bucket_name=self.bucket.bucket,
            kms_key_id=self.kms_key.arn,
            enable_log_file_validation=True,
            is_multi_region_trail=True,
            include_global_service_events=True,
            enable_logging=True,
            cloud_watch_logs_group_arn=self.log_group.arn.apply(lambda arn: f"{arn}:*"),
            cloud_watch_logs_role_arn=delivery_role.arn,
            advanced_event_selectors=self.bucket.arn.apply(audit_bucket_event_selectors),
            tags={"Name": trail_name},
            # CloudTrail checks bucket access and log delivery when the trail is created.
            opts=pulumi.ResourceOptions.merge(
                child,
                pulumi.ResourceOptions(depends_on=[bucket_policy, encryption, delivery_policy]),
            ),
        )
        self.register_outputs(
            {
                "trail_arn": self.trail.arn,
                "bucket_name": self.bucket_name,
                "log_group": self.log_group.name,
                "kms_key_arn": self.kms_key.arn,
            }
        )


def audit_bucket_event_selectors(
    bucket_arn: str,
) -> list[aws.cloudtrail.TrailAdvancedEventSelectorArgs]:
    """The trail's advanced event selectors: every management event, as before, plus data
    events recording who read, deleted or changed the retention of an object in the audit
    bucket itself.

    The trail's own deliveries are ``PutObject`` writes into that bucket; logging them would
    deliver a record of each delivery, forever. Writes other than ``PutObject`` (deletes,
    retention and legal-hold changes, copies, multipart uploads) are logged; new objects are
    already covered by versioning and object lock.
    """
    field = aws.cloudtrail.TrailAdvancedEventSelectorFieldSelectorArgs
    objects = [
        field(field="eventCategory", equals=["Data"]),
        field(field="resources.type", equals=["AWS::S3::Object"]),
        field(field="resources.ARN", starts_withs=[f"{bucket_arn}/"]),
    ]
    selector = aws.cloudtrail.TrailAdvancedEventSelectorArgs
    return [
        selector(
            name="Management events",
            field_selectors=[field(field="eventCategory", equals=["Management"])],
        ),
        selector(
            name="Audit bucket reads",
            field_selectors=[*objects, field(field="readOnly", equals=["true"])],
        ),
        selector(
            name="Audit bucket deletes and retention changes",
            field_selectors=[
                *objects,
                field(field="readOnly", equals=["false"]),
                field(field="eventName", not_equals=["PutObject"]),
            ],
        ),
    ]


def _key_policy(region: str, account: str, trail_arn: str) -> str:
    source = {"aws:SourceArn": trail_arn}
    return iam.document(
        [
            iam.key_admin_statement(region, account),
            iam.logs_key_statement(region, account),
            {
                "Sid": "CloudTrailEncryptLogs",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "kms:GenerateDataKey*",
                "Resource": "*",
                "Condition": {
                    "StringEquals": source,
                    "StringLike": {
                        "kms:EncryptionContext:aws:cloudtrail:arn": (
                            f"arn:{iam.partition(region)}:cloudtrail:*:{account}:trail/*"
                        )
                    },
                },
            },
            {
                "Sid": "CloudTrailDescribeKey",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "kms:DescribeKey",
                "Resource": "*",
                "Condition": {"StringEquals": source},
            },
        ]
    )


def _bucket_policy(bucket_arn: str, account: str, trail_arn: str) -> str:
    return iam.document(
        [
            {
                "Sid": "CloudTrailAclCheck",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "s3:GetBucketAcl",
                "Resource": bucket_arn,
                "Condition": {"StringEquals": {"aws:SourceArn": trail_arn}},
            },
            {
                "Sid": "CloudTrailWrite",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": f"{bucket_arn}/AWSLogs/{account}/*",
                "Condition": {
                    "StringEquals": {
                        "s3:x-amz-acl": "bucket-owner-full-control",
                        "aws:SourceArn": trail_arn,
                    }
                },
            },
            buckets.deny_insecure_transport(bucket_arn),
        ]
    )
