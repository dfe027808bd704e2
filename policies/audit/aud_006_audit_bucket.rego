# AUD-006: The audit bucket is immutable, versioned, KMS-encrypted and private.
package audit

import data.lib.audit as audit_lib
import data.lib.inventory as inv
import rego.v1


_versioning_types := {"aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2"}

_object_lock_types := {
	"aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
	"aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2",
}

_public_access_block_type := "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"

_public_access_flags := ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"]

_min_object_lock(declared) := audit_lib.minimum(
	data.params.retention.min_object_lock_days,
	audit_lib.classification_of(declared),
)

# Each audit-bucket piece is judged as a set of [verdict, bucket urn] pairs ("ok" or
# "unknown"; a failing sub-resource adds none), built once and looked up per bucket.
_versioning_verdict(res) := "ok" if object.get(res.props, ["versioningConfiguration", "status"], "") == "Enabled"

_versioning_verdict(res) := "unknown" if inv.is_unknown(res, "versioningConfiguration.status")

_versioning := {[verdict, urn] |
	some type_token in _versioning_types
	some res in inv.resources(input, type_token)
	verdict := _versioning_verdict(res)
	some urn in inv.dep_urns(res, "bucket")
}

# S3 takes either days or years, never both.
_lock_days(res) := days if {
	days := inv.prop(res, "rule.defaultRetention.days")
	is_number(days)
} else := years * 365 if {
	years := inv.prop(res, "rule.defaultRetention.years")
	is_number(years)
}

_lock_verdict(res, minimum) := "ok" if {
	_lock_days(res) >= minimum
} else := "unknown" if {
	some period in ["days", "years"]
	inv.is_unknown(res, concat(".", ["rule.defaultRetention", period]))
}

_lock_minimum := _min_object_lock(input.declared)

_object_lock := {[verdict, urn] |
	some type_token in _object_lock_types
	some res in inv.resources(input, type_token)
	verdict := _lock_verdict(res, _lock_minimum)
	some urn in inv.dep_urns(res, "bucket")
}

_public_access_verdict(res) := "ok" if {
	every flag in _public_access_flags {
		inv.truthy(inv.prop(res, flag))
	}
}

_public_access_verdict(res) := "unknown" if {
	some flag in _public_access_flags
	inv.is_unknown(res, flag)
}

_public_access := {[verdict, urn] |
	some res in inv.resources(input, _public_access_block_type)
	verdict := _public_access_verdict(res)
	some urn in inv.dep_urns(res, "bucket")
}

# The pieces an audit bucket needs, each as [name, verdicts, what is required].
_audit_bucket_pieces := [
	[
		"versioning", _versioning,
		"an aws:s3/bucketVersioning:BucketVersioning with versioningConfiguration.status Enabled",
	],
	[
		"object lock retention", _object_lock,
		concat("", [
			"an aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration with a default retention of at least ",
			inv.text(_lock_minimum),
			" days",
		]),
	],
	[
		"public access block", _public_access,
		"an aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock with all four block/ignore/restrict flags true",
	],
]

# A missing piece is undecided while its sub-resource's deciding value is unknown.
_piece_finding(bucket, piece) := inv.undecided("AUD-006", bucket, piece[0]) if {
	["unknown", bucket.urn] in piece[1]
} else := inv.violation(
	"AUD-006", bucket,
	concat("", ["audit bucket ", bucket.name, " lacks ", piece[0], "; it needs ", piece[2]]),
	piece[0], null,
)

_encryption_finding(bucket) := inv.undecided("AUD-006", bucket, "serverSideEncryption") if {
	bucket.urn in data.lib.inventory.sse_unknown_buckets
} else := inv.violation(
	"AUD-006", bucket,
	concat("", [
		"audit bucket ",
		bucket.name,
		" lacks KMS encryption; it needs an ",
		"aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration ",
		"with sseAlgorithm aws:kms",
	]),
	"serverSideEncryption", null,
)

# METADATA
# title: The audit bucket is immutable, versioned, KMS-encrypted and private
# description: Audit evidence must survive an attacker with write access and stay readable only
#   to its owners; versioning, object lock for the classification's retention period, KMS
#   encryption and a public access block together provide that.
# custom:
#   id: AUD-006
#   area: audit
#   severity: high
#   enforcement: mandatory
#   scope: stack
#   resource_types: ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"]
#   config_key: audit.objectLockDays
#   parameters: [retention.min_object_lock_days]
#   remediation: Use the AuditTrail component's bucket, or give the trail's bucket object_lock_enabled=True,
#     a BucketVersioning (Enabled), a BucketObjectLockConfiguration with the required retention,
#     an SSE configuration with aws:kms and a BucketPublicAccessBlock with all flags true.
deny contains v if {
	count(data.lib.audit.audit_buckets) == 0
	v := inv.violation(
		"AUD-006", inv.stack_resource(input),
		concat("", [
			"the stack has no audit bucket; tag the trail's S3 bucket ",
			"servegate.io/purpose: audit or point a trail's s3BucketName at it",
		]),
		"resources", null,
	)
}

deny contains v if {
	some bucket in data.lib.audit.audit_buckets
	some piece in _audit_bucket_pieces
	not ["ok", bucket.urn] in piece[1]
	v := _piece_finding(bucket, piece)
}

deny contains v if {
	some bucket in data.lib.audit.audit_buckets
	not inv.is_unknown(bucket, "objectLockEnabled")
	not inv.truthy(inv.prop(bucket, "objectLockEnabled"))
	v := inv.violation(
		"AUD-006", bucket,
		concat("", ["audit bucket ", bucket.name, " lacks object lock; objectLockEnabled must be true"]),
		"objectLockEnabled", inv.prop(bucket, "objectLockEnabled"),
	)
}

deny contains v if {
	some bucket in data.lib.audit.audit_buckets
	not bucket.urn in data.lib.inventory.sse_kms_buckets
	v := _encryption_finding(bucket)
}
