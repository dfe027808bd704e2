# SLA-010: Container images are pinned.
package sla

import data.lib.inventory as inv
import rego.v1

_pinned(image) if contains(image, "@sha256:")

_pinned(image) if {
	not contains(image, "@")
	parts := split(image, "/")
	tag := split(parts[count(parts) - 1], ":")
	count(tag) == 2
	not tag[1] in {"", "latest"}
}

# Every workload's images, each distinct one judged once.
_unpinned_images := {image |
	some spec in data.lib.inventory.distinct_workload_pod_specs
	some kind in ["initContainers", "containers"]
	container_list := object.get(spec, kind, [])
	container := container_list[_]
	image := object.get(container, "image", "")
	image != data.lib.inventory.unknown_value
	not _pinned(image)
}

# METADATA
# title: Container images are pinned
# description: A missing or latest tag lets a restart pull different software than was reviewed
#   and tested, so a rollback or scale-up can change behaviour silently.
# custom:
#   id: SLA-010
#   area: sla
#   severity: medium
#   enforcement: mandatory
#   scope: resource
#   resource_types: ["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet",
#     "kubernetes:apps/v1:DaemonSet", "kubernetes:batch/v1:Job", "kubernetes:batch/v1:CronJob"]
#   parameters: []
#   remediation: Reference the image by an exact version tag or by digest (@sha256:...).
deny contains v if {
	count(_unpinned_images) > 0
	some [res, spec, base] in data.lib.inventory.workload_pod_specs
	some kind in ["initContainers", "containers"]
	container_list := object.get(spec, kind, [])
	some i
	container := container_list[i]
	image := object.get(container, "image", "")
	image in _unpinned_images
	v := inv.violation(
		"SLA-010", res,
		concat("", [
			res.name,
			" runs image ",
			inv.text(image),
			", which is not pinned; use an exact version tag or a digest",
		]),
		concat(".", [base, kind, format_int(i, 10), "image"]), image,
	)
}
