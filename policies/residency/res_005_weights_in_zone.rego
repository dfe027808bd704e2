# RES-005: Air-gapped stacks load model weights only from in-zone stores.
package residency

import data.lib.inventory as inv
import data.lib.residency as residency_lib
import rego.v1

_urls(text) := regex.find_n(residency_lib.url_pattern, text, -1)

# Every string residency_lib.weight_references could yield, gathered without building paths (a superset:
# it only decides whether any server needs the full look), each string's URLs judged once.
_weight_strings contains value if {
	some [res, _, spec_path] in data.lib.residency.model_servers
	some annotations in [
		object.get(res.props, ["metadata", "annotations"], {}),
		object.get(res.props, array.concat(split(residency_lib.pod_metadata_path(spec_path), "."), ["annotations"]), {}),
	]
	value := annotations["servegate.io/model-source"]
	is_string(value)
}

_weight_strings contains value if {
	some [_, containers] in data.lib.residency.server_containers
	some container in containers
	some field in ["command", "args"]
	value_list := object.get(container, field, [])
	value := value_list[_]
	is_string(value)
	contains(value, "://")
}

# The weight strings naming a URL the air-gapped stack may not load from.
_foreign_weight_strings := {value |
	regions := residency_lib.zone_regions(input.declared)
	some value in _weight_strings
	some url in _urls(value)
	residency_lib.weights_problem(url, regions)
}

# Some model server's init container copies weights from a region outside the zone.
_fetches_from_foreign_region if {
	regions := residency_lib.zone_regions(input.declared)
	some [kind, containers] in data.lib.residency.server_containers
	kind == "initContainers"
	some container in containers
	args := array.concat(object.get(container, "command", []), object.get(container, "args", []))
	count(_foreign_region_arguments(args, regions)) > 0
}

# `aws s3 sync ... --region X`: the copy is made from region X.
_foreign_region_arguments(args, regions) := {region |
	some i in numbers.range(0, count(args) - 2)
	args[i] == "--region"
	region := args[i + 1]
	not region in regions
} | {region |
	some arg in args
	startswith(arg, "--region=")
	region := trim_prefix(arg, "--region=")
	not region in regions
}

# METADATA
# title: Air-gapped stacks load model weights only from in-zone stores
# description: An air-gapped stack has no internet egress and must not depend on one; weights come
#   from the stack's own S3 buckets or volumes, never from Hugging Face or other URLs.
# custom:
#   id: RES-005
#   area: residency
#   severity: critical
#   enforcement: mandatory
#   scope: stack
#   resource_types: ["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet",
#     "kubernetes:apps/v1:DaemonSet", "kubernetes:batch/v1:Job", "kubernetes:batch/v1:CronJob",
#     "kubernetes:core/v1:Pod"]
#   config_key: models
#   applies_when: declared.residency.airGapped
#   not_applicable: not air-gapped
#   parameters: [zones.zones]
#   remediation: Mirror the weights into an in-zone S3 bucket of this stack (s3://) or a volume
#     (pvc://) and point the model's source there.
deny contains v if {
	residency_lib.air_gapped(input.declared)
	count(_foreign_weight_strings) > 0
	regions := residency_lib.zone_regions(input.declared)
	some [res, spec, spec_path] in data.lib.residency.model_servers
	some [path, value] in residency_lib.weight_references(res, spec, spec_path)
	value in _foreign_weight_strings
	some url in _urls(value)
	problem := residency_lib.weights_problem(url, regions)
	v := inv.violation(
		"RES-005", res,
		concat("", [
			"model server ",
			res.name,
			" loads weights from ",
			url,
			", which ",
			problem,
			"; air-gapped stacks load from in-zone s3:// buckets of this stack or pvc:// volumes",
		]),
		path, value,
	)
}

deny contains v if {
	residency_lib.air_gapped(input.declared)
	_fetches_from_foreign_region
	regions := residency_lib.zone_regions(input.declared)
	some [res, spec, spec_path] in data.lib.residency.model_servers
	container_list := object.get(spec, "initContainers", [])
	some i
	container := container_list[i]
	args := array.concat(object.get(container, "command", []), object.get(container, "args", []))
	some region in _foreign_region_arguments(args, regions)
	v := inv.violation(
		"RES-005", res,
		concat("", [
			"model server ",
			res.name,
			" fetches weights from region ",
			region,
			", outside zone ",
			inv.text(residency_lib.zone(input.declared)),
			" (allowed: ",
			residency_lib.allowed_text(input.declared),
			")",
		]),
		concat(".", [spec_path, "initContainers", format_int(i, 10), "args"]), region,
	)
}
