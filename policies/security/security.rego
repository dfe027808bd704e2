# METADATA
# title: Security
# description: Hardening of the serving stack (a private and encrypted control plane, encrypted
#   storage, no world-open ports but the gateway's HTTPS listener, unprivileged workloads and
#   no model server reachable without authentication).
package security

import data.lib.inventory as inv
import data.lib.inventory.sse_kms_buckets
import data.lib.inventory.sse_unknown_buckets
import data.lib.inventory.workload_pod_specs
import rego.v1

_cluster_type := "aws:eks/cluster:Cluster"

_launch_template_type := "aws:ec2/launchTemplate:LaunchTemplate"

_log_group_type := "aws:cloudwatch/logGroup:LogGroup"

_bucket_types := {"aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"}

_gateway_type := "kubernetes:gateway.networking.k8s.io/v1:Gateway"

_security_policy_type := "kubernetes:gateway.envoyproxy.io/v1alpha1:SecurityPolicy"

_host_namespaces := ["hostNetwork", "hostPID", "hostIPC"]

_container_lists := ["initContainers", "containers", "ephemeralContainers"]

_escalations := ["privileged", "allowPrivilegeEscalation"]

# Any /0 prefix opens to every address of its family (0.0.0.0/0, ::/0).
_world_open(cidr) if {
	is_string(cidr)
	endswith(cidr, "/0")
}

# The one world-open exception: TCP 443 exactly (the gateway's HTTPS listener).
_https_only(protocol, from_port, to_port) if {
	lower(sprintf("%v", [protocol])) in {"tcp", "6"}
	from_port == 443
	to_port == 443
}

# -- EKS control plane -------------------------------------------------------------------------

# AWS opens the public endpoint when endpointPublicAccess is not set.
_public_endpoint(cluster) if inv.truthy(object.get(cluster.props, ["vpcConfig", "endpointPublicAccess"], true))

_public_cidrs(cluster) := object.get(cluster.props, ["vpcConfig", "publicAccessCidrs"], [])

# METADATA
# title: The EKS API endpoint is private or restricted to known networks
# description: A Kubernetes API endpoint reachable from the whole internet exposes the cluster to
#   credential stuffing and to every future API server vulnerability.
# custom:
#   id: SEC-001
#   area: security
#   severity: critical
#   enforcement: mandatory
#   scope: resource
#   parameters: []
#   remediation: Set vpcConfig.endpointPublicAccess to false (reach the API through the VPC), or
#     list the networks allowed in llm-serving:cluster.endpointPublicAccessCidrs (never 0.0.0.0/0).
deny contains v if {
	some cluster in inv.resources(input, _cluster_type)
	not inv.is_unknown(cluster, "vpcConfig.endpointPublicAccess")
	_public_endpoint(cluster)
	not inv.is_unknown(cluster, "vpcConfig.publicAccessCidrs")
	count(_public_cidrs(cluster)) == 0
	v := inv.violation(
		"SEC-001", cluster,
		concat("", ["EKS cluster ", cluster.name, " has a public API endpoint open to any address (no publicAccessCidrs); make it private or list the allowed networks"]),
		"vpcConfig.publicAccessCidrs", [],
	)
}

deny contains v if {
	some cluster in inv.resources(input, _cluster_type)
	not inv.is_unknown(cluster, "vpcConfig.endpointPublicAccess")
	_public_endpoint(cluster)
	some cidr in _public_cidrs(cluster)
	_world_open(cidr)
	v := inv.violation(
		"SEC-001", cluster,
		concat("", ["EKS cluster ", cluster.name, " opens its public API endpoint to ", inv.text(cidr), "; make it private or list only known networks"]),
		"vpcConfig.publicAccessCidrs", _public_cidrs(cluster),
	)
}

