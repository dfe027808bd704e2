package security

import data.lib.inventory as inv
import rego.v1

# METADATA
# title: Every namespace holding a model server denies ingress by default
# description: Without a NetworkPolicy that selects every pod of the namespace for Ingress and
#   allows nothing, a model server accepts connections from any pod of the cluster, bypassing
#   the gateway's authentication and rate limits. The namespace's allow policies then say
#   exactly who may connect (SEC-021). Model servers are the workloads that run one, whatever
#   their labels (data.lib.workloads.model_servers).
# custom:
#   id: SEC-020
#   area: security
#   severity: high
#   enforcement: mandatory
#   scope: stack
#   resource_types: ["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet",
#     "kubernetes:apps/v1:DaemonSet", "kubernetes:batch/v1:Job", "kubernetes:batch/v1:CronJob",
#     "kubernetes:core/v1:Pod"]
#   parameters: []
#   remediation: Add a default-deny NetworkPolicy to the model server's namespace (podSelector {},
#     policyTypes [Ingress, Egress], no rules), as components/network_policies.py does for every
#     namespace it creates, then allow only the gateway and monitoring (SEC-021).
deny contains v if {
	some [res, _, _] in data.lib.workloads.model_servers
	ns := data.lib.network_policies.namespace(res.props)
	not data.lib.network_policies.default_deny(ns, "Ingress")
	v := inv.violation(
		"SEC-020", res,
		concat("", [
			res.type, " ", res.name, " runs a model server in namespace ", ns,
			", which has no default-deny ingress NetworkPolicy ",
			"(podSelector {}, policyTypes Ingress, no ingress rules): ",
			"every pod of the cluster can call it directly",
		]),
		"metadata.namespace", ns,
	)
}
