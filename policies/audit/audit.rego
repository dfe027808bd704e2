# METADATA
# title: Audit trail
# description: The evidence a reviewer or an investigator needs after the fact (API call
#   history, control-plane and network logs, their retention and integrity) and tagging that
#   ties every resource to an owner and a data classification.
package audit

import data.lib.inventory as inv
import data.lib.inventory.sse_kms_buckets
import data.lib.inventory.sse_unknown_buckets
import data.lib.inventory.unknown_value
import rego.v1

_trail_type := "aws:cloudtrail/trail:Trail"

_cluster_type := "aws:eks/cluster:Cluster"

_log_group_type := "aws:cloudwatch/logGroup:LogGroup"

_envoy_proxy_type := "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy"

_bucket_types := {"aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"}

_versioning_types := {"aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2"}

_object_lock_types := {
	"aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
	"aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2",
}

_public_access_block_type := "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"

_public_access_flags := ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"]

_required_cluster_log_types := {"audit", "authenticator"}

_classification_tag := "data-classification"

# -- declared facts (thresholds never come from here) --------------------------------------

_classification(declared) := object.get(declared, ["tags", _classification_tag], "")

# The minimum for the declared classification; an undeclared or unknown classification gets
# the strictest minimum of the table, so a typo can never loosen the rule.
_minimum(table, classification) := object.get(table, classification, _strictest(table))

# Not max(): regopy 1.5.2 orders numbers as text in max and sort.
_strictest(table) := days if {
	some days in table
	every other in table {
		days >= other
	}
}

_min_log_retention(declared) := _minimum(data.params.retention.min_log_retention_days, _classification(declared))

_min_object_lock(declared) := _minimum(data.params.retention.min_object_lock_days, _classification(declared))

# -- CloudTrail --------------------------------------------------------------------------------

# Recording, not merely declared: a trail whose logging is switched off records nothing.
_multi_region(trail) if {
	inv.truthy(inv.prop(trail, "isMultiRegionTrail"))
	object.get(trail.props, "enableLogging", true) != false
}

_any_multi_region(trails) if {
	some trail in trails
	_multi_region(trail)
}

_any_multi_region_unknown(trails) if {
	some trail in trails
	inv.is_unknown(trail, "isMultiRegionTrail")
}

# METADATA
# title: A multi-region CloudTrail trail records API activity
# description: Without a trail that covers every region there is no record of who changed the
#   serving infrastructure, including calls made in regions the stack does not use.
# custom:
#   id: AUD-001
#   area: audit
#   severity: high
#   enforcement: mandatory
#   scope: stack
#   parameters: []
#   remediation: Enable the AuditTrail component (an aws.cloudtrail.Trail with
#     is_multi_region_trail=True and logging enabled).
deny contains v if {
	count(inv.resources(input, _trail_type)) == 0
	v := inv.violation(
		"AUD-001", inv.stack_resource(input),
		"the stack declares no CloudTrail trail; one multi-region trail (aws:cloudtrail/trail:Trail) is required",
		"resources", null,
	)
}

deny contains v if {
	trails := inv.resources(input, _trail_type)
	not _any_multi_region(trails)
	not _any_multi_region_unknown(trails)
	some trail in trails
	v := inv.violation(
		"AUD-001", trail,
		concat("", ["trail ", trail.name, " does not log all regions; isMultiRegionTrail must be true with logging enabled"]),
		"isMultiRegionTrail", inv.prop(trail, "isMultiRegionTrail"),
	)
}

deny contains v if {
	trails := inv.resources(input, _trail_type)
	not _any_multi_region(trails)
	some trail in trails
	inv.is_unknown(trail, "isMultiRegionTrail")
	v := inv.undecided("AUD-001", trail, "isMultiRegionTrail")
}

# METADATA
# title: Trail logs are tamper-evident and encrypted
# description: Log file validation lets an investigator prove the trail's files were not altered
#   or deleted, and a customer-managed KMS key keeps them readable only by whom the key allows.
# custom:
#   id: AUD-002
#   area: audit
#   severity: high
#   enforcement: mandatory
#   scope: resource
#   parameters: []
#   remediation: Set enable_log_file_validation=True and kms_key_id to a customer-managed key on
#     the trail.
deny contains v if {
	some trail in inv.resources(input, _trail_type)
	not inv.is_unknown(trail, "enableLogFileValidation")
	not inv.truthy(inv.prop(trail, "enableLogFileValidation"))
	v := inv.violation(
		"AUD-002", trail,
		concat("", ["trail ", trail.name, " does not validate its log files; enableLogFileValidation must be true"]),
		"enableLogFileValidation", inv.prop(trail, "enableLogFileValidation"),
	)
}

