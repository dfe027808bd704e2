# RES-019: payload capture of confidential or regulated traffic is redacted, encrypted, expiring.
package residency

import data.lib.capture
import data.lib.inventory as inv
import rego.v1

# METADATA
# title: Captured payloads are redacted, KMS-encrypted and expire within the compliance maximum
# description: When the gateway's external processor exports spans with prompts or completions
#   (its OTLP endpoint set, OPENINFERENCE_HIDE_INPUTS/OUTPUTS not both true) in a stack whose
#   classifications include one that needs redaction (policies/data/pii_patterns.yaml,
#   payload_capture.requires_redaction), every Collector traces pipeline that exports masks
#   every pattern of pii_patterns.yaml in a redaction processor, and its awss3 exporters write
#   to a bucket of the plan encrypted with a KMS key whose lifecycle expires objects within
#   the zone's max_retention_days; its endpoint is a Service in a namespace a Collector release
#   of the plan runs in. Judged from the releases' values and the bucket resources.
#   The external processor also samples at the source (OTEL_TRACES_SAMPLER traceidratio or
#   parentbased_traceidratio with OTEL_TRACES_SAMPLER_ARG a decimal at most the declared
#   payloadSampling.rate, parentbased_always_off or always_off; OTEL_PROPAGATORS none but for
#   always_off, so no caller picks its own trace id or sampled flag), so the unsampled
#   requests' payloads never leave it. A redaction
#   processor with ignored_keys or allowed_values masks nothing there and does not count, and
#   no processor but batch, memory_limiter, filter, probabilistic_sampler or tail_sampling runs
#   after the pipeline's last redaction processor. Traces without payloads are not payload
#   capture.
# custom:
#   id: RES-019
#   area: residency
#   severity: critical
#   enforcement: mandatory
#   scope: stack
#   resource_types: ["kubernetes:helm.sh/v3:Release", "aws:s3/bucket:Bucket"]
#   parameters: ["pii_patterns.patterns", "pii_patterns.payload_capture", "classifications.order"]
#   remediation: Sample in the gateway's external processor (OTEL_TRACES_SAMPLER traceidratio,
#     OTEL_TRACES_SAMPLER_ARG the rate, OTEL_PROPAGATORS none, as components/payload_capture.py
#     renders). Put a redaction processor with every blocked_values pattern of
#     policies/data/pii_patterns.yaml, no ignored_keys and no allowed_values, last but for
#     batching, memory limiting or sampling, into the Collector's traces pipeline,
#     and export to a KMS-encrypted bucket of the stack with a lifecycle expiration of at most
#     the zone's max_retention_days (observability.payloadSampling.retentionDays).
deny contains v if {
	capture.needs_redaction(input.declared)
	some [res, _] in data.lib.capture.payload_tracing
	count(data.lib.capture.collectors) == 0
	v := inv.violation(
		"RES-019", res,
		concat("", [
			"release ", res.name, " exports prompts and completions in its traces and no ",
			"OpenTelemetry Collector of the plan redacts them",
		]),
		"values.extProc.extraEnvVars", null,
	)
}

deny contains v if {
	capture.needs_redaction(input.declared)
	count(data.lib.capture.collectors) > 0
	collector_ns := data.lib.capture.collector_namespaces
	some [res, env] in data.lib.capture.payload_tracing
	url := capture.endpoint(env)
	not _res019_to_a_collector(url, collector_ns)
	v := inv.violation(
		"RES-019", res,
		concat("", [
			"release ", res.name, " exports prompts and completions to ", url, ", which is no ",
			"OpenTelemetry Collector of the plan (they run in ", concat(", ", sort(collector_ns)),
			"), so nothing shows they are redacted",
		]),
		"values.extProc.extraEnvVars", url,
	)
}

deny contains v if {
	capture.needs_redaction(input.declared)
	rate := object.get(input.declared, ["payloadSampling", "rate"], null)
	some [res, env] in data.lib.capture.payload_tracing
	some problem in capture.source_sampling_problems(env, rate)
	v := inv.violation(
		"RES-019", res,
		concat("", ["release ", res.name, "'s external processor ", problem]),
		"values.extProc.extraEnvVars", object.get(env, "OTEL_TRACES_SAMPLER", null),
	)
}

deny contains v if {
	capture.needs_redaction(input.declared)
	count(data.lib.capture.payload_tracing) > 0
	some [res, config, base] in data.lib.capture.collectors
	some [id, pipeline] in capture.traces_pipelines(config)
	count(object.get(pipeline, "exporters", [])) > 0
	unmasking := capture.unmasking_redactions(config, pipeline)
	count(unmasking) > 0
	v := inv.violation(
		"RES-019", res,
		concat("", [
			"Collector pipeline ", id, " of release ", res.name, " has redaction processor ",
			concat(", ", unmasking), " with ignored_keys or allowed_values, which pass values ",
			"unmasked; its patterns are not counted",
		]),
		concat(".", [base, "processors", unmasking[0]]), null,
	)
}

