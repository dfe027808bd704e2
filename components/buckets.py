"""What every S3 bucket the stack creates gets: no public access and no ACLs, default
encryption with a KMS key of the stack, and a policy statement refusing plain-HTTP requests.
One definition for the audit bucket and the payload-capture bucket, which the residency,
security and audit rules judge alike."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws


def private(
    name: str, bucket: aws.s3.Bucket, opts: pulumi.ResourceOptions
) -> aws.s3.BucketPublicAccessBlock:
    """Public access blocked and object ACLs disabled (the bucket owner owns every object).
    Returns the public access block: a bucket policy must wait for it."""
    public_access = aws.s3.BucketPublicAccessBlock(
        name,
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=opts,
    )
    aws.s3.BucketOwnershipControls(
        name,
        bucket=bucket.id,
        rule={"object_ownership": "BucketOwnerEnforced"},
        opts=opts,
    )
    return public_access


def kms_encrypted(
    name: str,
    bucket: aws.s3.Bucket,
    kms_key_arn: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
) -> aws.s3.BucketServerSideEncryptionConfiguration:
    """SSE-KMS by default with the given key, with S3 Bucket Keys (fewer KMS calls)."""
    return aws.s3.BucketServerSideEncryptionConfiguration(
        name,
        bucket=bucket.id,
        rules=[
            {
                "apply_server_side_encryption_by_default": {
                    "sse_algorithm": "aws:kms",
                    "kms_master_key_id": kms_key_arn,
                },
                "bucket_key_enabled": True,
            }
        ],
        opts=opts,
    )


def deny_insecure_transport(bucket_arn: str) -> dict[str, Any]:
    """The statement refusing every request to the bucket that is not over TLS."""
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
