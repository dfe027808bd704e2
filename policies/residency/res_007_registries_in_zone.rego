# RES-007: Air-gapped stacks pull images and charts only from in-zone registries.
package residency

import data.lib.inventory as inv
import data.lib.residency as residency_lib
import rego.v1

_helm_types := {"kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart"}

# ECR hosts: <12-digit account>.dkr.ecr[-fips].<region>.amazonaws.com
_ecr_host := `^(oci://)?[0-9]{12}\.dkr\.ecr(-fips)?\.([a-z0-9-]+)\.amazonaws\.com/`

_ecr_region(reference) := match[3] if {
	is_string(reference)
	some match in regex.find_all_string_submatch_n(_ecr_host, reference, 1)
}

_in_zone_registry(reference, regions) if _ecr_region(reference) in regions

_chart_in_zone(props, regions) if {
	startswith(object.get(props, "chart", ""), "oci://")
	_in_zone_registry(props.chart, regions)
}

_chart_in_zone(props, regions) if {
	not contains(object.get(props, "chart", ""), "://")
	_in_zone_registry(object.get(props, ["repositoryOpts", "repo"], ""), regions)
}

# Images and chart sources are shared by many workloads and releases: each distinct one is
# judged once (a regular expression per resource costs more than the rest of the rule).
_foreign_images := {image |
	regions := residency_lib.zone_regions(input.declared)
	some spec in data.lib.inventory.distinct_workload_pod_specs
	some kind in ["initContainers", "containers"]
	container_list := object.get(spec, kind, [])
	container := container_list[_]
	image := object.get(container, "image", "")
	not data.lib.inventory.unknown_value == image
	not _in_zone_registry(image, regions)
}

# What _chart_in_zone reads of a release, per distinct release.
_release_charts := {chart |
	some type_token in _helm_types
	some res in inv.resources(input, type_token)
	chart := {
		"chart": object.get(res.props, "chart", ""),
		"repositoryOpts": {"repo": object.get(res.props, ["repositoryOpts", "repo"], "")},
	}
}

_foreign_charts if {
	regions := residency_lib.zone_regions(input.declared)
	some chart in _release_charts
	not _chart_in_zone(chart, regions)
}

_chart_source(props) := props.chart if contains(object.get(props, "chart", ""), "://")

_chart_source(props) := object.get(props, ["repositoryOpts", "repo"], "<no repository>") if {
	not contains(object.get(props, "chart", ""), "://")
}

# METADATA
# title: Air-gapped stacks pull images and charts only from in-zone registries
# description: An air-gapped cluster cannot reach public registries, and pulling from one outside
#   the zone moves software supply outside the jurisdiction; images and Helm charts come from ECR
#   in a zone region.
# custom:
#   id: RES-007
#   area: residency
#   severity: high
#   enforcement: mandatory
#   scope: resource
#   resource_types: ["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet",
#     "kubernetes:apps/v1:DaemonSet", "kubernetes:batch/v1:Job", "kubernetes:batch/v1:CronJob",
#     "kubernetes:core/v1:Pod", "kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart"]
#   config_key: registry.images
#   applies_when: declared.residency.airGapped
#   not_applicable: not air-gapped
#   parameters: [zones.zones]
#   remediation: Mirror the image or chart into ECR in a zone region and reference it there
#     (<account>.dkr.ecr.<region>.amazonaws.com/..., oci:// for charts).
deny contains v if {
	residency_lib.air_gapped(input.declared)
	count(_foreign_images) > 0
	some [res, spec, base] in data.lib.inventory.workload_pod_specs
	some kind in ["initContainers", "containers"]
	container_list := object.get(spec, kind, [])
	some i
	container := container_list[i]
	image := object.get(container, "image", "")
	image in _foreign_images
	v := inv.violation(
		"RES-007", res,
		concat("", [
			res.name,
			" pulls image ",
			inv.text(image),
			", not from an ECR registry in zone ",
			inv.text(residency_lib.zone(input.declared)),
			" (allowed regions: ",
			residency_lib.allowed_text(input.declared),
			")",
		]),
		concat(".", [base, kind, format_int(i, 10), "image"]), image,
	)
}

deny contains v if {
	residency_lib.air_gapped(input.declared)
	_foreign_charts
	regions := residency_lib.zone_regions(input.declared)
	some type_token in _helm_types
	some res in inv.resources(input, type_token)
	not _chart_in_zone(res.props, regions)
	source := _chart_source(res.props)
	v := inv.violation(
		"RES-007", res,
		concat("", [
			"Helm release ",
			res.name,
			" takes its chart from ",
			inv.text(source),
			", not from an oci:// ECR registry in zone ",
			inv.text(residency_lib.zone(input.declared)),
			" (allowed regions: ",
			residency_lib.allowed_text(input.declared),
			")",
		]),
		"chart", source,
	)
}