deny contains v if {
	some cluster in inv.resources(input, _cluster_type)
	some path in ["vpcConfig.endpointPublicAccess", "vpcConfig.publicAccessCidrs"]
	inv.is_unknown(cluster, path)
	v := inv.undecided("SEC-001", cluster, path)
}

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
#   parameters: []
#   remediation: Set encryptionConfig with resources ["secrets"] and provider.keyArn a KMS key.
deny contains v if {
	some cluster in inv.resources(input, _cluster_type)
	not inv.is_unknown(cluster, "encryptionConfig.resources")
	not "secrets" in object.get(cluster.props, ["encryptionConfig", "resources"], [])
	v := inv.violation(
		"SEC-002", cluster,
		concat("", ["EKS cluster ", cluster.name, " does not encrypt Kubernetes secrets; encryptionConfig.resources must include secrets"]),
		"encryptionConfig.resources", object.get(cluster.props, ["encryptionConfig", "resources"], null),
	)
}

deny contains v if {
	some cluster in inv.resources(input, _cluster_type)
	not inv.has_value(cluster, "encryptionConfig.provider.keyArn")
	v := inv.violation(
		"SEC-002", cluster,
		concat("", ["EKS cluster ", cluster.name, " has no KMS key for secrets encryption; set encryptionConfig.provider.keyArn"]),
		"encryptionConfig.provider.keyArn", null,
	)
}

deny contains v if {
	some cluster in inv.resources(input, _cluster_type)
	inv.is_unknown(cluster, "encryptionConfig.resources")
	v := inv.undecided("SEC-002", cluster, "encryptionConfig.resources")
}

# -- nodes -------------------------------------------------------------------------------------

# METADATA
# title: Nodes require IMDSv2
# description: With IMDSv1 a server-side request forgery in any pod can read the node role's
#   credentials from the instance metadata service; IMDSv2 session tokens block that.
# custom:
#   id: SEC-003
#   area: security
#   severity: high
#   enforcement: mandatory
#   scope: resource
#   parameters: []
#   remediation: Set metadataOptions.httpTokens to "required" on the launch template.
deny contains v if {
	some template in inv.resources(input, _launch_template_type)
	tokens := inv.prop(template, "metadataOptions.httpTokens")
	tokens != "required"
	not inv.is_unknown(template, "metadataOptions.httpTokens")
	v := inv.violation(
		"SEC-003", template,
		concat("", ["launch template ", template.name, " does not require IMDSv2; metadataOptions.httpTokens must be required"]),
		"metadataOptions.httpTokens", tokens,
	)
}

deny contains v if {
	some template in inv.resources(input, _launch_template_type)
	inv.is_unknown(template, "metadataOptions.httpTokens")
	v := inv.undecided("SEC-003", template, "metadataOptions.httpTokens")
}

_ebs_mappings(template) := [[i, mapping.ebs] |
	mappings := object.get(template.props, "blockDeviceMappings", [])
	mapping := mappings[i]
	is_object(object.get(mapping, "ebs", null))
]

# The EBS settings of every distinct block device mapping list: launch templates share them,
# so SEC-004 judges each once and visits the templates only when one fails.
_distinct_ebs := {ebs |
	some mappings in {object.get(template.props, "blockDeviceMappings", []) |
		some template in inv.resources(input, _launch_template_type)
	}
	some mapping in mappings
	ebs := object.get(mapping, "ebs", null)
	is_object(ebs)
}

_unencrypted_ebs if {
	some ebs in _distinct_ebs
	not inv.truthy(object.get(ebs, "encrypted", false))
}

_keyless_ebs if {
	some ebs in _distinct_ebs
	not inv.is_set(object.get(ebs, "kmsKeyId", null))
}

