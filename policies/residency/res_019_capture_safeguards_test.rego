# RES-019: the rule's cases, on lib/test_kit.rego resources.
package residency_test

import data.lib.test_kit as kit
import rego.v1

_t019_declared := {
	"residency": {"zone": "ca", "sovereign": true},
	"dataClassifications": ["public", "regulated"],
}

_t019_env(hide) := [
	{
		"name": "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
		"value": "http://c.payload-capture.svc.cluster.local:4318/v1/traces",
	},
	{"name": "OPENINFERENCE_HIDE_INPUTS", "value": hide},
	{"name": "OPENINFERENCE_HIDE_OUTPUTS", "value": hide},
]

_t019_release := "kubernetes:helm.sh/v3:Release"

_t019_gateway(hide) := kit.resource(_t019_release, "aieg", {"values": {"extProc": {"extraEnvVars": _t019_env(hide)}}})

_t019_patterns := [p.regex | some p in data.params.pii_patterns.patterns]

_t019_config(processors, blocked) := {
	"processors": {"redaction": {"allow_all_keys": true, "blocked_values": blocked}},
	"exporters": {"awss3": {"s3uploader": {"region": "ca-central-1", "s3_bucket": "cap"}}},
	"service": {"pipelines": {"traces": {
		"receivers": ["otlp"],
		"processors": processors,
		"exporters": ["awss3"],
	}}},
}

_t019_collector(config) := kit.resource(_t019_release, "collector", {"values": {"alternateConfig": config}})

_t019_bucket := kit.resource("aws:s3/bucket:Bucket", "cap", {"bucket": "cap"})

_t019_sse := object.union(
	kit.resource(
		"aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
		"cap",
		{"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"}}]},
	),
	{"deps": {"bucket": [_t019_bucket.urn]}},
)

_t019_lifecycle(days) := object.union(
	kit.resource(
		"aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
		"cap",
		{"rules": [{"status": "Enabled", "expiration": {"days": days}}]},
	),
	{"deps": {"bucket": [_t019_bucket.urn]}},
)

_t019_stack(hide, processors, blocked, days) := [
	_t019_gateway(hide),
	_t019_collector(_t019_config(processors, blocked)),
	_t019_bucket, _t019_sse, _t019_lifecycle(days),
]

_t019_fired(resources, declared) := {d.urn |
	some d in kit.denials("residency", kit.inventory(resources, declared))
	d.rule_id == "RES-019"
}

_t019_collector_urn := kit.urn(_t019_release, "collector")

test_res_019_redacted_encrypted_expiring_capture_allowed if {
	count(_t019_fired(_t019_stack("false", ["redaction", "batch"], _t019_patterns, 14), _t019_declared)) == 0
}

test_res_019_capture_without_redaction_denied if {
	_t019_fired(_t019_stack("false", ["batch"], _t019_patterns, 14), _t019_declared) == {_t019_collector_urn}
}

test_res_019_a_missing_pattern_denied if {
	stack := _t019_stack("false", ["redaction"], array.slice(_t019_patterns, 1, 99), 14)
	some d in kit.denials("residency", kit.inventory(stack, _t019_declared))
	d.rule_id == "RES-019"
	contains(d.message, "without masking email")
}

test_res_019_retention_over_the_maximum_denied if {
	_t019_fired(_t019_stack("false", ["redaction"], _t019_patterns, 31), _t019_declared) == {_t019_collector_urn}
}

test_res_019_bucket_without_kms_denied if {
	stack := [r | some r in _t019_stack("false", ["redaction"], _t019_patterns, 14); r.name != "cap"]
	resources := array.concat(stack, [_t019_bucket, _t019_lifecycle(14)])
	_t019_fired(resources, _t019_declared) == {_t019_collector_urn}
}

test_res_019_traces_without_payloads_allowed if {
	count(_t019_fired(_t019_stack("true", ["batch"], [], 400), _t019_declared)) == 0
}

test_res_019_public_only_stack_needs_no_redaction if {
	declared := object.union(_t019_declared, {"dataClassifications": ["public"]})
	count(_t019_fired(_t019_stack("false", ["batch"], [], 14), declared)) == 0
}

test_res_019_payloads_and_no_collector_denied if {
	_t019_fired([_t019_gateway("false")], _t019_declared) == {kit.urn(_t019_release, "aieg")}
}

test_res_019_a_zone_without_a_capture_maximum_is_denied if {
	declared := object.union(_t019_declared, {"residency": {"zone": "us", "sovereign": true}})
	some d in kit.denials("residency", kit.inventory(_t019_stack("false", ["redaction"], _t019_patterns, 1), declared))
	d.rule_id == "RES-019"
	contains(d.message, "has no compliance maximum for its zone")
}

test_res_019_a_bucket_the_plan_lacks_is_denied if {
	stack := [r | some r in _t019_stack("false", ["redaction"], _t019_patterns, 14); r.type != "aws:s3/bucket:Bucket"]
	some d in kit.denials("residency", kit.inventory(stack, _t019_declared))
	d.rule_id == "RES-019"
	contains(d.message, "is not a bucket of this plan")
}