deny contains v if {
	some trail in inv.resources(input, _trail_type)
	inv.is_unknown(trail, "enableLogFileValidation")
	v := inv.undecided("AUD-002", trail, "enableLogFileValidation")
}

deny contains v if {
	some trail in inv.resources(input, _trail_type)
	not inv.has_value(trail, "kmsKeyId")
	v := inv.violation(
		"AUD-002", trail,
		concat("", ["trail ", trail.name, " is not encrypted with a KMS key; kmsKeyId must name a customer-managed key"]),
		"kmsKeyId", null,
	)
}

# -- EKS control plane -------------------------------------------------------------------------

_missing_cluster_log_types(cluster) := _required_cluster_log_types - {log_type |
	some log_type in object.get(cluster.props, "enabledClusterLogTypes", [])
}

# METADATA
# title: EKS audit and authenticator logs are enabled
# description: The Kubernetes audit log records every API request to the cluster and the
#   authenticator log maps them to IAM identities; without both nobody can tell who did what.
# custom:
#   id: AUD-003
#   area: audit
#   severity: high
#   enforcement: mandatory
#   scope: resource
#   parameters: []
#   remediation: Add "audit" and "authenticator" to the cluster's enabled_cluster_log_types.
deny contains v if {
	some cluster in inv.resources(input, _cluster_type)
	not inv.is_unknown(cluster, "enabledClusterLogTypes")
	missing := _missing_cluster_log_types(cluster)
	count(missing) > 0
	v := inv.violation(
		"AUD-003", cluster,
		concat("", ["EKS cluster ", cluster.name, " does not ship the ", concat(", ", sort(missing)), " control-plane log(s); enabledClusterLogTypes must include audit and authenticator"]),
		"enabledClusterLogTypes", object.get(cluster.props, "enabledClusterLogTypes", []),
	)
}

deny contains v if {
	some cluster in inv.resources(input, _cluster_type)
	inv.is_unknown(cluster, "enabledClusterLogTypes")
	v := inv.undecided("AUD-003", cluster, "enabledClusterLogTypes")
}

# -- VPC flow logs -----------------------------------------------------------------------------

_flow_logged_vpcs := {urn |
	some flow_log in inv.resources(input, "aws:ec2/flowLog:FlowLog")
	some urn in inv.dep_urns(flow_log, "vpcId")
}

# METADATA
# title: Every VPC has a flow log
# description: Flow logs are the only record of which addresses talked to the model servers and
#   where traffic left the network; they are needed to investigate exfiltration.
# custom:
#   id: AUD-004
#   area: audit
#   severity: medium
#   enforcement: mandatory
#   scope: stack
#   parameters: []
#   remediation: Add an aws.ec2.FlowLog with vpc_id set to the VPC's id (the Network component
#     does this).
deny contains v if {
	some vpc in inv.resources(input, "aws:ec2/vpc:Vpc")
	not vpc.urn in _flow_logged_vpcs
	v := inv.violation(
		"AUD-004", vpc,
		concat("", ["VPC ", vpc.name, " has no flow log; add an aws:ec2/flowLog:FlowLog whose vpcId is this VPC"]),
		"flowLog", null,
	)
}

# -- log retention -----------------------------------------------------------------------------

# 0 or absent means the group never expires, which satisfies any minimum.
_expires(retention) if {
	is_number(retention)
	retention > 0
}

# METADATA
# title: Log groups keep logs as long as the data classification requires
# description: Logs deleted before the retention period of the stack's data classification
#   cannot serve as evidence in an audit or an incident investigation.
# custom:
#   id: AUD-005
#   area: audit
#   severity: high
#   enforcement: mandatory
#   scope: resource
#   config_key: audit.logRetentionDays
#   parameters: [retention.min_log_retention_days]
#   remediation: Set retention_in_days on the log group to at least the minimum for the stack's
#     data classification (policies/data/retention.yaml), or 0 to keep logs forever.
deny contains v if {
	minimum := _min_log_retention(input.declared)
	some group in inv.resources(input, _log_group_type)
	retention := inv.prop(group, "retentionInDays")
	_expires(retention)
	retention < minimum
	v := inv.violation(
		"AUD-005", group,
		concat("", ["log group ", group.name, " keeps logs ", inv.text(retention), " days; data classification ", inv.quoted(_classification(input.declared)), " requires at least ", inv.text(minimum), " days (or 0, never expire)"]),
		"retentionInDays", retention,
	)
}