# METADATA
# title: EBS volumes are encrypted with a KMS key
# description: Node volumes cache model weights and may hold request data; KMS encryption keeps
#   snapshots and detached volumes unreadable without the key.
# custom:
#   id: SEC-004
#   area: security
#   severity: high
#   enforcement: mandatory
#   scope: resource
#   parameters: []
#   remediation: Set ebs.encrypted "true" and ebs.kmsKeyId on every block device mapping of the
#     launch template, and encrypted=True with kms_key_id on aws.ebs.Volume.
deny contains v if {
	_unencrypted_ebs
	some template in inv.resources(input, _launch_template_type)
	some mapping in _ebs_mappings(template)
	not inv.truthy(object.get(mapping[1], "encrypted", false))
	path := sprintf("blockDeviceMappings.%d.ebs.encrypted", [mapping[0]])
	not inv.is_unknown(template, path)
	v := inv.violation(
		"SEC-004", template,
		concat("", ["launch template ", template.name, " has an unencrypted EBS volume; ebs.encrypted must be true"]),
		path, object.get(mapping[1], "encrypted", null),
	)
}

deny contains v if {
	_keyless_ebs
	some template in inv.resources(input, _launch_template_type)
	some mapping in _ebs_mappings(template)
	not inv.is_set(object.get(mapping[1], "kmsKeyId", null))
	path := sprintf("blockDeviceMappings.%d.ebs.kmsKeyId", [mapping[0]])
	not path in object.get(template, "unknowns", [])
	v := inv.violation(
		"SEC-004", template,
		concat("", ["launch template ", template.name, " has an EBS volume without a KMS key; set ebs.kmsKeyId"]),
		path, null,
	)
}

deny contains v if {
	some template in inv.resources(input, _launch_template_type)
	some mapping in _ebs_mappings(template)
	path := sprintf("blockDeviceMappings.%d.ebs.encrypted", [mapping[0]])
	inv.is_unknown(template, path)
	v := inv.undecided("SEC-004", template, path)
}

deny contains v if {
	some volume in inv.resources(input, "aws:ebs/volume:Volume")
	not inv.is_unknown(volume, "encrypted")
	not inv.truthy(inv.prop(volume, "encrypted"))
	v := inv.violation(
		"SEC-004", volume,
		concat("", ["EBS volume ", volume.name, " is not encrypted; encrypted must be true"]),
		"encrypted", inv.prop(volume, "encrypted"),
	)
}

deny contains v if {
	some volume in inv.resources(input, "aws:ebs/volume:Volume")
	not inv.has_value(volume, "kmsKeyId")
	v := inv.violation(
		"SEC-004", volume,
		concat("", ["EBS volume ", volume.name, " has no KMS key; set kmsKeyId"]),
		"kmsKeyId", null,
	)
}

deny contains v if {
	some volume in inv.resources(input, "aws:ebs/volume:Volume")
	inv.is_unknown(volume, "encrypted")
	v := inv.undecided("SEC-004", volume, "encrypted")
}

# -- S3 and logs -------------------------------------------------------------------------------

# METADATA
# title: S3 buckets are encrypted with a KMS key
# description: Model weights and audit evidence live in S3; default KMS encryption adds key
#   policy and CloudTrail-logged decrypts on top of S3's own access control.
# custom:
#   id: SEC-005
#   area: security
#   severity: high
#   enforcement: mandatory
#   scope: stack
#   parameters: []
#   remediation: Add an aws.s3.BucketServerSideEncryptionConfiguration for the bucket with
#     sse_algorithm "aws:kms" and a customer-managed key.
deny contains v if {
	some type_token in _bucket_types
	some bucket in inv.resources(input, type_token)
	not bucket.urn in sse_kms_buckets
	v := _encryption_finding(bucket)
}

# Undecided while the bucket's encryption algorithm is unknown.
_encryption_finding(bucket) := inv.undecided("SEC-005", bucket, "serverSideEncryption") if {
	bucket.urn in sse_unknown_buckets
} else := inv.violation(
	"SEC-005", bucket,
	concat("", ["S3 bucket ", bucket.name, " is not encrypted with KMS; it needs a BucketServerSideEncryptionConfiguration with sseAlgorithm aws:kms"]),
	"serverSideEncryption", null,
)

