# METADATA
# title: Payload capture helpers
# description: What captures the gateway's payloads and where they go, as RES-019 and RES-020
#   judge them: Helm releases whose values switch Envoy AI Gateway's external processor tracing
#   on with inputs or outputs, OpenTelemetry Collector configurations (a release's
#   alternateConfig or config) and their traces pipelines, and the S3 buckets their awss3
#   exporters write to. Read from what the values do, never from servegate's names or labels.
package lib.capture

import data.lib.inventory as inv
import rego.v1

release_types := ["kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart"]

bucket_types := ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"]

lifecycle_types := [
	"aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
	"aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
]

# Envoy AI Gateway v1.1.0 (internal/tracing/tracing.go): tracing is on unless OTEL_SDK_DISABLED
# is true or OTEL_TRACES_EXPORTER is none, once an OTLP endpoint (traces-specific or generic) is
# set. OpenInference spans carry inputs and outputs unless OPENINFERENCE_HIDE_INPUTS and
# OPENINFERENCE_HIDE_OUTPUTS (default false) hide them; with AI_GATEWAY_TRACING_SEMCONV gen_ai
# they carry content only with OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT true.
extproc_env_path := ["values", "extProc", "extraEnvVars"]

endpoint_names := ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"]

in_cluster_suffixes := [".svc.cluster.local", ".svc"]

# name -> value of an env list (values that are no strings read as their text).
env_map(env) := {name: inv.text(object.get(var, "value", "")) |
	some var in env
	name := object.get(var, "name", "")
	is_string(name)
}

# [res, env map] of every release whose external processor traces with payloads.
payload_tracing := [[res, env] |
	some type_token in release_types
	some res in inv.resources(input, type_token)
	list := object.get(res.props, extproc_env_path, [])
	is_array(list)
	env := env_map(list)
	traces(env)
	carries_payloads(env)
]

traces(env) if {
	lower(object.get(env, "OTEL_SDK_DISABLED", "")) != "true"
	object.get(env, "OTEL_TRACES_EXPORTER", "") != "none"
	some name in endpoint_names
	object.get(env, name, "") != ""
}

_hidden(env, name) if lower(object.get(env, name, "false")) == "true"

carries_payloads(env) if {
	object.get(env, "AI_GATEWAY_TRACING_SEMCONV", "") != "gen_ai"
	not _all_hidden(env)
}

carries_payloads(env) if {
	object.get(env, "AI_GATEWAY_TRACING_SEMCONV", "") == "gen_ai"
	lower(object.get(env, "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "")) == "true"
}

_all_hidden(env) if {
	_hidden(env, "OPENINFERENCE_HIDE_INPUTS")
	_hidden(env, "OPENINFERENCE_HIDE_OUTPUTS")
}

# The endpoint the spans go to (the traces-specific one wins, as in the OTel SDK).
endpoint(env) := object.get(env, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "") if {
	object.get(env, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "") != ""
} else := object.get(env, "OTEL_EXPORTER_OTLP_ENDPOINT", "")

# The host of an http(s) URL.
host(url) := split(split(split(url, "://")[1], "/")[0], ":")[0] if contains(url, "://")

else := split(split(url, "/")[0], ":")[0]

in_cluster(url) if {
	h := host(url)
	some suffix in in_cluster_suffixes
	endswith(h, suffix)
}

# [res, config, base path] of every Collector configuration in a release's values (the chart's
# alternateConfig replaces config whole when set).
collectors := [[res, config, base] |
	some type_token in release_types
	some res in inv.resources(input, type_token)
	[config, base] := _collector_config(res.props)
]

_collector_config(props) := [config, "values.alternateConfig"] if {
	config := object.get(props, ["values", "alternateConfig"], {})
	is_object(config)
	count(config) > 0
	is_object(object.get(config, ["service", "pipelines"], null))
} else := [config, "values.config"] if {
	config := object.get(props, ["values", "config"], {})
	is_object(config)
	is_object(object.get(config, ["service", "pipelines"], null))
}

# A component id's type: "redaction/pii" -> "redaction".
component_type(id) := split(id, "/")[0]

# [pipeline id, pipeline] of a config's traces pipelines ("traces", "traces/<name>").
traces_pipelines(config) := [[id, pipelines[id]] |
	pipelines := object.get(config, ["service", "pipelines"], {})
	some id in object.keys(pipelines)
	component_type(id) == "traces"
]

# The regexes a pipeline's redaction processors mask.
masked_patterns(config, pipeline) := {pattern |
	some id in object.get(pipeline, "processors", [])
	component_type(id) == "redaction"
	some pattern in object.get(config, ["processors", id, "blocked_values"], [])
}

# Required patterns (policies/data/pii_patterns.yaml) a pipeline does not mask.
missing_patterns(config, pipeline) := [p.name |
	masked := masked_patterns(config, pipeline)
	some p in data.params.pii_patterns.patterns
	not p.regex in masked
]

# The awss3 exporters of a pipeline: [exporter id, its config].
s3_exporters(config, pipeline) := [[id, exporter] |
	some id in object.get(pipeline, "exporters", [])
	component_type(id) == "awss3"
	exporter := object.get(config, ["exporters", id], {})
]

# [bucket name, bucket resource] of the plan's named buckets.
named_buckets := {[name, res] |
	some type_token in bucket_types
	some res in inv.resources(input, type_token)
	name := object.get(res.props, "bucket", "")
	is_string(name)
	name != ""
}

# [bucket urn, days] of every enabled lifecycle rule that expires objects.
expirations := {[urn, days] |
	some type_token in lifecycle_types
	some config in inv.resources(input, type_token)
	some urn in inv.dep_urns(config, "bucket")
	some rule in object.get(config.props, "rules", [])
	object.get(rule, "status", "") == "Enabled"
	days := object.get(rule, ["expiration", "days"], null)
	is_number(days)
}

# Whether the stack declares a classification that needs the redaction stage.
needs_redaction(declared) if {
	classes := object.get(declared, "dataClassifications", data.params.classifications.order)
	some c in classes
	c in data.params.pii_patterns.payload_capture.requires_redaction
}

max_retention(declared) := object.get(
	data.params.pii_patterns.payload_capture.max_retention_days,
	object.get(declared, ["residency", "zone"], ""),
	null,
)
