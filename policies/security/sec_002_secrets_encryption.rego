# SEC-002: EKS encrypts Kubernetes secrets with a KMS key.
package security

import data.lib.inventory as inv
import rego.v1

# METADATA
# title: EKS encrypts Kubernetes secrets with a KMS key
# description: Envelope encryption keeps Kubernetes secrets (API keys, registry credentials)
#   unreadable in etcd backups and snapshots without access to the customer-managed key.
# custom:
#   id: SEC-002
#   area: security
#   severity: high
#   enforcement: mandatory
#   scope: resource
#   resource_types: ["aws:eks/cluster:Cluster"]
#   parameters: []
#   remediation: Set encryptionConfig with resources ["secrets"] and provider.keyArn a KMS key.
deny contains v if {
	some cluster in inv.resources(input, data.lib.security.cluster_type)
	not inv.is_unknown(cluster, "encryptionConfig.resources")
	not "secrets" in object.get(cluster.props, ["encryptionConfig", "resources"], [])
	v := inv.violation(
		"SEC-002", cluster,
		concat("", [
			"EKS cluster ",
			cluster.name,
			" does not encrypt Kubernetes secrets; encryptionConfig.resources must include secrets",
		]),
		"encryptionConfig.resources", object.get(cluster.props, ["encryptionConfig", "resources"], null),
	)
}

deny contains v if {
	some cluster in inv.resources(input, data.lib.security.cluster_type)
	not inv.has_value(cluster, "encryptionConfig.provider.keyArn")
	v := inv.violation(
		"SEC-002", cluster,
		concat("", [
			"EKS cluster ",
			cluster.name,
			" has no KMS key for secrets encryption; set encryptionConfig.provider.keyArn",
		]),
		"encryptionConfig.provider.keyArn", null,
	)
}

deny contains v if {
	some cluster in inv.resources(input, data.lib.security.cluster_type)
	inv.is_unknown(cluster, "encryptionConfig.resources")
	v := inv.undecided("SEC-002", cluster, "encryptionConfig.resources")
}
