# RES-020: the rule's cases, on RES-019's capture resources (res_019_capture_safeguards_test.rego
# builders are repeated here: each test file is evaluated alone).
package residency_test

import data.lib.test_kit as kit
import rego.v1

_t020_declared := {"residency": {"zone": "ca", "sovereign": true}, "dataClassifications": ["public"]}

_t020_gateway(endpoint, hide) := kit.resource("kubernetes:helm.sh/v3:Release", "aieg", {"values": {"extProc": {
	"extraEnvVars": [
	{"name": "OTEL_EXPORTER_OTLP_ENDPOINT", "value": endpoint},
	{"name": "OPENINFERENCE_HIDE_INPUTS", "value": hide},
	{"name": "OPENINFERENCE_HIDE_OUTPUTS", "value": hide},
]}}},
)

_t020_collector(uploader) := kit.resource("kubernetes:helm.sh/v3:Release", "collector", {"values": {"alternateConfig": {
	"exporters": {"awss3/payloads": {"s3uploader": uploader}},
	"service": {"pipelines": {"traces/capture": {"receivers": ["otlp"], "exporters": ["awss3/payloads"]}}},
}}})

_t020_in_cluster := "http://collector.capture.svc.cluster.local:4318"

_t020_fired(resources) := {[d.urn, d.path] |
	some d in kit.denials("residency", kit.inventory(resources, _t020_declared))
	d.rule_id == "RES-020"
}

_t020_collector_urn := kit.urn("kubernetes:helm.sh/v3:Release", "collector")

_t020_bucket := kit.resource("aws:s3/bucket:Bucket", "cap", {"bucket": "cap"})

test_res_020_in_zone_capture_allowed if {
	count(_t020_fired([
		_t020_gateway(_t020_in_cluster, "false"),
		_t020_collector({"region": "ca-central-1", "s3_bucket": "cap"}),
		_t020_bucket,
	])) == 0
}

test_res_020_out_of_zone_region_denied if {
	_t020_fired([
		_t020_gateway(_t020_in_cluster, "false"),
		_t020_collector({"region": "us-east-1", "s3_bucket": "cap"}),
		_t020_bucket,
	]) == {[_t020_collector_urn, "values.alternateConfig.exporters.awss3/payloads.s3uploader.region"]}
}

test_res_020_default_region_is_us_east_1 if {
	_t020_fired([
		_t020_gateway(_t020_in_cluster, "false"),
		_t020_collector({"s3_bucket": "cap"}),
		_t020_bucket,
	]) == {[_t020_collector_urn, "values.alternateConfig.exporters.awss3/payloads.s3uploader.region"]}
}

test_res_020_bucket_outside_the_zone_denied if {
	bucket := object.union(kit.resource("aws:s3/bucket:Bucket", "cap", {"bucket": "cap"}), {"region": "us-east-1"})
	_t020_fired([
		_t020_gateway(_t020_in_cluster, "false"),
		_t020_collector({"region": "ca-central-1", "s3_bucket": "cap"}),
		bucket,
	]) == {[_t020_collector_urn, "values.alternateConfig.exporters.awss3/payloads.s3uploader.s3_bucket"]}
}

test_res_020_endpoint_override_denied if {
	_t020_fired([
		_t020_gateway(_t020_in_cluster, "false"),
		_t020_collector({"region": "ca-central-1", "s3_bucket": "cap", "endpoint": "https://s3.example.com"}),
		_t020_bucket,
	]) == {[_t020_collector_urn, "values.alternateConfig.exporters.awss3/payloads.s3uploader.endpoint"]}
}

test_res_020_external_collector_denied if {
	_t020_fired([_t020_gateway("https://otlp.example.com", "false")]) == {[
		kit.urn("kubernetes:helm.sh/v3:Release", "aieg"), "values.extProc.extraEnvVars",
	]}
}

test_res_020_traces_without_payloads_go_anywhere if {
	count(_t020_fired([
		_t020_gateway("https://otlp.example.com", "true"),
		_t020_collector({"region": "us-east-1", "s3_bucket": "cap"}),
	])) == 0
}

_t020_gen_ai(content) := kit.resource("kubernetes:helm.sh/v3:Release", "aieg", {"values": {"extProc": {
	"extraEnvVars": [
		{"name": "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "value": "otlp.example.com:4318/v1/traces"},
		{"name": "AI_GATEWAY_TRACING_SEMCONV", "value": "gen_ai"},
		{"name": "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "value": content},
	],
}}})

test_res_020_gen_ai_spans_with_content_are_payloads if {
	_t020_fired([_t020_gen_ai("true")]) == {[
		kit.urn("kubernetes:helm.sh/v3:Release", "aieg"), "values.extProc.extraEnvVars",
	]}
}

test_res_020_gen_ai_spans_without_content_are_traces_only if {
	count(_t020_fired([_t020_gen_ai("false")])) == 0
}

test_res_020_a_collector_in_the_charts_config_value_is_judged_too if {
	collector := kit.resource("kubernetes:helm.sh/v3:Release", "collector", {"values": {"config": {
		"exporters": {"awss3": {"s3uploader": {"region": "us-east-1", "s3_bucket": "cap"}}},
		"service": {"pipelines": {"traces": {"exporters": ["awss3"]}}},
	}}})
	_t020_fired([_t020_gateway(_t020_in_cluster, "false"), collector, _t020_bucket]) == {[
		_t020_collector_urn, "values.config.exporters.awss3.s3uploader.region",
	]}
}

test_res_020_a_bucket_of_no_plan_denied if {
	resources := [
		_t020_gateway(_t020_in_cluster, "false"),
		_t020_collector({"region": "ca-central-1", "s3_bucket": "other"}),
	]
	_t020_fired(resources) == {[
		_t020_collector_urn,
		"values.alternateConfig.exporters.awss3/payloads.s3uploader.s3_bucket",
	]}
	some d in kit.denials("residency", kit.inventory(resources, _t020_declared))
	d.rule_id == "RES-020"
	contains(d.message, "writes captured payloads to bucket other, which names no bucket of this plan")
}

_t020_pipeline_collector(exporters, connectors) := kit.resource(
	"kubernetes:helm.sh/v3:Release", "collector", {"values": {"alternateConfig": {
		"exporters": {
			"awss3/payloads": {"s3uploader": {"region": "ca-central-1", "s3_bucket": "cap"}},
			"otlphttp": {"endpoint": "https://otlp.example.com"},
		},
		"connectors": connectors,
		"service": {"pipelines": {"traces/capture": {"receivers": ["otlp"], "exporters": exporters}}},
	}}},
)

test_res_020_an_exporter_the_gate_cannot_place_denied if {
	every exporter in ["otlphttp", "debug"] {
		collector := _t020_pipeline_collector(["awss3/payloads", exporter], {})
		_t020_fired([_t020_gateway(_t020_in_cluster, "false"), collector, _t020_bucket]) == {[
			_t020_collector_urn, "values.alternateConfig.service.pipelines.traces/capture.exporters",
		]}
	}
}

test_res_020_a_connector_to_another_pipeline_allowed if {
	collector := _t020_pipeline_collector(["awss3/payloads", "forward/copy"], {"forward/copy": {}})
	count(_t020_fired([_t020_gateway(_t020_in_cluster, "false"), collector, _t020_bucket])) == 0
}
