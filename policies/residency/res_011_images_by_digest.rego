package residency

import data.lib.inventory as inv
import data.lib.inventory.unknown_value
import data.lib.pod_security as pss
import rego.v1

# METADATA
# title: Sovereign stacks pull every image by digest
# description: A tag can be moved to other content after review, in the mirror or upstream; a
#   digest names the reviewed bytes. In a sovereign stack every container image (init and
#   ephemeral ones too) is pinned @sha256, so what runs is what was mirrored into the zone.
# custom:
#   id: RES-011
#   area: residency
#   severity: high
#   enforcement: mandatory
#   scope: resource
#   resource_types: ["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet",
#     "kubernetes:apps/v1:DaemonSet", "kubernetes:batch/v1:Job", "kubernetes:batch/v1:CronJob",
#     "kubernetes:core/v1:Pod"]
#   parameters: []
#   remediation: Pin the image as repo:tag@sha256:<digest> (llm-serving:models[].image for model
#     servers; components/data/versions.yaml for servegate's own images).
deny contains v if {
	object.get(input.declared, ["residency", "sovereign"], false) == true
	some [res, spec, base] in data.lib.workloads.pods
	some [list, i, container] in pss.containers(spec)
	image := object.get(container, "image", "")
	image != unknown_value
	# The pattern written in place: regorus 0.13 loses package constants under a test's `with`.
	not regex.match(`@sha256:[0-9a-f]{64}$`, inv.text(image))
	v := inv.violation(
		"RES-011", res,
		concat("", [
			"container ",
			pss.container_name(container, i),
			" of ",
			pss.describe(res),
			" pulls ",
			inv.text(image),
			" by tag; sovereign stacks pull images by digest (@sha256:...)",
		]),
		concat(".", [pss.container_path(base, list, i), "image"]), image,
	)
}
