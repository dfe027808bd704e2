# RES-019: the rule's cases, on lib/test_kit.rego resources.
package residency_test

import data.lib.test_kit as kit
import rego.v1

_t019_declared := {
	"residency": {"zone": "ca", "sovereign": true},
	"dataClassifications": ["public", "regulated"],
	"payloadSampling": {"rate": 0.01},
}

# The external processor's environment: payloads shown unless hidden, sampled at the source.
_t019_env(hide) := array.concat(_t019_tracing_env(hide), _t019_sampling)

_t019_tracing_env(hide) := [
	{
		"name": "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
		"value": "http://c.payload-capture.svc.cluster.local:4318/v1/traces",
	},
	{"name": "OPENINFERENCE_HIDE_INPUTS", "value": hide},
	{"name": "OPENINFERENCE_HIDE_OUTPUTS", "value": hide},
]

_t019_sampling := [
	{"name": "OTEL_TRACES_SAMPLER", "value": "traceidratio"},
	{"name": "OTEL_TRACES_SAMPLER_ARG", "value": "0.01"},
	{"name": "OTEL_PROPAGATORS", "value": "none"},
]

_t019_release := "kubernetes:helm.sh/v3:Release"

_t019_gateway(hide) := _t019_gateway_env(_t019_env(hide))

_t019_gateway_env(env) := kit.resource(_t019_release, "aieg", {"values": {"extProc": {"extraEnvVars": env}}})

_t019_gateway_urn := kit.urn(_t019_release, "aieg")

# The compliant stack with the gateway's sampling variables replaced by `sampling`.
_t019_sampled_stack(sampling) := array.concat(
	[_t019_gateway_env(array.concat(_t019_tracing_env("false"), sampling))],
	[r | some r in _t019_stack("false", ["redaction", "batch"], _t019_patterns, 14); r.name != "aieg"],
)

_t019_sampling_messages(sampling, declared) := {d.message |
	some d in kit.denials("residency", kit.inventory(_t019_sampled_stack(sampling), declared))
	d.rule_id == "RES-019"
	d.urn == _t019_gateway_urn
}

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

_t019_collector(config) := kit.resource(
	_t019_release, "collector",
	{"namespace": "payload-capture", "values": {"alternateConfig": config}},
)

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
	_t019_fired([_t019_gateway("false")], _t019_declared) == {_t019_gateway_urn}
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

test_res_019_no_source_sampler_denied if {
	some m in _t019_sampling_messages([{"name": "OTEL_PROPAGATORS", "value": "none"}], _t019_declared)
	contains(m, "samples every request at the source (OTEL_TRACES_SAMPLER unset)")
}

test_res_019_parent_based_always_on_denied if {
	sampling := [{"name": "OTEL_TRACES_SAMPLER", "value": "parentbased_always_on"}]
	some m in _t019_sampling_messages(sampling, _t019_declared)
	contains(m, "(OTEL_TRACES_SAMPLER parentbased_always_on)")
}

test_res_019_a_ratio_above_the_declared_rate_denied if {
	sampling := [
		{"name": "OTEL_TRACES_SAMPLER", "value": " TraceIDRatio "},
		{"name": "OTEL_TRACES_SAMPLER_ARG", "value": "0.5"},
		{"name": "OTEL_PROPAGATORS", "value": "none"},
	]
	_t019_sampling_messages(sampling, _t019_declared) == {concat("", [
		"release aieg's external processor samples 0.5 of the requests at the source, ",
		"more than the declared payloadSampling.rate 0.01",
	])}
}

test_res_019_a_ratio_the_sdk_cannot_read_denied if {
	every arg in ["", "1e-2", "1.5", "one percent"] {
		sampling := [
			{"name": "OTEL_TRACES_SAMPLER", "value": "traceidratio"},
			{"name": "OTEL_TRACES_SAMPLER_ARG", "value": arg},
			{"name": "OTEL_PROPAGATORS", "value": "none"},
		]
		some m in _t019_sampling_messages(sampling, _t019_declared)
		contains(m, "is no plain decimal between 0 and 1")
	}
}

test_res_019_a_caller_trace_context_denied if {
	every propagators in [[], [{"name": "OTEL_PROPAGATORS", "value": "tracecontext,baggage"}]] {
		sampling := array.concat(
			[
				{"name": "OTEL_TRACES_SAMPLER", "value": "parentbased_traceidratio"},
				{"name": "OTEL_TRACES_SAMPLER_ARG", "value": "0.01"},
			],
			propagators,
		)
		some m in _t019_sampling_messages(sampling, _t019_declared)
		contains(m, "reads the caller's trace context")
	}
}

