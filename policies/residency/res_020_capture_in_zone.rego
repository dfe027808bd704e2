# RES-020: captured payloads never leave the zone.
package residency

import data.lib.capture
import data.lib.inventory as inv
import data.lib.residency as residency_lib
import rego.v1

# METADATA
# title: Captured payloads stay in the zone
# description: In a sovereign stack, spans carrying prompts or completions go only to an
#   in-cluster OpenTelemetry Collector (an OTLP endpoint under .svc.cluster.local), and every
#   awss3 exporter of its traces pipelines writes to the region the zone allows, to a bucket of
#   the plan in that zone, with neither an endpoint override nor resource_attrs_to_s3 (which let
#   the data pick another bucket). A bucket name that names no bucket of the plan is a place
#   the gate cannot know, and a traces pipeline exporter that is neither awss3 nor a connector
#   (which feeds another pipeline, judged on its own) sends the payloads where the gate does not
#   judge. Judged from the releases' values and the bucket resources.
# custom:
#   id: RES-020
#   area: residency
#   severity: critical
#   enforcement: mandatory
#   scope: stack
#   resource_types: ["kubernetes:helm.sh/v3:Release"]
#   applies_when: "declared.residency.sovereign != false"
#   not_applicable: not sovereign
#   parameters: ["zones"]
#   remediation: Send the gateway's traces to the stack's Collector (components/payload_capture.py)
#     and export to a bucket of the stack in the zone's region (s3uploader.region, s3_bucket);
#     remove endpoint and resource_attrs_to_s3 from the exporter and every other exporter from
#     the traces pipelines.
deny contains v if {
	residency_lib.sovereign(input.declared)
	some [res, env] in data.lib.capture.payload_tracing
	url := capture.endpoint(env)
	not capture.in_cluster(url)
	v := inv.violation(
		"RES-020", res,
		concat("", [
			"release ", res.name, " sends prompts and completions to ", url,
			", outside the cluster; captured payloads go only to an in-cluster Collector ",
			"that stores them in zone ", residency_lib.zone(input.declared),
		]),
		"values.extProc.extraEnvVars", url,
	)
}

deny contains v if {
	residency_lib.sovereign(input.declared)
	count(data.lib.capture.payload_tracing) > 0
	some [res, config, base] in data.lib.capture.collectors
	some [id, pipeline] in capture.traces_pipelines(config)
	some exporter_id in capture.unjudged_exporters(config, pipeline)
	v := inv.violation(
		"RES-020", res,
		concat("", [
			"Collector pipeline ", id, " of release ", res.name, " exports captured payloads with ",
			exporter_id, ", whose destination is not judged; only awss3 exporters writing to a ",
			"bucket of the plan in zone ", residency_lib.zone(input.declared), " may",
		]),
		concat(".", [base, "service.pipelines", id, "exporters"]), object.get(pipeline, "exporters", []),
	)
}

deny contains v if {
	residency_lib.sovereign(input.declared)
	count(data.lib.capture.payload_tracing) > 0
	regions := residency_lib.zone_regions(input.declared)
	buckets := data.lib.capture.named_buckets
	some [res, config, base] in data.lib.capture.collectors
	some [id, pipeline] in capture.traces_pipelines(config)
	some [exporter_id, exporter] in capture.s3_exporters(config, pipeline)
	some [problem, path] in _res020_problems(exporter, buckets, regions)
	v := inv.violation(
		"RES-020", res,
		concat("", [
			"Collector exporter ", exporter_id, " of release ", res.name, " ", problem,
			"; zone ", residency_lib.zone(input.declared), " allows ", concat(", ", regions),
		]),
		concat(".", [base, "exporters", exporter_id, path]), object.get(exporter, split(path, "."), null),
	)
}

# The exporter's AWS SDK default region is us-east-1 (exporter/awss3exporter README).
_res020_region(exporter) := inv.text(object.get(exporter, ["s3uploader", "region"], "us-east-1"))

_res020_problems(exporter, buckets, regions) := array.concat(
	array.concat(
		[[p, "s3uploader.region"] |
			region := _res020_region(exporter)
			not region in regions
			p := concat("", ["writes captured payloads to region ", region])
		],
		[[p, "s3uploader.s3_bucket"] |
			name := object.get(exporter, ["s3uploader", "s3_bucket"], "")
			some [n, bucket] in buckets
			n == name
			not object.get(bucket, "region", "") in regions
			p := concat("", [
				"writes captured payloads to bucket ", name, " in ",
				inv.text(object.get(bucket, "region", "an unknown region")),
			])
		],
	),
	array.concat(
		[[p, "s3uploader.s3_bucket"] |
			name := object.get(exporter, ["s3uploader", "s3_bucket"], "")
			count([n | some [n, _] in buckets; n == name]) == 0
			p := concat("", [
				"writes captured payloads to bucket ", inv.text(name),
				", which names no bucket of this plan, so where they are stored is unknown",
			])
		],
	[[p, key] |
		some key in ["s3uploader.endpoint", "resource_attrs_to_s3"]
		inv.is_present(object.get(exporter, split(key, "."), null))
		p := concat("", ["sets ", key, ", so the destination is not the bucket and region judged"])
	],
	),
)