deny contains v if {
	capture.needs_redaction(input.declared)
	count(data.lib.capture.payload_tracing) > 0
	some [res, config, base] in data.lib.capture.collectors
	some [id, pipeline] in capture.traces_pipelines(config)
	count(object.get(pipeline, "exporters", [])) > 0
	later := capture.after_redaction(pipeline)
	count(later) > 0
	v := inv.violation(
		"RES-019", res,
		concat("", [
			"Collector pipeline ", id, " of release ", res.name, " runs ", concat(", ", later),
			" after its last redaction processor, so what they write is exported unmasked; only ",
			concat(", ", capture.passive_processor_types), " may follow the redaction",
		]),
		concat(".", [base, "service.pipelines", id, "processors"]),
		object.get(pipeline, "processors", []),
	)
}

deny contains v if {
	capture.needs_redaction(input.declared)
	count(data.lib.capture.payload_tracing) > 0
	some [res, config, base] in data.lib.capture.collectors
	some [id, pipeline] in capture.traces_pipelines(config)
	count(object.get(pipeline, "exporters", [])) > 0
	missing := capture.missing_patterns(config, pipeline)
	count(missing) > 0
	v := inv.violation(
		"RES-019", res,
		concat("", [
			"Collector pipeline ", id, " of release ", res.name,
			" exports captured payloads without masking ", concat(", ", missing),
			" (policies/data/pii_patterns.yaml); a redaction processor must mask every pattern",
		]),
		concat(".", [base, "service.pipelines", id, "processors"]),
		object.get(pipeline, "processors", []),
	)
}

deny contains v if {
	capture.needs_redaction(input.declared)
	count(data.lib.capture.payload_tracing) > 0
	buckets := data.lib.capture.named_buckets
	known := {n | some [n, _] in buckets}
	problems := _res019_bucket_problems(
		buckets,
		data.lib.inventory.sse_kms_buckets,
		data.lib.capture.expirations,
		capture.max_retention(input.declared),
	)
	some [res, config, base] in data.lib.capture.collectors
	some [id, pipeline] in capture.traces_pipelines(config)
	some [exporter_id, exporter] in capture.s3_exporters(config, pipeline)
	name := object.get(exporter, ["s3uploader", "s3_bucket"], "")
	some problem in _res019_problems_of_name(name, known, problems)
	v := inv.violation(
		"RES-019", res,
		concat("", [
			"Collector exporter ", exporter_id, " of release ", res.name, " writes captured ",
			"payloads to bucket ", inv.text(name), ", which ", problem,
		]),
		concat(".", [base, "exporters", exporter_id, "s3uploader.s3_bucket"]), name,
	)
}

# The problems of the buckets an exporter names: looked up, never matched against every bucket
# (copies of a stack share bucket names).
_res019_problems_of_name(name, known, problems) := [
	"is not a bucket of this plan (its encryption and retention cannot be judged)",
] if {
	not name in known
} else := [p | some [n, p] in problems; n == name] if {
	name in {n | some [n, _] in problems}
} else := []

# [bucket name, problem] of every named bucket, each bucket judged once.
_res019_bucket_problems(buckets, kms, expirations, longest) := {[name, p] |
	expiring := {u | some [u, _] in expirations}
	too_long := {[u, d] | some [u, d] in expirations; is_number(longest); d > longest}
	some [name, bucket] in buckets
	some p in _res019_problems_of(bucket, kms, expiring, too_long, longest)
}

_res019_problems_of(bucket, kms, expiring, too_long, longest) := array.concat(
	[p | not bucket.urn in kms; p := "is not encrypted with a KMS key (SSE-KMS)"],
	_res019_retention_problems(bucket, expiring, too_long, longest),
)

_res019_retention_problems(bucket, expiring, too_long, longest) := [
	"expires nothing (no enabled lifecycle rule with expiration days)",
] if {
	not bucket.urn in expiring
} else := [
	"has no compliance maximum for its zone (pii_patterns.yaml payload_capture.max_retention_days)",
] if {
	not is_number(longest)
} else := [p |
	some [u, d] in too_long
	u == bucket.urn
	p := concat("", [
		"keeps objects ", format_int(d, 10), " days, more than the zone's maximum of ",
		format_int(longest, 10), " days",
	])
]

_res019_to_a_collector(url, collector_ns) if {
	ns := capture.endpoint_namespace(url)
	ns in collector_ns
}