# METADATA
# title: Log groups are encrypted with a KMS key
# description: Control-plane, flow and trail logs reveal identities, addresses and request
#   metadata; a customer-managed key limits who can read them.
# custom:
#   id: SEC-006
#   area: security
#   severity: medium
#   enforcement: mandatory
#   scope: resource
#   parameters: []
#   remediation: Set kms_key_id on the log group (a key whose policy allows logs.<region>.amazonaws.com).
deny contains v if {
	some group in inv.resources(input, _log_group_type)
	not inv.is_set(object.get(group.props, "kmsKeyId", null))
	not inv.has_value(group, "kmsKeyId")
	v := inv.violation(
		"SEC-006", group,
		concat("", ["log group ", group.name, " is not encrypted with a KMS key; set kmsKeyId"]),
		"kmsKeyId", null,
	)
}

# -- network exposure --------------------------------------------------------------------------

_rule_text(protocol, from_port, to_port) := concat("", [inv.text(protocol), " ports ", inv.text(from_port), "-", inv.text(to_port)])

_ingress_rule_cidr_paths := ["cidrIpv4", "cidrIpv6"]

# METADATA
# title: Nothing but HTTPS is open to the internet
# description: A world-open port other than the gateway's HTTPS listener exposes a service that
#   has no authentication in front of it (model servers, metrics, SSH) to the whole internet.
# custom:
#   id: SEC-007
#   area: security
#   severity: high
#   enforcement: mandatory
#   scope: resource
#   parameters: []
#   remediation: Restrict the rule's source to the VPC or known networks; only TCP 443 (from and
#     to port 443) may be open to 0.0.0.0/0 or ::/0.
deny contains v if {
	some rule in inv.resources(input, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
	some path in _ingress_rule_cidr_paths
	cidr := inv.prop(rule, path)
	_world_open(cidr)
	protocol := inv.prop(rule, "ipProtocol")
	from_port := inv.prop(rule, "fromPort")
	to_port := inv.prop(rule, "toPort")
	not _https_only(protocol, from_port, to_port)
	v := inv.violation(
		"SEC-007", rule,
		concat("", ["ingress rule ", rule.name, " opens ", _rule_text(protocol, from_port, to_port), " to ", inv.text(cidr), "; only TCP 443 may be open to the internet"]),
		path, cidr,
	)
}

deny contains v if {
	some rule in inv.resources(input, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
	some path in _ingress_rule_cidr_paths
	inv.is_unknown(rule, path)
	v := inv.undecided("SEC-007", rule, path)
}

deny contains v if {
	some rule in inv.resources(input, "aws:ec2/securityGroupRule:SecurityGroupRule")
	inv.prop(rule, "type") == "ingress"
	some field in ["cidrBlocks", "ipv6CidrBlocks"]
	some cidr in object.get(rule.props, field, [])
	_world_open(cidr)
	protocol := inv.prop(rule, "protocol")
	not _https_only(protocol, inv.prop(rule, "fromPort"), inv.prop(rule, "toPort"))
	v := inv.violation(
		"SEC-007", rule,
		concat("", ["security group rule ", rule.name, " opens ", _rule_text(protocol, inv.prop(rule, "fromPort"), inv.prop(rule, "toPort")), " to ", inv.text(cidr), "; only TCP 443 may be open to the internet"]),
		field, cidr,
	)
}

deny contains v if {
	some group in inv.resources(input, "aws:ec2/securityGroup:SecurityGroup")
	some i, ingress in object.get(group.props, "ingress", [])
	some field in ["cidrBlocks", "ipv6CidrBlocks"]
	some cidr in object.get(ingress, field, [])
	_world_open(cidr)
	protocol := object.get(ingress, "protocol", null)
	from_port := object.get(ingress, "fromPort", null)
	to_port := object.get(ingress, "toPort", null)
	not _https_only(protocol, from_port, to_port)
	v := inv.violation(
		"SEC-007", group,
		concat("", ["security group ", group.name, " opens ", _rule_text(protocol, from_port, to_port), " to ", inv.text(cidr), "; only TCP 443 may be open to the internet"]),
		concat(".", ["ingress", format_int(i, 10), field]), cidr,
	)
}

# -- workloads ---------------------------------------------------------------------------------

# [resource, pod spec, pod spec path] of every workload and bare Pod.
_pod_specs := array.concat(workload_pod_specs, [[pod, object.get(pod.props, "spec", {}), "spec"] |
	some pod in inv.resources(input, "kubernetes:core/v1:Pod")
])

# Workloads share pod specs (replicas of a model, copies of a stack) and the engine compares
# whole specs natively: SEC-008 judges each distinct spec once and visits the workloads only
# when one fails.
_distinct_pod_specs := {spec | some [_, spec, _] in _pod_specs}

_host_namespace_specs := {spec |
	some spec in _distinct_pod_specs
	some field in _host_namespaces
	inv.truthy(object.get(spec, field, false))
}

_escalating_specs := {spec |
	some spec in _distinct_pod_specs
	some list in _container_lists
	some container in object.get(spec, list, [])
	some field in _escalations
	inv.truthy(object.get(container, ["securityContext", field], false))
}

# METADATA
# title: Workloads run unprivileged and outside the host namespaces
# description: A privileged container, one allowed to escalate privileges, or a pod sharing the
#   node's network, PID or IPC namespace can take over the node, its GPU and every model on it.
# custom:
#   id: SEC-008
#   area: security
#   severity: critical
#   enforcement: mandatory
#   scope: resource
#   parameters: []
#   remediation: Remove privileged, allowPrivilegeEscalation true, hostNetwork, hostPID and
#     hostIPC from the pod spec; grant single capabilities if a container truly needs one.
deny contains v if {
	count(_host_namespace_specs) > 0
	some workload in _pod_specs
	[res, spec, spec_path] := workload
	spec in _host_namespace_specs
	some field in _host_namespaces
	inv.truthy(object.get(spec, field, false))
	v := inv.violation(
		"SEC-008", res,
		concat("", [res.type, " ", res.name, " shares the node's ", lower(trim_prefix(field, "host")), " namespace; ", field, " must not be true"]),
		concat(".", [spec_path, field]), true,
	)
}

deny contains v if {
	count(_escalating_specs) > 0
	some workload in _pod_specs
	[res, spec, spec_path] := workload
	spec in _escalating_specs
	some list in _container_lists
	some i, container in object.get(spec, list, [])
	some field in _escalations
	inv.truthy(object.get(container, ["securityContext", field], false))
	v := inv.violation(
		"SEC-008", res,
		concat("", ["container ", inv.text(object.get(container, "name", i)), " of ", res.name, " sets securityContext.", field, "; it must not be true"]),
		concat(".", [spec_path, list, format_int(i, 10), "securityContext", field]), true,
	)
}

# METADATA
# title: Model servers are reachable only inside the cluster
# description: vLLM serves without authentication; a LoadBalancer or NodePort Service would let
#   anyone who reaches the network bypass the gateway's authentication and rate limits.
# custom:
#   id: SEC-009
#   area: security
#   severity: critical
#   enforcement: mandatory
#   scope: resource
#   parameters: []
#   remediation: Make the model server's Service type ClusterIP and expose models only through the
#     gateway.
deny contains v if {
	some service in inv.resources(input, "kubernetes:core/v1:Service")
	service_type := object.get(service.props, ["spec", "type"], "ClusterIP")
	service_type != "ClusterIP"
	inv.has_role(service, "model-server")
	not inv.is_unknown(service, "spec.type")
	v := inv.violation(
		"SEC-009", service,
		concat("", ["model-server Service ", service.name, " is of type ", inv.text(service_type), "; it must be ClusterIP so that only the gateway reaches it"]),
		"spec.type", service_type,
	)
}

deny contains v if {
	some service in inv.resources(input, "kubernetes:core/v1:Service")
	inv.is_unknown(service, "spec.type")
	inv.has_role(service, "model-server")
	v := inv.undecided("SEC-009", service, "spec.type")
}

# -- gateway authentication --------------------------------------------------------------------

_namespace(res) := object.get(res.props, ["metadata", "namespace"], "default")

_authenticates(policy) if inv.is_set(object.get(policy.props, ["spec", "apiKeyAuth"], null))

_authenticates(policy) if inv.is_set(object.get(policy.props, ["spec", "jwt"], null))

_target_refs(policy) := array.concat(
	object.get(policy.props, ["spec", "targetRefs"], []),
	[ref | ref := object.get(policy.props, ["spec", "targetRef"], null); is_object(ref)],
)

# "<namespace>/<name>" of every Gateway an authenticating SecurityPolicy targets.
_protected_gateways(doc) := {sprintf("%s/%s", [_namespace(policy), ref.name]) |
	some policy in inv.resources(doc, _security_policy_type)
	_authenticates(policy)
	some ref in _target_refs(policy)
	object.get(ref, "kind", "Gateway") == "Gateway"
}

_gateway_name(gateway) := object.get(gateway.props, ["metadata", "name"], "")

# METADATA
# title: Every gateway requires authentication
# description: The gateway fronts models that have no authentication of their own; without an
#   API-key or JWT SecurityPolicy on it anyone who reaches it can use the GPUs and the models.
# custom:
#   id: SEC-010
#   area: security
#   severity: critical
#   enforcement: mandatory
#   scope: stack
#   parameters: []
#   remediation: Add an Envoy Gateway SecurityPolicy with apiKeyAuth or jwt whose targetRefs name
#     the Gateway (the ModelGateway component does this from llm-serving:gateway.auth).
deny contains v if {
	protected := _protected_gateways(input)
	some gateway in inv.resources(input, _gateway_type)
	not inv.is_unknown(gateway, "metadata.name")
	not sprintf("%s/%s", [_namespace(gateway), _gateway_name(gateway)]) in protected
	v := inv.violation(
		"SEC-010", gateway,
		concat("", ["Gateway ", gateway.name, " has no SecurityPolicy with apiKeyAuth or jwt targeting it; every gateway must authenticate clients"]),
		"metadata.name", _gateway_name(gateway),
	)
}

deny contains v if {
	some gateway in inv.resources(input, _gateway_type)
	inv.is_unknown(gateway, "metadata.name")
	v := inv.undecided("SEC-010", gateway, "metadata.name")
}

# -- keys --------------------------------------------------------------------------------------

# METADATA
# title: KMS keys rotate yearly
# description: Automatic rotation limits how much data one key version protects; the stack's
#   keys guard secrets, logs and audit evidence for years.
# custom:
#   id: SEC-011
#   area: security
#   severity: low
#   enforcement: advisory
#   scope: resource
#   parameters: []
#   remediation: Set enable_key_rotation=True on the key.
deny contains v if {
	some key in inv.resources(input, "aws:kms/key:Key")
	not inv.truthy(inv.prop(key, "enableKeyRotation"))
	not inv.is_unknown(key, "enableKeyRotation")
	v := inv.violation(
		"SEC-011", key,
		concat("", ["KMS key ", key.name, " does not rotate; enableKeyRotation should be true"]),
		"enableKeyRotation", inv.prop(key, "enableKeyRotation"),
	)
}

deny contains v if {
	some key in inv.resources(input, "aws:kms/key:Key")
	inv.is_unknown(key, "enableKeyRotation")
	v := inv.undecided("SEC-011", key, "enableKeyRotation")
}