test_res_019_parent_based_off_follows_a_caller_sampled_flag if {
	sampling := [{"name": "OTEL_TRACES_SAMPLER", "value": "parentbased_always_off"}]
	some m in _t019_sampling_messages(sampling, _t019_declared)
	contains(m, "reads the caller's trace context (OTEL_PROPAGATORS unset, not none)")
}

test_res_019_source_sampling_within_the_rate_allowed if {
	every sampling in [
		[
			{"name": "OTEL_TRACES_SAMPLER", "value": "parentbased_traceidratio"},
			{"name": "OTEL_TRACES_SAMPLER_ARG", "value": "0.005"},
			{"name": "OTEL_PROPAGATORS", "value": "b3,none"},
		],
		[{"name": "OTEL_TRACES_SAMPLER", "value": "always_off"}],
		[
			{"name": "OTEL_TRACES_SAMPLER", "value": "parentbased_always_off"},
			{"name": "OTEL_PROPAGATORS", "value": "none"},
		],
	] {
		count(_t019_sampling_messages(sampling, _t019_declared)) == 0
	}
}

test_res_019_without_a_declared_rate_any_readable_ratio_allowed if {
	declared := object.remove(_t019_declared, ["payloadSampling"])
	sampling := [
		{"name": "OTEL_TRACES_SAMPLER", "value": "traceidratio"},
		{"name": "OTEL_TRACES_SAMPLER_ARG", "value": "0.5"},
		{"name": "OTEL_PROPAGATORS", "value": "none"},
	]
	count(_t019_sampling_messages(sampling, declared)) == 0
}

# The processors are written out whole: rego-cpp's object.union replaced the nested object.
_t019_redaction_with(extra) := object.union(
	_t019_config(["redaction", "batch"], _t019_patterns),
	{"processors": {"redaction": object.union({"allow_all_keys": true, "blocked_values": _t019_patterns}, extra)}},
)

_t019_redaction_stack(config) := array.concat(
	[r | some r in _t019_stack("false", ["redaction", "batch"], _t019_patterns, 14); r.name != "collector"],
	[_t019_collector(config)],
)

test_res_019_a_redaction_that_lets_values_through_denied if {
	_t019_reports_unmasking(_t019_redaction_messages({"ignored_keys": ["input.value"]}))
	_t019_reports_unmasking(_t019_redaction_messages({"allowed_values": [".*"]}))
}

# (A set comprehension bound inside an `every` body came out empty on rego-cpp.)
_t019_redaction_messages(extra) := {d.message |
	stack := _t019_redaction_stack(_t019_redaction_with(extra))
	some d in kit.denials("residency", kit.inventory(stack, _t019_declared))
	d.rule_id == "RES-019"
}

_t019_reports_unmasking(messages) if {
	some m in messages
	contains(m, "has redaction processor redaction with ignored_keys or allowed_values")
	some n in messages
	contains(n, "without masking email")
}

test_res_019_a_processor_after_the_redaction_denied if {
	config := object.union(
		_t019_config(["redaction", "transform/copy", "batch"], _t019_patterns),
		{"processors": {"redaction": {"allow_all_keys": true, "blocked_values": _t019_patterns}, "transform/copy": {}}},
	)
	some d in kit.denials("residency", kit.inventory(_t019_redaction_stack(config), _t019_declared))
	d.rule_id == "RES-019"
	contains(d.message, "runs transform/copy after its last redaction processor")
}

test_res_019_passive_processors_after_and_any_before_the_redaction_allowed if {
	processors := ["transform/a", "redaction", "memory_limiter", "filter/drop", "batch"]
	config := _t019_config(processors, _t019_patterns)
	count(_t019_fired(_t019_redaction_stack(config), _t019_declared)) == 0
}

test_res_019_payloads_to_a_service_that_is_no_collector_denied if {
	every endpoint in ["http://jaeger.tracing.svc.cluster.local:4318", "https://otlp.example.com"] {
		env := array.concat(
			[{"name": "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "value": endpoint}],
			array.slice(_t019_env("false"), 1, 99),
		)
		stack := array.concat(
			[_t019_gateway_env(env)],
			[r | some r in _t019_stack("false", ["redaction"], _t019_patterns, 14); r.name != "aieg"],
		)
		some m in _t019_sampling_messages_of(stack)
		contains(m, concat("", ["exports prompts and completions to ", endpoint, ", which is no OpenTelemetry Collector"]))
		contains(m, "(they run in payload-capture)")
	}
}

_t019_sampling_messages_of(stack) := {d.message |
	some d in kit.denials("residency", kit.inventory(stack, _t019_declared))
	d.rule_id == "RES-019"
	d.urn == _t019_gateway_urn
}
