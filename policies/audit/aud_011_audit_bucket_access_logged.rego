package audit

import rego.v1

_aud011_trail_type := "aws:cloudtrail/trail:Trail"


_aud011_logging_types := {"aws:s3/bucketLogging:BucketLogging", "aws:s3/bucketLoggingV2:BucketLoggingV2"}

# Trails that record anything: logging not switched off.
_aud011_trails := [trail |
	some trail in data.lib.inventory.resources(input, _aud011_trail_type)
	object.get(trail.props, "enableLogging", true) != false
]

# -- advanced event selectors -------------------------------------------------------------------

_aud011_field(selector, name) := [fs |
	some fs in object.get(selector, "fieldSelectors", [])
	object.get(fs, "field", "") == name
]

# The selector's condition on `name` holds for `value` (no condition on the field holds too).
_aud011_allows(selector, name, _) if count(_aud011_field(selector, name)) == 0

_aud011_allows(selector, name, value) if {
	some fs in _aud011_field(selector, name)
	value in object.get(fs, "equals", [])
	not value in object.get(fs, "notEquals", [])
}

_aud011_allows(selector, name, value) if {
	some fs in _aud011_field(selector, name)
	count(object.get(fs, "equals", [])) == 0
	not value in object.get(fs, "notEquals", [])
}

# The bucket's name, when the plan knows it.
_aud011_bucket_name(bucket) := name if {
	name := object.get(bucket.props, "bucket", "")
	is_string(name)
	name != ""
	name != data.lib.inventory.unknown_value
}

# The bucket an S3 object ARN (or ARN prefix) names: `arn:aws:s3:::NAME/...`.
_aud011_arn_bucket(value) := found[0][1] if {
	is_string(value)
	found := regex.find_all_string_submatch_n(`:::([^/]+)/`, value, 1)
	count(found) == 1
}

_aud011_arn_values(fs) := array.concat(object.get(fs, "equals", []), object.get(fs, "startsWiths", []))

# Buckets the trails' selectors were computed from (deps.advancedEventSelectors).
_aud011_selector_deps := {urn |
	some trail in _aud011_trails
	some urn in data.lib.inventory.dep_urns(trail, "advancedEventSelectors")
}

_aud011_data_selectors := [selector |
	some trail in _aud011_trails
	some selector in object.get(trail.props, "advancedEventSelectors", [])
	_aud011_allows(selector, "eventCategory", "Data")
	count(_aud011_field(selector, "eventCategory")) > 0
	_aud011_allows(selector, "resources.type", "AWS::S3::Object")
]

# What an advanced selector records of the bucket: "read" (GetObject) and "delete"
# (DeleteObject).
_aud011_records(selector, "read") if _aud011_allows(selector, "readOnly", "true")

_aud011_records(selector, "delete") if {
	_aud011_allows(selector, "readOnly", "false")
	_aud011_allows(selector, "eventName", "DeleteObject")
}

# -- basic event selectors ------------------------------------------------------------------

_aud011_basic_records(selector, "read") if object.get(selector, "readWriteType", "All") in {"All", "ReadOnly"}

_aud011_basic_records(selector, "delete") if object.get(selector, "readWriteType", "All") in {"All", "WriteOnly"}

# [S3 object data resource values, kind recorded, trail] of every basic event selector.
_aud011_basic_selections := [[values, kind, trail] |
	some trail in _aud011_trails
	some selector in object.get(trail.props, "eventSelectors", [])
	some kind in ["read", "delete"]
	_aud011_basic_records(selector, kind)
	some resource in object.get(selector, "dataResources", [])
	object.get(resource, "type", "") == "AWS::S3::Object"
	values := object.get(resource, "values", [])
]

# "arn:aws:s3" (every bucket), a value computed from a bucket, or one naming it.
_aud011_basic_kinds_everywhere := {kind |
	some [values, kind, _] in _aud011_basic_selections
	some value in values
	regex.match(`^arn:[a-z-]+:s3(:::)?$`, value)
}

_aud011_basic_kinds_computed := {[urn, kind] |
	some [values, kind, trail] in _aud011_basic_selections
	count(values) > 0
	some urn in data.lib.inventory.dep_urns(trail, "eventSelectors")
}

_aud011_basic_kinds_named := {[name, kind] |
	some [values, kind, _] in _aud011_basic_selections
	some value in values
	name := _aud011_arn_bucket(value)
}

