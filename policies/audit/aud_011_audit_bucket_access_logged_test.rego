package audit_test

import data.audit
import rego.v1

# AUD-011 on small inventories of its own (helpers prefixed _t011_): who reads or deletes the
# audit bucket's objects is recorded by CloudTrail data events or S3 server access logging.

_t011_resource(type_token, name, props, deps) := {
	"urn": concat("::", ["urn:pulumi:prod-ca", "llm-serving", type_token, name]),
	"type": type_token, "name": name, "op": "create", "custom": true, "unknowns": [],
	"props": props, "deps": deps, "tags": {},
}

_t011_bucket := _t011_resource(
	"aws:s3/bucket:Bucket",
	"audit-logs",
	{"bucket": "prod-ca-audit-logs", "objectLockEnabled": true},
	{},
)

_t011_objects := [
	{"field": "eventCategory", "equals": ["Data"]},
	{"field": "resources.type", "equals": ["AWS::S3::Object"]},
	{"field": "resources.ARN", "startsWiths": ["arn:aws:s3:::prod-ca-audit-logs/"]},
]

_t011_management := {
	"name": "Management events",
	"fieldSelectors": [{"field": "eventCategory", "equals": ["Management"]}],
}

_t011_reads := {
	"name": "reads",
	"fieldSelectors": array.concat(_t011_objects, [{"field": "readOnly", "equals": ["true"]}]),
}

_t011_deletes := {"name": "deletes", "fieldSelectors": array.concat(_t011_objects, [
	{"field": "readOnly", "equals": ["false"]},
	{"field": "eventName", "notEquals": ["PutObject"]},
])}

_t011_trail_props := {"isMultiRegionTrail": true, "enableLogging": true, "s3BucketName": "prod-ca-audit-logs"}

_t011_trail(extra, deps) := _t011_resource(
	"aws:cloudtrail/trail:Trail", "trail", object.union(_t011_trail_props, extra),
	object.union({"s3BucketName": [_t011_bucket.urn]}, deps),
)

_t011_deny(resources) := denies if {
	by_type := {t: [i | some i; resources[i].type == t] | some res in resources; t := res.type}
	denies := audit.deny with input.resources as resources
		with input.by_type as by_type
		with input.stack as {
			"name": "prod-ca",
			"project": "llm-serving",
			"urn": "urn:pulumi:prod-ca::llm-serving::pulumi:pulumi:Stack::llm-serving-prod-ca",
		}
		with input.declared as {"tags": {}}
}

_t011_findings(resources) := [v | some v in _t011_deny(resources); v.rule_id == "AUD-011"]

_t011_missing(resources) := {[v.urn, v.value] | some v in _t011_findings(resources)}

_t011_with(selectors) := [_t011_bucket, _t011_trail({"advancedEventSelectors": selectors}, {})]

test_aud_011_reads_and_deletes_logged_by_data_events_pass if {
	count(_t011_findings(_t011_with([_t011_management, _t011_reads, _t011_deletes]))) == 0
}

test_aud_011_only_management_events_are_denied if {
	_t011_missing(_t011_with([_t011_management])) == {[_t011_bucket.urn, ["read", "delete"]]}
}

test_aud_011_no_selectors_at_all_are_denied if {
	_t011_missing([_t011_bucket, _t011_trail({}, {})]) == {[_t011_bucket.urn, ["read", "delete"]]}
}

test_aud_011_reads_without_deletes_are_denied if {
	some v in _t011_findings(_t011_with([_t011_management, _t011_reads]))
	v.value == ["delete"]
	contains(v.message, "nothing records deletes of objects in audit bucket audit-logs")
}

test_aud_011_deletes_excluded_by_event_name_are_denied if {
	no_deletes := {
		"name": "writes",
		"fieldSelectors": array.concat(_t011_objects, [{"field": "eventName", "notEquals": ["DeleteObject"]}]),
	}
	_t011_missing(_t011_with([_t011_reads, no_deletes])) == {[_t011_bucket.urn, ["delete"]]}
}

test_aud_011_one_selector_without_read_only_logs_both if {
	count(_t011_findings(_t011_with([{"name": "all", "fieldSelectors": _t011_objects}]))) == 0
}

test_aud_011_a_selector_of_another_bucket_does_not_count if {
	other := [
		{"field": "eventCategory", "equals": ["Data"]},
		{"field": "resources.type", "equals": ["AWS::S3::Object"]},
		{"field": "resources.ARN", "startsWiths": ["arn:aws:s3:::some-other-bucket/"]},
	]
	_t011_missing(_t011_with([{"name": "other", "fieldSelectors": other}])) == {[_t011_bucket.urn, ["read", "delete"]]}
}