deny contains v if {
	some group in inv.resources(input, _log_group_type)
	inv.is_unknown(group, "retentionInDays")
	v := inv.undecided("AUD-005", group, "retentionInDays")
}

# -- audit bucket ------------------------------------------------------------------------------

_audit_purpose(bucket) if object.get(object.get(bucket, "tags", {}), "servegate.io/purpose", "") == "audit"

_audit_purpose(bucket) if object.get(bucket.props, ["tags", "servegate.io/purpose"], "") == "audit"

_trail_buckets := {urn |
	some trail in inv.resources(input, _trail_type)
	some urn in inv.dep_urns(trail, "s3BucketName")
}

_audit_buckets := [bucket |
	some type_token in _bucket_types
	some bucket in inv.resources(input, type_token)
	_audit_bucket(bucket)
]

_audit_bucket(bucket) if _audit_purpose(bucket)

_audit_bucket(bucket) if bucket.urn in _trail_buckets

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
		concat("", ["an aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration with a default retention of at least ", inv.text(_lock_minimum), " days"]),
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
	bucket.urn in sse_unknown_buckets
} else := inv.violation(
	"AUD-006", bucket,
	concat("", ["audit bucket ", bucket.name, " lacks KMS encryption; it needs an aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration with sseAlgorithm aws:kms"]),
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
#   config_key: audit.objectLockDays
#   parameters: [retention.min_object_lock_days]
#   remediation: Use the AuditTrail component's bucket, or give the trail's bucket object_lock_enabled=True,
#     a BucketVersioning (Enabled), a BucketObjectLockConfiguration with the required retention,
#     an SSE configuration with aws:kms and a BucketPublicAccessBlock with all flags true.
deny contains v if {
	count(_audit_buckets) == 0
	v := inv.violation(
		"AUD-006", inv.stack_resource(input),
		"the stack has no audit bucket; tag the trail's S3 bucket servegate.io/purpose: audit or point a trail's s3BucketName at it",
		"resources", null,
	)
}

deny contains v if {
	some bucket in _audit_buckets
	some piece in _audit_bucket_pieces
	not ["ok", bucket.urn] in piece[1]
	v := _piece_finding(bucket, piece)
}

deny contains v if {
	some bucket in _audit_buckets
	not inv.is_unknown(bucket, "objectLockEnabled")
	not inv.truthy(inv.prop(bucket, "objectLockEnabled"))
	v := inv.violation(
		"AUD-006", bucket,
		concat("", ["audit bucket ", bucket.name, " lacks object lock; objectLockEnabled must be true"]),
		"objectLockEnabled", inv.prop(bucket, "objectLockEnabled"),
	)
}

deny contains v if {
	some bucket in _audit_buckets
	not bucket.urn in sse_kms_buckets
	v := _encryption_finding(bucket)
}

# -- gateway access logs -----------------------------------------------------------------------

_access_log(proxy) := object.get(proxy.props, ["spec", "telemetry", "accessLog"], {})

_access_log_off(proxy) if count(object.get(_access_log(proxy), "settings", [])) == 0

_access_log_off(proxy) if inv.truthy(object.get(_access_log(proxy), "disable", false))

# METADATA
# title: The model gateway writes access logs
# description: The gateway is the only entry point to the models; its access log is the record
#   of which client called which model when, needed for abuse and incident investigations.
# custom:
#   id: AUD-007
#   area: audit
#   severity: medium
#   enforcement: mandatory
#   scope: resource
#   parameters: []
#   remediation: Set spec.telemetry.accessLog.settings on the EnvoyProxy (at least one format
#     with a sink) and do not set accessLog.disable.
deny contains v if {
	some proxy in inv.resources(input, _envoy_proxy_type)
	not inv.is_unknown(proxy, "spec.telemetry.accessLog.settings")
	_access_log_off(proxy)
	v := inv.violation(
		"AUD-007", proxy,
		concat("", ["EnvoyProxy ", proxy.name, " writes no access log; spec.telemetry.accessLog.settings must list at least one sink and disable must not be true"]),
		"spec.telemetry.accessLog", _access_log(proxy),
	)
}

deny contains v if {
	some proxy in inv.resources(input, _envoy_proxy_type)
	inv.is_unknown(proxy, "spec.telemetry.accessLog.settings")
	v := inv.undecided("AUD-007", proxy, "spec.telemetry.accessLog.settings")
}

# -- tags --------------------------------------------------------------------------------------

_untaggable_types := {token | some token in data.params.tags.untaggable_types}

# The plan's aws: resource types that take tags (policies/data/tags.yaml lists those that do not).
_taggable_types := [type_token |
	input.by_type[type_token]
	startswith(type_token, "aws:")
	not type_token in _untaggable_types
]

# Tag keys holding a non-empty value (an unknown value will hold one at apply).
_present_tags(tags) := {key | value := tags[key]; is_string(value); value != ""}

# The distinct effective tags of the taggable resources. Most resources share their provider's
# default tags, so there are few: the tag rules judge each value once, then visit only the
# resources holding a failing one (instead of judging thousands of resources one by one).
_tag_values := {tags |
	some type_token in _taggable_types
	some i in input.by_type[type_token]
	tags := object.get(input.resources[i], "tags", {})
}

_required_tags := {key | some key in data.params.tags.required}

_lacking_tags := {tags |
	some tags in _tag_values
	is_object(tags)
	count(_required_tags - _present_tags(tags)) > 0
}

_unknown_tags := {tags | some tags in _tag_values; not is_object(tags)}

_misclassified_tags := {tags |
	declared := _classification(input.declared)
	some tags in _tag_values
	is_object(tags)
	value := object.get(tags, _classification_tag, declared)
	value != declared
	is_string(value)
	not value in {"", unknown_value}
	not _classification_allowed(value)
}

# The judged custom taggable resources whose tags are one of `values` (few or none).
_resources_tagged(values) := [res |
	count(values) > 0
	some type_token in _taggable_types
	some i in input.by_type[type_token]
	res := input.resources[i]
	object.get(res, "tags", {}) in values
	object.get(res, "custom", true) != false
	inv.judged(res)
]

# METADATA
# title: Taggable AWS resources carry the required tags
# description: Owner, cost center, data classification and environment tags route incidents and
#   costs to a team and tell responders how sensitive the data on a resource is.
# custom:
#   id: AUD-008
#   area: audit
#   severity: medium
#   enforcement: mandatory
#   scope: resource
#   parameters: [tags.required, tags.untaggable_types]
#   remediation: Set the missing tags in the stack's llm-serving:tags (they reach every resource
#     through the AWS provider's default tags) or on the resource itself, non-empty.
deny contains v if {
	some res in _resources_tagged(_lacking_tags)
	missing := _required_tags - _present_tags(object.get(res, "tags", {}))
	v := inv.violation(
		"AUD-008", res,
		concat("", [res.name, " lacks required tag(s) ", concat(", ", sort(missing)), "; every taggable resource needs non-empty ", concat(", ", data.params.tags.required)]),
		"tags", sort(missing),
	)
}

deny contains v if {
	some res in _resources_tagged(_unknown_tags)
	v := inv.undecided("AUD-008", res, "tags")
}

_classification_allowed(value) if value in data.params.tags.data_classifications

_classification_text := concat(", ", data.params.tags.data_classifications)

# METADATA
# title: The data classification is one of the known classes
# description: Retention minimums and handling rules are keyed by classification; an
#   unrecognised value means nobody knows which rules the data falls under.
# custom:
#   id: AUD-009
#   area: audit
#   severity: medium
#   enforcement: mandatory
#   scope: resource
#   parameters: [tags.data_classifications]
#   remediation: Set the data-classification tag to one of the classes in policies/data/tags.yaml.
deny contains v if {
	declared := _classification(input.declared)
	declared != ""
	not _classification_allowed(declared)
	v := inv.violation(
		"AUD-009", inv.stack_resource(input),
		concat("", ["the stack declares data-classification ", inv.quoted(declared), "; allowed: ", _classification_text]),
		"declared.tags.data-classification", declared,
	)
}

# A resource inheriting the stack's invalid value is covered by the stack-level finding.
deny contains v if {
	some res in _resources_tagged(_misclassified_tags)
	value := res.tags[_classification_tag]
	v := inv.violation(
		"AUD-009", res,
		concat("", [res.name, " has data-classification ", inv.quoted(value), "; allowed: ", _classification_text]),
		"tags.data-classification", value,
	)
}