# -- what is logged -------------------------------------------------------------------------

# A selector's resources.ARN condition selects a bucket's objects when there is none (every
# bucket), when a value was computed from the bucket (its ARN is unknown until apply), or when
# a value names it. The kinds each case records are collected once per evaluation, so a bucket
# is judged against them instead of against every selector of every trail.
_aud011_kinds_everywhere := {kind |
	some selector in _aud011_data_selectors
	count(_aud011_field(selector, "resources.ARN")) == 0
	some kind in _aud011_kinds_recorded(selector)
}

_aud011_kinds_computed := {kind |
	some selector in _aud011_data_selectors
	some fs in _aud011_field(selector, "resources.ARN")
	count(_aud011_arn_values(fs)) > 0
	some kind in _aud011_kinds_recorded(selector)
}

# [bucket name, kind recorded] for every bucket a selector's resources.ARN condition names: a
# set, so a bucket is looked up, not compared with every value of every trail.
_aud011_kinds_named := {[name, kind] |
	some selector in _aud011_data_selectors
	some fs in _aud011_field(selector, "resources.ARN")
	some value in _aud011_arn_values(fs)
	name := _aud011_arn_bucket(value)
	some kind in _aud011_kinds_recorded(selector)
}

_aud011_kinds_recorded(selector) := {kind |
	some kind in ["read", "delete"]
	_aud011_records(selector, kind)
}

_aud011_logged(_, kind) if kind in _aud011_kinds_everywhere

_aud011_logged(bucket, kind) if {
	kind in _aud011_kinds_computed
	bucket.urn in _aud011_selector_deps
}

_aud011_logged(bucket, kind) if [_aud011_bucket_name(bucket), kind] in _aud011_kinds_named

_aud011_logged(_, kind) if kind in _aud011_basic_kinds_everywhere

_aud011_logged(bucket, kind) if [bucket.urn, kind] in _aud011_basic_kinds_computed

_aud011_logged(bucket, kind) if [_aud011_bucket_name(bucket), kind] in _aud011_basic_kinds_named

# S3 server access logging to another bucket records every request, reads and deletes alike.
_aud011_logged(bucket, _) if bucket.urn in _aud011_access_logged

_aud011_access_logged contains urn if {
	some type_token in _aud011_logging_types
	some logging in data.lib.inventory.resources(input, type_token)
	data.lib.inventory.is_present(object.get(logging.props, "targetBucket", null))
	some urn in data.lib.inventory.dep_urns(logging, "bucket")
	not urn in data.lib.inventory.dep_urns(logging, "targetBucket")
}

_aud011_missing(bucket) := [kind |
	some kind in ["read", "delete"]
	not _aud011_logged(bucket, kind)
]

# METADATA
# title: Access to the audit bucket is itself logged
# description: The audit bucket holds the trail's log files and the gate's audit log. Object
#   lock stops their deletion, but without a record of who read the bucket, or tried to delete
#   or re-lock its objects, an investigator cannot tell who saw the evidence or tampered with
#   it. CloudTrail data events selecting the bucket's objects (reads and deletes), or S3 server
#   access logging to a separate bucket, give that record.
# custom:
#   id: AUD-011
#   area: audit
#   severity: medium
#   enforcement: mandatory
#   scope: stack
#   resource_types: ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"]
#   parameters: []
#   remediation: Use the AuditTrail component, whose trail logs data events (reads, deletes and
#     retention changes) on the audit bucket's objects; or give the trail advancedEventSelectors
#     with eventCategory Data, resources.type AWS::S3::Object and resources.ARN starting with the
#     bucket's ARN, or an aws.s3.BucketLogging to a separate log bucket.
deny contains v if {
	# Without a recording trail AUD-001 fails the stack; this rule judges what is recorded.
	count(_aud011_trails) > 0
	some bucket in data.lib.audit.audit_buckets
	missing := _aud011_missing(bucket)
	count(missing) > 0
	v := data.lib.inventory.violation(
		"AUD-011", bucket,
		concat("", [
			"nothing records ",
			concat(" or ", [concat("", [kind, "s"]) | some kind in missing]),
			" of objects in audit bucket ",
			bucket.name,
			"; log CloudTrail data events selecting it (resources.type ",
			"AWS::S3::Object) or enable S3 server access logging to a separate ",
			"bucket",
		]),
		"advancedEventSelectors", missing,
	)
}
