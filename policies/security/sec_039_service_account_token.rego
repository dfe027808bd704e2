package security

import data.lib.inventory as inv
import data.lib.pod_security as pss
import rego.v1

# The automount setting a pod ends up with: its own, else its ServiceAccount's when the input
# declares that account, else Kubernetes' default (mounted).
_pss_account(res, spec) := account if {
	name := object.get(spec, "serviceAccountName", "default")
	some account in inv.resources(input, "kubernetes:core/v1:ServiceAccount")
	object.get(account.props, ["metadata", "name"], account.name) == name
	object.get(account.props, ["metadata", "namespace"], "default") == pss.namespace_of(res)
}

_pss_automount(res, spec) := value if {
	value := object.get(spec, "automountServiceAccountToken", null)
	value != null
} else := value if {
	value := object.get(_pss_account(res, spec).props, "automountServiceAccountToken", null)
	value != null
} else := true

# METADATA
# title: Model servers get no Kubernetes API token
# description: A model server never calls the Kubernetes API, so a mounted service-account
#   token only hands whoever breaks into it the pod's API identity. IRSA is unaffected - the EKS
#   Pod Identity webhook projects its own sts.amazonaws.com token whatever this setting says.
# custom:
#   id: SEC-039
#   area: security
#   severity: high
#   enforcement: mandatory
#   scope: resource
#   resource_types: ["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet",
#     "kubernetes:apps/v1:DaemonSet", "kubernetes:batch/v1:Job", "kubernetes:batch/v1:CronJob",
#     "kubernetes:core/v1:Pod"]
#   parameters: []
#   remediation: Set automountServiceAccountToken false on the model server's pod spec (or its
#     ServiceAccount).
deny contains v if {
	some [res, spec, base] in data.lib.pod_security.model_server_pods
	_pss_automount(res, spec) != false
	v := inv.violation(
		"SEC-039", res,
		concat("", [
			"model server ",
			pss.describe(res),
			" mounts a Kubernetes service-account token ",
			"(automountServiceAccountToken is not false on the pod or its ",
			"ServiceAccount); it never calls the API",
		]),
		concat(".", [base, "automountServiceAccountToken"]), object.get(spec, "automountServiceAccountToken", null),
	)
}
