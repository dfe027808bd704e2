# RES-006: Air-gapped model servers run Hugging Face offline.
package residency

import data.lib.inventory as inv
import data.lib.residency as residency_lib
import rego.v1

_offline_values := {"1", "true", "yes", "on"}

_offline(container) if {
	env_list := object.get(container, "env", [])
	env := env_list[_]
	env.name == "HF_HUB_OFFLINE"
	lower(inv.text(object.get(env, "value", ""))) in _offline_values
}

_some_server_online if {
	some [kind, containers] in data.lib.residency.server_containers
	kind == "containers"
	some container in containers
	not _offline(container)
}

# METADATA
# title: Air-gapped model servers run Hugging Face offline
# description: Without HF_HUB_OFFLINE=1 vLLM and the Hugging Face libraries try to reach the Hub
#   for configs and tokenizers, which an air-gapped stack must never do.
# custom:
#   id: RES-006
#   area: residency
#   severity: high
#   enforcement: mandatory
#   scope: resource
#   resource_types: ["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet",
#     "kubernetes:apps/v1:DaemonSet", "kubernetes:batch/v1:Job", "kubernetes:batch/v1:CronJob",
#     "kubernetes:core/v1:Pod"]
#   applies_when: declared.residency.airGapped
#   not_applicable: not air-gapped
#   parameters: []
#   remediation: Set env HF_HUB_OFFLINE=1 on every container of the model server.
deny contains v if {
	residency_lib.air_gapped(input.declared)
	_some_server_online
	some [res, spec, spec_path] in data.lib.residency.model_servers
	container_list := object.get(spec, "containers", [])
	some i
	container := container_list[i]
	not _offline(container)
	v := inv.violation(
		"RES-006", res,
		concat("", [
			"container ",
			inv.text(object.get(container, "name", i)),
			" of model server ",
			res.name,
			" does not set HF_HUB_OFFLINE=1, which air-gapped stacks require",
		]),
		concat(".", [spec_path, "containers", format_int(i, 10), "env"]), object.get(container, "env", []),
	)
}
