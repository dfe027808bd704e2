# METADATA
# title: Data-flow evidence
# description: Where the plan sends requests, model weights, logs, captured payloads and
#   backups, as plain data for the reports' data-flow view (servegate.flow). It judges nothing
#   and yields no findings: every place, zone membership and allowed/refused decision comes
#   from the helpers the rules judge with (lib.traffic, lib.residency, RES-003, RES-005,
#   AUD-006), so the report shows exactly what the rules saw. Not in lib/: it reads helpers of
#   the residency and audit rule files, which the test units of other packages do not load.
package evidence

import data.lib.inventory as inv
import rego.v1

# Compliance of a place: in the zone, outside it, inside it by an unverified claim (a
# Backend's processing-region annotation), or not knowable from the plan.
in_zone_status := "in-zone"

outside_status := "outside-zone"

declared_status := "declared"

unknown_status := "unknown"

release_type := "kubernetes:helm.sh/v3:Release"

log_group_type := "aws:cloudwatch/logGroup:LogGroup"

backup_vault_type := "aws:backup/vault:Vault"

replication_type := "aws:s3/bucketReplicationConfig:BucketReplicationConfig"

# open-telemetry/opentelemetry-helm-charts, charts/opentelemetry-collector.
collector_chart := "opentelemetry-collector"

# opentelemetry-collector-contrib exporter/awss3exporter README: s3uploader.region defaults to
# us-east-1 when the exporter names none.
awss3_default_region := "us-east-1"

# The whole view: one query (data.evidence.flow), plain data only (no resources).
flow := {
	"zone": data.lib.traffic.zone(input.declared),
	"zone_regions": data.lib.residency.zone_regions(input.declared),
	"sovereign": _sovereign(input.declared),
	"air_gapped": _air_gapped(input.declared),
	"classifications": data.lib.traffic.order,
	"kept_in_zone": data.lib.traffic.kept_in_zone(input.declared),
	"most_restrictive": data.lib.traffic.most_restrictive,
	"routes": routes,
	"mirrors": mirrors,
	"weights": weights,
	"logs": logs,
	"captures": captures,
	"backups": backups,
}

# (A function of a possibly undefined argument is undefined, so each yes/no is its own
# function with an else.)
_sovereign(declared) := true if data.lib.residency.sovereign(declared)
else := false

_air_gapped(declared) := true if data.lib.residency.air_gapped(declared)
else := false

# -- places ---------------------------------------------------------------------------------------

# A lib.traffic place as the view shows it: kind, region ("" when none), text and status.
place_view(p, declared) := {
	"kind": p.kind,
	"region": object.get(p, "region", object.get(p, "area", "")),
	"text": data.lib.traffic.place_text(p),
	"status": _place_status(p, declared),
}

_place_status(p, declared) := unknown_status if p.kind == "unknown"
else := declared_status if {
	p.kind == "declared"
	data.lib.traffic.in_zone(p, declared)
} else := in_zone_status if data.lib.traffic.in_zone(p, declared)
else := outside_status

# A resource's own AWS region as a place (RES-001/RES-004 read it the same way).
region_view(res, regions) := {"kind": "region", "region": res.region, "text": res.region, "status": status} if {
	data.lib.residency.region_known(res)
	status := _region_status(res.region, regions)
} else := {"kind": "unknown", "region": "", "text": "a region unknown until apply", "status": unknown_status}

_region_status(region, regions) := in_zone_status if region in regions
else := outside_status

named_region(region, regions) := {
	"kind": "region", "region": region, "text": region,
	"status": _region_status(region, regions),
}

# How a backend's requests leave the cluster: in-cluster (every place is this cluster),
# privatelink (every host is the private DNS name of an interface VPC endpoint of the plan),
# internet, or unknown (a backendRef the plan does not declare).
connectivity(backend, private) := "in-cluster" if {
	every p in backend.places {
		p.kind == "cluster"
	}
} else := "unknown" if {
	count(backend.hosts) == 0
} else := "privatelink" if {
	every host in backend.hosts {
		host in private
	}
} else := "internet"

# -- routes ---------------------------------------------------------------------------------------

# One row per route entry of lib.traffic.routes: model x classification -> hops by priority
# (Envoy AI Gateway tries lower priorities first), each with the decision RES-012/013/014 make.
routes := result if {
	private := {host | some [host, _] in data.lib.traffic.private_hosts}
	declared := input.declared
	sovereign := _sovereign(declared)
	# (Hops built here, not in a function: rego-cpp 1.5.2 failed them inside one.)
	result := [object.union(_route_view(entry), {"hops": hops}) |
		some entry in data.lib.traffic.routes
		hops := [_hop_view(ref, entry, private, declared, sovereign) | some ref in entry.refs]
	]
}

_route_view(entry) := {
	"route": entry.res.name,
	"urn": entry.res.urn,
	"rule": entry.rule,
	"model": entry.model,
	"class": entry.class,
	"unclassified": entry.unclassified,
}

