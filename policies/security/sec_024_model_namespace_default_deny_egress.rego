package security

import data.lib.inventory as inv
import rego.v1

# METADATA
# title: Every namespace holding a model server denies egress by default
# description: A model server holds the weights and sees every prompt. Without a NetworkPolicy
#   that selects every pod of its namespace for Egress and allows nothing, its pods can open
#   connections anywhere the network routes, so a compromised or misconfigured server can send
#   weights or prompts out; the namespace's allow policies then open only the weight download,
#   DNS and what else the pods need.
# custom:
#   id: SEC-024
#   area: security
#   severity: medium
#   enforcement: mandatory
#   scope: stack
#   resource_types: ["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet",
#     "kubernetes:apps/v1:DaemonSet", "kubernetes:batch/v1:Job", "kubernetes:batch/v1:CronJob",
#     "kubernetes:core/v1:Pod"]
#   parameters: []
#   remediation: Add a default-deny NetworkPolicy to the model server's namespace (podSelector {},
#     policyTypes [Ingress, Egress], no rules) and allow DNS and the weight download (the S3
#     endpoint) explicitly, as components/network_policies.py does.
deny contains v if {
	some [res, _, _] in data.lib.workloads.model_servers
	ns := data.lib.network_policies.namespace(res.props)
	not data.lib.network_policies.default_deny(ns, "Egress")
	v := inv.violation(
		"SEC-024", res,
		concat("", [
			res.type, " ", res.name, " runs a model server in namespace ", ns,
			", which has no default-deny egress NetworkPolicy ",
			"(podSelector {}, policyTypes Egress, no egress rules): ",
			"its pods can connect anywhere the network routes",
		]),
		"metadata.namespace", ns,
	)
}