test_aud_011_lambda_data_events_do_not_count if {
	lambda := [
		{"field": "eventCategory", "equals": ["Data"]},
		{"field": "resources.type", "equals": ["AWS::Lambda::Function"]},
	]
	_t011_missing(_t011_with([{"name": "lambda", "fieldSelectors": lambda}])) == {[_t011_bucket.urn, ["read", "delete"]]}
}

test_aud_011_a_selector_computed_from_the_bucket_counts if {
	# In a preview the bucket's ARN is unknown; the selector's dependency names the bucket.
	unnamed := _t011_resource("aws:s3/bucket:Bucket", "audit-logs", {"objectLockEnabled": true}, {})
	computed := [
		{"field": "eventCategory", "equals": ["Data"]},
		{"field": "resources.type", "equals": ["AWS::S3::Object"]},
		{"field": "resources.ARN", "startsWiths": ["04da6b54-80e4-46f7-96ec-b56ff0331ba9"]},
	]
	trail := _t011_trail(
		{"advancedEventSelectors": [{"name": "audit", "fieldSelectors": computed}]},
		{"advancedEventSelectors": [unnamed.urn]},
	)
	count(_t011_findings([unnamed, trail])) == 0
}

test_aud_011_basic_event_selectors_count if {
	basic := [{
		"readWriteType": "All",
		"includeManagementEvents": true,
		"dataResources": [{"type": "AWS::S3::Object", "values": ["arn:aws:s3:::prod-ca-audit-logs/"]}],
	}]
	count(_t011_findings([_t011_bucket, _t011_trail({"eventSelectors": basic}, {})])) == 0
}

test_aud_011_basic_write_only_selectors_miss_reads if {
	basic := [{"readWriteType": "WriteOnly", "dataResources": [{"type": "AWS::S3::Object", "values": ["arn:aws:s3"]}]}]
	_t011_missing([_t011_bucket, _t011_trail({"eventSelectors": basic}, {})]) == {[_t011_bucket.urn, ["read"]]}
}

test_aud_011_server_access_logging_to_another_bucket_counts if {
	log_bucket := _t011_resource("aws:s3/bucket:Bucket", "access-logs", {}, {})
	logging := _t011_resource(
		"aws:s3/bucketLogging:BucketLogging",
		"audit-access",
		{"bucket": "prod-ca-audit-logs", "targetBucket": "access-logs", "targetPrefix": "audit/"},
		{"bucket": [_t011_bucket.urn], "targetBucket": [log_bucket.urn]},
	)
	count(_t011_findings([_t011_bucket, log_bucket, logging, _t011_trail({}, {})])) == 0
}

test_aud_011_server_access_logging_into_itself_does_not_count if {
	logging := _t011_resource(
		"aws:s3/bucketLogging:BucketLogging",
		"audit-access",
		{"bucket": "prod-ca-audit-logs", "targetBucket": "prod-ca-audit-logs"},
		{"bucket": [_t011_bucket.urn], "targetBucket": [_t011_bucket.urn]},
	)
	_t011_missing([_t011_bucket, logging, _t011_trail({}, {})]) == {[_t011_bucket.urn, ["read", "delete"]]}
}

test_aud_011_a_bucket_tagged_audit_is_judged_too if {
	tagged := _t011_resource("aws:s3/bucket:Bucket", "gate-audit", {"tags": {"servegate.io/purpose": "audit"}}, {})
	resources := array.concat(_t011_with([_t011_management, _t011_reads, _t011_deletes]), [tagged])
	_t011_missing(resources) == {[tagged.urn, ["read", "delete"]]}
}

test_aud_011_a_trail_that_does_not_log_records_nothing if {
	# AUD-001 fails a stack without a recording trail; AUD-011 then has nothing to judge.
	trail := _t011_trail({"enableLogging": false, "advancedEventSelectors": [_t011_reads, _t011_deletes]}, {})
	count(_t011_findings([_t011_bucket, trail])) == 0
}

# A basic selector's value computed from the audit bucket (its ARN, unknown until apply) counts.
test_aud_011_basic_selector_computed_from_the_bucket_counts if {
	basic := [{
		"readWriteType": "All",
		"dataResources": [{"type": "AWS::S3::Object", "values": [data.lib.inventory.unknown_value]}],
	}]
	trail := _t011_trail({"eventSelectors": basic}, {"eventSelectors": [_t011_bucket.urn]})
	count(_t011_findings([_t011_bucket, trail])) == 0
}