_hop_view(ref, entry, private, declared, sovereign) := {
	"name": ref.name,
	"index": ref.index,
	"priority": ref.priority,
	"role": _role(ref.priority, entry.primary),
	"kind": "route",
	"model_id": ref.model_id,
	"backend": ref.backend.key,
	"schema": ref.backend.schema,
	"hosts": ref.backend.hosts,
	"classes": ref.backend.classes,
	"places": [place_view(p, declared) | some p in ref.backend.places],
	"connectivity": connectivity(ref.backend, private),
	"declares": _declares(ref.backend, entry.class),
	"allowed": _allowed(ref.backend, entry.class, declared, sovereign),
}

_role(priority, primary) := "primary" if priority == primary
else := "fallback"

_declares(backend, class) := true if data.lib.traffic.declares(backend, class)
else := false

# RES-012/RES-013/RES-014: declared, and, in a sovereign stack, allowed by the zone.
_allowed(backend, class, declared, sovereign) := false if {
	not data.lib.traffic.declares(backend, class)
} else := true if {
	not sovereign
} else := true if {
	data.lib.traffic.zone_allows(backend, class, declared)
} else := false

# -- mirrors (shadow traffic) -----------------------------------------------------------------

# Every mirror lib.mirroring reads, as RES-023 judges it: EnvoyPatchPolicy request_mirror_policies
# (how the stacks mirror to a shadow: Envoy AI Gateway v1.1's AIGatewayRoute has no mirror
# filter) and Gateway API RequestMirror filters of HTTPRoutes.
mirrors := [view |
	private := {host | some [host, _] in data.lib.traffic.private_hosts}
	declared := input.declared
	some m in data.lib.mirroring.mirrors
	view := {
		"route": m.res.name,
		"urn": m.res.urn,
		"rule": m.index,
		"name": m.cluster,
		"kind": "mirror",
		"percent": m.percent,
		"places": [place_view(p, declared) | some p in m.places],
		"connectivity": connectivity({"places": m.places, "hosts": m.hosts}, private),
		"path": m.path,
	}
]

# -- model weights ------------------------------------------------------------------------------

# Every weights URL a model server names (RES-005's references: the model-source annotation
# and URLs in its containers' command and args), with where the copy is made from.
weights := result if {
	regions := data.lib.residency.zone_regions(input.declared)
	air_gapped := _air_gapped(input.declared)
	buckets := _stack_buckets
	result := [_weight_view(res, url, _fetch_regions(spec), buckets, regions, air_gapped) |
		some [res, spec, spec_path] in data.lib.residency.model_servers
		urls := {url |
			some [_, value] in data.lib.residency.weight_references(res, spec, spec_path)
			some url in regex.find_n(data.lib.residency.url_pattern, value, -1)
		}
		some url in urls
	]
}

_weight_view(res, url, fetch_regions, buckets, regions, air_gapped) := {
	"server": res.name,
	"urn": res.urn,
	"url": url,
	"store": _store(url),
	"place": _weight_place(url, fetch_regions, buckets, regions),
	"problem": _weight_problem(url, regions, air_gapped),
}

# What the diagram groups weights by: the bucket, the volume claim or the host.
_store(url) := "huggingface.co" if startswith(url, "hf://")
else := concat("/", array.slice(split(url, "/"), 0, 3))

# [bucket name, resource] of the plan's buckets with a known name (a set: copies of a stack
# may share names, and an object comprehension would conflict on them).
_stack_buckets := {[name, res] |
	some t in data.lib.residency.bucket_types
	some res in inv.resources(input, t)
	name := object.get(res.props, "bucket", "")
	is_string(name)
	name != ""
	name != data.lib.inventory.unknown_value
}

_s3_bucket(url) := split(trim_prefix(url, "s3://"), "/")[0]

_bucket_named(name, buckets) := [res | some [n, res] in buckets; n == name][0]

# The regions an init container copies weights from (aws s3 sync ... --region X).
_fetch_regions(spec) := {region |
	some container in object.get(spec, "initContainers", [])
	args := array.concat(object.get(container, "command", []), object.get(container, "args", []))
	some region in _region_arguments(args)
}

_region_arguments(args) := {region |
	some i in numbers.range(0, count(args) - 2)
	args[i] == "--region"
	region := args[i + 1]
} | {region |
	some arg in args
	is_string(arg)
	startswith(arg, "--region=")
	region := trim_prefix(arg, "--region=")
}

_weight_place(url, _, _, _) := {
	"kind": "cluster", "region": "", "text": "a volume of this cluster",
	"status": in_zone_status,
} if {
	startswith(url, "pvc://")
}

_weight_place(url, _, buckets, regions) := region_view(_bucket_named(bucket, buckets), regions) if {
	startswith(url, "s3://")
	bucket := _s3_bucket(url)
	_bucket_named(bucket, buckets)
}

