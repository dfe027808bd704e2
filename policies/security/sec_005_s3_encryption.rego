# SEC-005: S3 buckets are encrypted with a KMS key.
package security

import data.lib.inventory as inv
import rego.v1

_bucket_types := {"aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"}

# METADATA
# title: S3 buckets are encrypted with a KMS key
# description: Model weights and audit evidence live in S3; default KMS encryption adds key
#   policy and CloudTrail-logged decrypts on top of S3's own access control.
# custom:
#   id: SEC-005
#   area: security
#   severity: high
#   enforcement: mandatory
#   scope: stack
#   resource_types: ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"]
#   parameters: []
#   remediation: Add an aws.s3.BucketServerSideEncryptionConfiguration for the bucket with
#     sse_algorithm "aws:kms" and a customer-managed key.
deny contains v if {
	some type_token in _bucket_types
	some bucket in inv.resources(input, type_token)
	not bucket.urn in data.lib.inventory.sse_kms_buckets
	v := _encryption_finding(bucket)
}

# Undecided while the bucket's encryption algorithm is unknown.
_encryption_finding(bucket) := inv.undecided("SEC-005", bucket, "serverSideEncryption") if {
	bucket.urn in data.lib.inventory.sse_unknown_buckets
} else := inv.violation(
	"SEC-005", bucket,
	concat("", [
		"S3 bucket ",
		bucket.name,
		" is not encrypted with KMS; it needs a BucketServerSideEncryptionConfiguration with sseAlgorithm aws:kms",
	]),
	"serverSideEncryption", null,
)
