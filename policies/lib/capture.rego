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

# The namespace of an in-cluster Service URL (<service>.<namespace>.svc[.cluster.local]).
endpoint_namespace(url) := parts[1] if {
	in_cluster(url)
	parts := split(host(url), ".")
	count(parts) > 2
}

# The namespaces the plan's Collector releases run in.
collector_namespaces := {ns |
	some [res, _, _] in collectors
	ns := object.get(res.props, "namespace", "")
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

# The regexes a pipeline's redaction processors mask (those that let values through unmasked,
# unmasking_redactions below, do not count).
masked_patterns(config, pipeline) := {pattern |
	some id in object.get(pipeline, "processors", [])
	component_type(id) == "redaction"
	processor := object.get(config, ["processors", id], {})
	not unmasking(processor)
	some pattern in object.get(processor, "blocked_values", [])
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

# Source sampling (go.opentelemetry.io/otel/sdk/trace v1.44.0, sampler_env.go, which
# sdktrace.NewTracerProvider reads when, as in Envoy AI Gateway v1.1.0's tracing.go, no
# WithSampler is given): OTEL_TRACES_SAMPLER trimmed and lowered; unset or unknown is
# parentbased_always_on, every request. A ratio argument that is absent, unreadable or outside
# 0..1 makes it TraceIDRatioBased(1.0). An unsampled span records nothing
# (internal/tracing/tracer.go), so its payloads never leave the external processor.
ratio_samplers := ["traceidratio", "parentbased_traceidratio"]

sampler(env) := lower(trim_space(object.get(env, "OTEL_TRACES_SAMPLER", "")))

sampler_arg(env) := trim_space(object.get(env, "OTEL_TRACES_SAMPLER_ARG", ""))

# The share a ratio sampler keeps, when its argument is a plain decimal in 0..1 (servegate
# writes one; other forms strconv.ParseFloat reads are left unjudged: not a number here).
sampled_ratio(env) := to_number(arg) if {
	arg := sampler_arg(env)
	regex.match(`^[0-9]+(\.[0-9]+)?$`, arg)
	to_number(arg) <= 1
}

# autoprop v0.69.0 (propagator.go parseEnv, registry.go): OTEL_PROPAGATORS split on commas;
# "none" among them is the no-op propagator; unset is tracecontext and baggage.
reads_caller_context(env) if not "none" in split(object.get(env, "OTEL_PROPAGATORS", ""), ",")

# Why an external processor's tracing does not keep at most `rate` (the declared
# payloadSampling.rate, null when not declared) of the requests at the source, chosen by the
# gateway. Pure: RES-019 calls it once per tracing release.
# parentbased_always_off follows a sampled remote parent (ParentBased's default for one), so it
# is only off when no caller's context is read.
source_sampling_problems(env, rate) := [] if {
	sampler(env) == "always_off"
} else := _propagation_problems(env) if {
	sampler(env) == "parentbased_always_off"
} else := [concat("", [
	"samples every request at the source (OTEL_TRACES_SAMPLER ", _sampler_text(env),
	"), so every prompt and completion leaves the gateway",
])] if {
	not sampler(env) in ratio_samplers
} else := array.concat(_ratio_problems(env, rate), _propagation_problems(env))

_sampler_text(env) := "unset" if sampler(env) == ""

else := sampler(env)

_ratio_problems(env, rate) := [concat("", [
	"OTEL_TRACES_SAMPLER_ARG ", _arg_text(env), " is no plain decimal between 0 and 1 (the SDK ",
	"samples every request when it is absent or it cannot read it)",
])] if {
	not sampled_ratio(env)
} else := [concat("", [
	"samples ", sampler_arg(env), " of the requests at the source, more than the declared ",
	"payloadSampling.rate ", inv.text(rate),
])] if {
	is_number(rate)
	sampled_ratio(env) > rate
} else := []

_arg_text(env) := "unset" if sampler_arg(env) == ""

else := sampler_arg(env)

_propagation_problems(env) := [concat("", [
	"reads the caller's trace context (OTEL_PROPAGATORS ", object.get(env, "OTEL_PROPAGATORS", "unset"),
	", not none), so a caller's trace id or sampled flag decides whether its request is captured",
])] if {
	reads_caller_context(env)
} else := []

# Redaction processors that leave values unmasked (processor/redactionprocessor README at a stored
# commit: ignored_keys pass without redaction; allowed_values take precedence over
# blocked_values). Their patterns are not counted as masked.
unmasking(processor) if count(object.get(processor, "ignored_keys", [])) > 0

unmasking(processor) if count(object.get(processor, "allowed_values", [])) > 0

# The redaction processors of a pipeline that let values through: [id].
unmasking_redactions(config, pipeline) := [id |
	some id in object.get(pipeline, "processors", [])
	component_type(id) == "redaction"
	unmasking(object.get(config, ["processors", id], {}))
]

# Processor types that add or copy no attribute values, so they may run after the redaction
# (memory_limiter, batch: pass spans on; filter, probabilistic_sampler, tail_sampling: drop
# spans). Any other type there could write something the redaction never saw.
passive_processor_types := ["batch", "memory_limiter", "filter", "probabilistic_sampler", "tail_sampling"]

# [id] of the processors that run after a pipeline's last redaction processor and may change
# what is exported.
after_redaction(pipeline) := [id |
	processors := object.get(pipeline, "processors", [])
	last := _last_redaction(processors)
	# numbers.range counts down when its end is below its start.
	count(processors) > last + 1
	some i in numbers.range(last + 1, count(processors) - 1)
	id := processors[i]
	not component_type(id) in passive_processor_types
]

# The index of a processor list's last redaction processor (undefined without one).
_last_redaction(processors) := indexes[count(indexes) - 1] if {
	indexes := [i |
		some i in numbers.range(0, count(processors) - 1)
		component_type(processors[i]) == "redaction"
	]
	count(indexes) > 0
}

# Exporters of a traces pipeline that are neither awss3 exporters nor connectors (a connector
# feeds another pipeline of the same config, judged on its own): [id].
unjudged_exporters(config, pipeline) := [id |
	connectors := object.get(config, "connectors", {})
	some id in object.get(pipeline, "exporters", [])
	component_type(id) != "awss3"
	not id in object.keys(connectors)
]