_weight_place(url, fetch_regions, buckets, regions) := named_region(region, regions) if {
	startswith(url, "s3://")
	not _bucket_named(_s3_bucket(url), buckets)
	count(fetch_regions) == 1
	some region in fetch_regions
}

_weight_place(url, fetch_regions, buckets, _) := {
	"kind": "unknown", "region": "", "text": "a bucket whose region the plan does not state",
	"status": unknown_status,
} if {
	startswith(url, "s3://")
	not _bucket_named(_s3_bucket(url), buckets)
	count(fetch_regions) != 1
}

_weight_place(url, _, _, _) := {"kind": "internet", "region": "", "text": "the internet", "status": unknown_status} if {
	not startswith(url, "s3://")
	not startswith(url, "pvc://")
}

# Why RES-005 refuses the URL on an air-gapped stack ("" when it does not, or is not judged).
_weight_problem(url, regions, air_gapped) := problem if {
	air_gapped
	problem := data.lib.residency.weights_problem(url, regions)
} else := ""

# -- logs and the audit trail ---------------------------------------------------------------------

# The evidence stores RES-004 judges that hold logs (CloudWatch log groups, CloudTrail trails)
# and the audit buckets AUD-006 judges (the trails' buckets, or tagged for audit).
logs := result if {
	regions := data.lib.residency.zone_regions(input.declared)
	groups := [_log_view("CloudWatch log group", res, regions) | some res in inv.resources(input, log_group_type)]
	trails := [_log_view("CloudTrail trail", res, regions) | some res in inv.resources(input, data.lib.audit.trail_type)]
	buckets := [_log_view("audit bucket", res, regions) | some res in data.lib.audit.audit_buckets]
	result := array.concat(array.concat(groups, trails), buckets)
}

_log_view(kind, res, regions) := {"kind": kind, "name": res.name, "urn": res.urn, "place": region_view(res, regions)}

# -- captured payloads ------------------------------------------------------------------------------

# OpenTelemetry Collector releases (chart opentelemetry-collector) exporting to S3 with the
# contrib awss3 exporter (<alternateConfig or config>.exporters.awss3[/name].s3uploader.region
# and .s3_bucket).
captures := result if {
	regions := data.lib.residency.zone_regions(input.declared)
	result := [_capture_view(res, exporter, config, regions) |
		some res in inv.resources(input, release_type)
		_collector_chart(object.get(res.props, "chart", ""))
		exporters := object.get(_collector_values_config(res.props), "exporters", {})
		is_object(exporters)
		config := exporters[exporter]
		_awss3(exporter)
	]
}

# The chart's alternateConfig, when set, replaces config whole (templates/_config.tpl at
# opentelemetry-collector-0.170.0); servegate's PayloadCapture sets it.
_collector_values_config(props) := config if {
	config := object.get(props, ["values", "alternateConfig"], {})
	is_object(config)
	count(config) > 0
} else := object.get(props, ["values", "config"], {})

_collector_chart(chart) if {
	is_string(chart)
	parts := split(chart, "/")
	parts[count(parts) - 1] == collector_chart
}

_awss3(name) if name == "awss3"

_awss3(name) if startswith(name, "awss3/")

_capture_view(res, exporter, config, regions) := {
	"release": res.name,
	"urn": res.urn,
	"exporter": exporter,
	"bucket": inv.text(object.get(config, ["s3uploader", "s3_bucket"], "")),
	"place": _capture_place(object.get(config, ["s3uploader", "region"], null), regions),
}

_capture_place(region, regions) := named_region(region, regions) if {
	is_string(region)
	region != ""
	region != data.lib.inventory.unknown_value
} else := object.union(
	named_region(awss3_default_region, regions),
	{"text": concat("", [awss3_default_region, " (the exporter's default)"])},
) if {
	region == null
} else := {"kind": "unknown", "region": "", "text": "a region unknown until apply", "status": unknown_status}

# -- backups ------------------------------------------------------------------------------------------

# Copies of the stack's data: S3 replication (RES-003's destinations) and AWS Backup vaults.
backups := result if {
	regions := data.lib.residency.zone_regions(input.declared)
	replicas := [_replica_view(res, dest, regions) |
		some [res, dest] in data.lib.residency.replication_rules(input)
	]
	vaults := [{
		"kind": "AWS Backup vault", "name": res.name, "urn": res.urn, "target": res.name,
		"place": region_view(res, regions),
	} |
		some res in inv.resources(input, backup_vault_type)
	]
	result := array.concat(replicas, vaults)
}

_replica_view(res, dest, regions) := {
	"kind": "S3 replication",
	"name": res.name,
	"urn": res.urn,
	"target": b.name,
	"place": region_view(b, regions),
} if {
	found := [b | some b in data.lib.residency.destinations(input, res, dest)]
	count(found) > 0
	b := found[0]
} else := {
	"kind": "S3 replication",
	"name": res.name,
	"urn": res.urn,
	"target": inv.text(dest),
	"place": {"kind": "unknown", "region": "", "text": "a bucket this stack does not declare", "status": unknown_status},
}
