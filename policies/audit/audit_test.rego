# The audit rules' shared test builders (a compliant stack and its parts), on lib.test_kit; each
# rule's cases are in <id>_<slug>_test.rego beside the rule.
package audit_test

import data.lib.test_kit as kit
import rego.v1

# A resource with the stack's required tags as its AWS provider's default tags.
_resource(type_token, name, props) := kit.with_default_tags(kit.resource(type_token, name, props), _stack_tags)

_deny(inventory) := kit.denials("audit", inventory)

_deny_with(inventory, params) := kit.denials_with_params("audit", inventory, params)

_stack_tags := {
	"owner": "ml-platform",
	"cost-center": "cc-4411",
	"data-classification": "regulated",
	"environment": "prod-ca",
}

_declared := {
	"environment": "prod-ca",
	"residency": {"zone": "ca", "sovereign": true, "airGapped": true},
	"sla": {"availability": 99.9}, "budget": null, "tags": _stack_tags,
	"gateway": {"internetFacing": false}, "registry": {"images": null, "charts": null},
}

_trail_type := "aws:cloudtrail/trail:Trail"

_bucket_type := "aws:s3/bucket:Bucket"

_bucket := _resource(_bucket_type, "audit-logs", {"objectLockEnabled": true, "tags": {"servegate.io/purpose": "audit"}})

_on_bucket(type_token, name, props) := kit.with_fields(
	_resource(type_token, name, object.union({"bucket": data.lib.inventory.unknown_value}, props)),
	{"deps": {"bucket": [_bucket.urn]}},
)

_vpc := _resource("aws:ec2/vpc:Vpc", "vpc", {"cidrBlock": "10.40.0.0/16"})

_log_group := _resource(
	"aws:cloudwatch/logGroup:LogGroup",
	"trail-logs",
	{"retentionInDays": 365, "kmsKeyId": data.lib.inventory.unknown_value},
)

# A compliant stack, by role; tests replace a role with a variant or with null to remove it.
_compliant := {
	"trail": kit.with_fields(_resource(_trail_type, "trail", {
		"isMultiRegionTrail": true, "enableLogFileValidation": true,
		"kmsKeyId": data.lib.inventory.unknown_value, "s3BucketName": data.lib.inventory.unknown_value,
		# AUD-011: data events on every bucket's objects (reads and writes).
		"advancedEventSelectors": [{"fieldSelectors": [
			{"field": "eventCategory", "equals": ["Data"]},
			{"field": "resources.type", "equals": ["AWS::S3::Object"]},
		]}],
	}), {"deps": {"s3BucketName": [_bucket.urn]}}),
	"bucket": _bucket,
	"versioning": _on_bucket(
		"aws:s3/bucketVersioning:BucketVersioning",
		"audit-versioning",
		{"versioningConfiguration": {"status": "Enabled"}},
	),
	"object_lock": _on_bucket(
		"aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
		"audit-lock",
		{"rule": {"defaultRetention": {"mode": "COMPLIANCE", "days": 365}}},
	),
	"encryption": _on_bucket(
		"aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
		"audit-sse",
		{"rules": [{"applyServerSideEncryptionByDefault": {
			"sseAlgorithm": "aws:kms",
			"kmsMasterKeyId": data.lib.inventory.unknown_value,
		}}]},
	),
	"public_access": _on_bucket(
		"aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
		"audit-pab",
		{"blockPublicAcls": true, "blockPublicPolicy": true, "ignorePublicAcls": true, "restrictPublicBuckets": true},
	),
	"ownership": _on_bucket(
		"aws:s3/bucketOwnershipControls:BucketOwnershipControls",
		"audit-ownership",
		{"rule": {"objectOwnership": "BucketOwnerEnforced"}},
	),
	"log_group": _log_group,
	"vpc": _vpc,
	"flow_log": kit.with_fields(
		_resource("aws:ec2/flowLog:FlowLog", "vpc-flow", {"vpcId": data.lib.inventory.unknown_value, "trafficType": "ALL"}),
		{"deps": {"vpcId": [_vpc.urn]}},
	),
	"cluster": _resource(
		"aws:eks/cluster:Cluster",
		"cluster",
		{"enabledClusterLogTypes": ["api", "audit", "authenticator"]},
	),
	"envoy_proxy": _resource(
		"kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy",
		"gateway-proxy",
		{"spec": {"telemetry": {"accessLog": {"settings": [{
			"format": {"type": "JSON"},
			"sinks": [{"type": "File", "file": {"path": "/dev/stdout"}}],
		}]}}}},
	),
}

# The compliant stack with some roles replaced (null removes the role).
_inventory(overrides) := kit.inventory(_resources(overrides), _declared)

_resources(overrides) := [res |
	roles := kit.with_fields(_compliant, overrides)
	some role in sort(object.keys(roles))
	res := roles[role]
	res != null
]

test_compliant_stack_has_no_audit_findings if {
	count(_deny(_inventory({}))) == 0
}
