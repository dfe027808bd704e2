package audit_test

import data.audit
import data.lib.inventory as inv
import rego.v1

# -- builders ----------------------------------------------------------------------------------

_stack := {
	"project": "llm-serving", "name": "prod-ca", "source": "offline", "region": "ca-central-1",
	"urn": "urn:pulumi:prod-ca::llm-serving::pulumi:pulumi:Stack::llm-serving-prod-ca",
}

_stack_tags := {"owner": "ml-platform", "cost-center": "cc-4411", "data-classification": "regulated", "environment": "prod-ca"}

_declared := {
	"environment": "prod-ca",
	"residency": {"zone": "ca", "sovereign": true, "airGapped": true},
	"sla": {"availability": 99.9}, "budget": null, "tags": _stack_tags,
	"gateway": {"internetFacing": false}, "registry": {"images": null, "charts": null},
}

# concat, not sprintf: regopy 1.5.2 quotes literal strings passed through function arguments.
_urn(type_token, name) := concat("::", ["urn:pulumi:prod-ca", "llm-serving", type_token, name])

# A resource as the inventory holds it; AWS resources get the provider's default tags.
_resource(type_token, name, props) := {
	"urn": _urn(type_token, name), "type": type_token, "name": name, "parent": null,
	"op": "create", "custom": true, "region": "ca-central-1",
	"provider": {"urn": "urn:pulumi:prod-ca::llm-serving::pulumi:providers:aws::aws", "type": "pulumi:providers:aws", "region": "ca-central-1", "defaultTags": _stack_tags},
	"props": props, "unknowns": [], "deps": {},
	"tags": _resource_tags(type_token, props),
}

_resource_tags(type_token, props) := object.union(_stack_tags, object.get(props, "tags", {})) if startswith(type_token, "aws:")

_resource_tags(type_token, _) := {} if not startswith(type_token, "aws:")

# Replaces top-level fields (object.union alone would merge nested objects).
_with(res, patch) := object.union(object.remove(res, object.keys(patch)), patch)

_inventory_of(resources, declared) := {
	"stack": _stack, "declared": declared, "resources": resources,
	"by_type": {type_token: [i | some i; resources[i].type == type_token] | some res in resources; type_token := res.type},
}

_trail_type := "aws:cloudtrail/trail:Trail"

_bucket_type := "aws:s3/bucket:Bucket"

_bucket := _resource(_bucket_type, "audit-logs", {"objectLockEnabled": true, "tags": {"servegate.io/purpose": "audit"}})

_on_bucket(type_token, name, props) := _with(_resource(type_token, name, object.union({"bucket": inv.unknown_value}, props)), {"deps": {"bucket": [_bucket.urn]}})

_vpc := _resource("aws:ec2/vpc:Vpc", "vpc", {"cidrBlock": "10.40.0.0/16"})

_log_group := _resource("aws:cloudwatch/logGroup:LogGroup", "trail-logs", {"retentionInDays": 365, "kmsKeyId": inv.unknown_value})

# A compliant stack, by role; tests replace a role with a variant or with null to remove it.
_compliant := {
	"trail": _with(_resource(_trail_type, "trail", {
		"isMultiRegionTrail": true, "enableLogFileValidation": true,
		"kmsKeyId": inv.unknown_value, "s3BucketName": inv.unknown_value,
		# AUD-011: data events on every bucket's objects (reads and writes).
		"advancedEventSelectors": [{"fieldSelectors": [{"field": "eventCategory", "equals": ["Data"]}, {"field": "resources.type", "equals": ["AWS::S3::Object"]}]}],
	}), {"deps": {"s3BucketName": [_bucket.urn]}}),
	"bucket": _bucket,
	"versioning": _on_bucket("aws:s3/bucketVersioning:BucketVersioning", "audit-versioning", {"versioningConfiguration": {"status": "Enabled"}}),
	"object_lock": _on_bucket("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", "audit-lock", {"rule": {"defaultRetention": {"mode": "COMPLIANCE", "days": 365}}}),
	"encryption": _on_bucket("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "audit-sse", {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": inv.unknown_value}}]}),
	"public_access": _on_bucket("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "audit-pab", {"blockPublicAcls": true, "blockPublicPolicy": true, "ignorePublicAcls": true, "restrictPublicBuckets": true}),
	"ownership": _on_bucket("aws:s3/bucketOwnershipControls:BucketOwnershipControls", "audit-ownership", {"rule": {"objectOwnership": "BucketOwnerEnforced"}}),
	"log_group": _log_group,
	"vpc": _vpc,
	"flow_log": _with(_resource("aws:ec2/flowLog:FlowLog", "vpc-flow", {"vpcId": inv.unknown_value, "trafficType": "ALL"}), {"deps": {"vpcId": [_vpc.urn]}}),
	"cluster": _resource("aws:eks/cluster:Cluster", "cluster", {"enabledClusterLogTypes": ["api", "audit", "authenticator"]}),
	"envoy_proxy": _resource("kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy", "gateway-proxy", {"spec": {"telemetry": {"accessLog": {"settings": [{"format": {"type": "JSON"}, "sinks": [{"type": "File", "file": {"path": "/dev/stdout"}}]}]}}}}),
}

# The compliant stack with some roles replaced (null removes the role).
_inventory(overrides) := _inventory_of(_resources(overrides), _declared)

_resources(overrides) := [res |
	roles := _with(_compliant, overrides)
	some role in sort(object.keys(roles))
	res := roles[role]
	res != null
]

# The engines' quirks decide this shape: regopy 1.5.2 crashes when a rule calling a built-in
# runs under `with input as X`, but not under `with input.<key> as X`; regorus 0.13 loses other
# packages' constants under `with input as <rule reference>`, so callers pass bound values.
_deny(inventory) := _deny_with(inventory, data.params)

_deny_with(inventory, params) := denies if {
	denies := audit.deny with input.stack as inventory.stack
		with input.declared as inventory.declared
		with input.resources as inventory.resources
		with input.by_type as inventory.by_type
		with data.params as params
}

# The decided violations with a rule id, on which urn.
_fired(denies, rule_id) := {v.urn | some v in denies; v.rule_id == rule_id; not v.undecided}

_undecided(denies, rule_id) := {v.urn | some v in denies; v.rule_id == rule_id; v.undecided}

# Exactly one rule id fires, on exactly these urns.
_only(denies, rule_id, urns) if {
	_fired(denies, rule_id) == urns
	every v in denies {
		v.rule_id == rule_id
	}
}

# -- the compliant stack -----------------------------------------------------------------------

test_compliant_stack_has_no_audit_findings if {
	count(_deny(_inventory({}))) == 0
}

# -- AUD-001 -----------------------------------------------------------------------------------

test_aud_001_multi_region_trail_passes if {
	count(_fired(_deny(_inventory({})), "AUD-001")) == 0
}

test_aud_001_no_trail_denied if {
	# the tagged bucket stays the audit bucket without a trail
	_only(_deny(_inventory({"trail": null})), "AUD-001", {_stack.urn})
}

test_aud_001_single_region_trail_denied if {
	trail := _with(_compliant.trail, {"props": object.union(_compliant.trail.props, {"isMultiRegionTrail": false})})
	_only(_deny(_inventory({"trail": trail})), "AUD-001", {trail.urn})
}

test_aud_001_multi_region_trail_with_logging_off_denied if {
	trail := _with(_compliant.trail, {"props": object.union(_compliant.trail.props, {"enableLogging": false})})
	_only(_deny(_inventory({"trail": trail})), "AUD-001", {trail.urn})
}

test_aud_001_one_multi_region_trail_is_enough if {
	regional := _resource(_trail_type, "regional", {"isMultiRegionTrail": false, "enableLogFileValidation": true, "kmsKeyId": "arn:aws:kms:ca-central-1:1:key/x"})
	count(_fired(_deny(_inventory({"regional": regional})), "AUD-001")) == 0
}

test_aud_001_unknown_multi_region_undecided if {
	trail := _with(_compliant.trail, {"props": object.union(_compliant.trail.props, {"isMultiRegionTrail": inv.unknown_value})})
	denies := _deny(_inventory({"trail": trail}))
	_undecided(denies, "AUD-001") == {trail.urn}
	count(_fired(denies, "AUD-001")) == 0
}

# -- AUD-002 -----------------------------------------------------------------------------------

test_aud_002_validated_encrypted_trail_passes if {
	count(_fired(_deny(_inventory({})), "AUD-002")) == 0
}

test_aud_002_no_log_file_validation_denied if {
	trail := _with(_compliant.trail, {"props": object.remove(_compliant.trail.props, ["enableLogFileValidation"])})
	_only(_deny(_inventory({"trail": trail})), "AUD-002", {trail.urn})
}

test_aud_002_no_kms_key_denied if {
	trail := _with(_compliant.trail, {"props": object.remove(_compliant.trail.props, ["kmsKeyId"])})
	denies := _deny(_inventory({"trail": trail}))
	_only(denies, "AUD-002", {trail.urn})
	some v in denies
	v.path == "kmsKeyId"
}

test_aud_002_string_true_validation_passes if {
	trail := _with(_compliant.trail, {"props": object.union(_compliant.trail.props, {"enableLogFileValidation": "true"})})
	count(_fired(_deny(_inventory({"trail": trail})), "AUD-002")) == 0
}

# -- AUD-003 -----------------------------------------------------------------------------------

test_aud_003_audit_and_authenticator_logs_pass if {
	count(_fired(_deny(_inventory({})), "AUD-003")) == 0
}

test_aud_003_missing_authenticator_log_denied if {
	cluster := _with(_compliant.cluster, {"props": {"enabledClusterLogTypes": ["api", "audit"]}})
	denies := _deny(_inventory({"cluster": cluster}))
	_only(denies, "AUD-003", {cluster.urn})
	some v in denies
	# The one missing type is named bare: rego-cpp's sprintf would quote it.
	contains(v.message, "does not ship the authenticator control-plane log(s)")
	not contains(v.message, "audit,")
}

test_aud_003_no_log_types_denied if {
	cluster := _with(_compliant.cluster, {"props": {}})
	_only(_deny(_inventory({"cluster": cluster})), "AUD-003", {cluster.urn})
}

test_aud_003_unknown_log_types_undecided if {
	cluster := _with(_compliant.cluster, {"props": {"enabledClusterLogTypes": inv.unknown_value}})
	denies := _deny(_inventory({"cluster": cluster}))
	_undecided(denies, "AUD-003") == {cluster.urn}
	count(_fired(denies, "AUD-003")) == 0
}

# -- AUD-004 -----------------------------------------------------------------------------------

test_aud_004_vpc_with_flow_log_passes if {
	count(_fired(_deny(_inventory({})), "AUD-004")) == 0
}

test_aud_004_vpc_without_flow_log_denied if {
	_only(_deny(_inventory({"flow_log": null})), "AUD-004", {_vpc.urn})
}

test_aud_004_flow_log_of_another_vpc_denied if {
	other := _resource("aws:ec2/vpc:Vpc", "other", {"cidrBlock": "10.41.0.0/16"})
	_only(_deny(_inventory({"other": other})), "AUD-004", {other.urn})
}

# -- AUD-005 -----------------------------------------------------------------------------------

test_aud_005_retention_at_minimum_passes if {
	count(_fired(_deny(_inventory({})), "AUD-005")) == 0
}

test_aud_005_never_expiring_log_group_passes if {
	forever := _with(_log_group, {"props": {"retentionInDays": 0, "kmsKeyId": "k"}})
	absent := _resource("aws:cloudwatch/logGroup:LogGroup", "absent", {"kmsKeyId": "k"})
	count(_fired(_deny(_inventory({"log_group": forever, "absent": absent})), "AUD-005")) == 0
}

test_aud_005_short_retention_for_regulated_denied if {
	group := _with(_log_group, {"props": {"retentionInDays": 90, "kmsKeyId": "k"}})
	_only(_deny(_inventory({"log_group": group})), "AUD-005", {group.urn})
}

test_aud_005_minimum_follows_declared_classification if {
	group := _with(_log_group, {"props": {"retentionInDays": 90, "kmsKeyId": "k"}})
	internal := object.union(_declared, {"tags": object.union(_stack_tags, {"data-classification": "internal"})})
	count(_fired(_deny(_inventory_of(_resources({"log_group": group}), internal)), "AUD-005")) == 0
}

test_aud_005_unknown_classification_gets_strictest_minimum if {
	group := _with(_log_group, {"props": {"retentionInDays": 180, "kmsKeyId": "k"}})
	typo := object.union(_declared, {"tags": object.union(_stack_tags, {"data-classification": "publik"})})
	_fired(_deny(_inventory_of(_resources({"log_group": group}), typo)), "AUD-005") == {group.urn}
}

test_aud_005_thresholds_come_from_params if {
	group := _with(_log_group, {"props": {"retentionInDays": 90, "kmsKeyId": "k"}})
	params := object.union(data.params, {"retention": {"min_log_retention_days": {"regulated": 30}, "min_object_lock_days": {"regulated": 1}}})
	denies := _deny_with(_inventory({"log_group": group}), params)
	count(_fired(denies, "AUD-005")) == 0
}

# -- AUD-006 -----------------------------------------------------------------------------------

test_aud_006_complete_audit_bucket_passes if {
	count(_fired(_deny(_inventory({})), "AUD-006")) == 0
}

test_aud_006_suspended_versioning_denied if {
	versioning := _with(_compliant.versioning, {"props": {"versioningConfiguration": {"status": "Suspended"}}})
	denies := _deny(_inventory({"versioning": versioning}))
	_only(denies, "AUD-006", {_bucket.urn})
	some v in denies
	contains(v.message, "versioning")
}

test_aud_006_short_object_lock_denied if {
	lock := _with(_compliant.object_lock, {"props": {"rule": {"defaultRetention": {"mode": "COMPLIANCE", "days": 30}}}})
	_only(_deny(_inventory({"object_lock": lock})), "AUD-006", {_bucket.urn})
}

test_aud_006_object_lock_in_years_passes if {
	lock := _with(_compliant.object_lock, {"props": {"rule": {"defaultRetention": {"mode": "COMPLIANCE", "years": 1}}}})
	count(_fired(_deny(_inventory({"object_lock": lock})), "AUD-006")) == 0
}

test_aud_006_object_lock_disabled_on_bucket_denied if {
	bucket := _with(_bucket, {"props": object.union(_bucket.props, {"objectLockEnabled": false})})
	denies := _deny(_inventory({"bucket": bucket}))
	_only(denies, "AUD-006", {_bucket.urn})
	some v in denies
	v.path == "objectLockEnabled"
}

test_aud_006_each_missing_piece_is_one_violation if {
	denies := _deny(_inventory({"versioning": null, "object_lock": null, "public_access": null}))
	pieces := {v.path | some v in denies; v.rule_id == "AUD-006"}
	pieces == {"versioning", "object lock retention", "public access block"}
}

test_aud_006_partial_public_access_block_denied if {
	block := _with(_compliant.public_access, {"props": object.union(_compliant.public_access.props, {"restrictPublicBuckets": false})})
	_only(_deny(_inventory({"public_access": block})), "AUD-006", {_bucket.urn})
}

test_aud_006_sse_s3_instead_of_kms_denied if {
	sse := _with(_compliant.encryption, {"props": {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]}})
	_only(_deny(_inventory({"encryption": sse})), "AUD-006", {_bucket.urn})
}

test_aud_006_trail_bucket_without_purpose_tag_is_judged if {
	untagged := _with(_bucket, {"props": {"objectLockEnabled": true}, "tags": _stack_tags})
	_only(_deny(_inventory({"bucket": untagged, "versioning": null})), "AUD-006", {_bucket.urn})
}

test_aud_006_no_audit_bucket_denied if {
	untagged := _with(_bucket, {"props": {"objectLockEnabled": true}, "tags": _stack_tags})
	trail := _with(_compliant.trail, {"deps": {}})
	_only(_deny(_inventory({"bucket": untagged, "trail": trail})), "AUD-006", {_stack.urn})
}

test_aud_006_unknown_versioning_status_undecided if {
	versioning := _with(_compliant.versioning, {"props": {"versioningConfiguration": {"status": inv.unknown_value}}})
	denies := _deny(_inventory({"versioning": versioning}))
	_undecided(denies, "AUD-006") == {_bucket.urn}
	count(_fired(denies, "AUD-006")) == 0
}

# -- AUD-007 -----------------------------------------------------------------------------------

test_aud_007_access_log_settings_pass if {
	count(_fired(_deny(_inventory({})), "AUD-007")) == 0
}

test_aud_007_no_access_log_denied if {
	proxy := _with(_compliant.envoy_proxy, {"props": {"spec": {"provider": {"type": "Kubernetes"}}}})
	_only(_deny(_inventory({"envoy_proxy": proxy})), "AUD-007", {proxy.urn})
}

test_aud_007_disabled_access_log_denied if {
	spec := {"telemetry": {"accessLog": {"disable": true, "settings": _compliant.envoy_proxy.props.spec.telemetry.accessLog.settings}}}
	proxy := _with(_compliant.envoy_proxy, {"props": {"spec": spec}})
	_only(_deny(_inventory({"envoy_proxy": proxy})), "AUD-007", {proxy.urn})
}

# -- AUD-008 -----------------------------------------------------------------------------------

test_aud_008_tags_from_provider_defaults_pass if {
	count(_fired(_deny(_inventory({})), "AUD-008")) == 0
}

test_aud_008_missing_owner_tag_denied if {
	vpc := _with(_vpc, {"tags": object.remove(_stack_tags, ["owner"])})
	denies := _deny(_inventory({"vpc": vpc}))
	_only(denies, "AUD-008", {_vpc.urn})
	some v in denies
	{tag | some tag in v.value} == {"owner"}
}

test_aud_008_empty_tag_value_denied if {
	vpc := _with(_vpc, {"tags": object.union(_stack_tags, {"cost-center": ""})})
	_only(_deny(_inventory({"vpc": vpc})), "AUD-008", {_vpc.urn})
}

test_aud_008_untaggable_types_are_skipped if {
	# BucketOwnershipControls has no tags argument in pulumi-aws
	ownership := _with(_compliant.ownership, {"tags": {}})
	count(_fired(_deny(_inventory({"ownership": ownership})), "AUD-008")) == 0
}

test_aud_008_non_aws_resources_are_skipped if {
	count(_compliant.envoy_proxy.tags) == 0
	count(_fired(_deny(_inventory({})), "AUD-008")) == 0
}

test_aud_008_required_tags_come_from_params if {
	inventory := _inventory({})
	denies := audit.deny with input.stack as inventory.stack
		with input.declared as inventory.declared
		with input.resources as inventory.resources
		with input.by_type as inventory.by_type
		with data.params.tags.required as ["owner", "team"]
	count(_fired(denies, "AUD-008")) > 0
	{v.rule_id | some v in denies} == {"AUD-008"}
	{tag | some v in denies; some tag in v.value} == {"team"}
}

# -- AUD-009 -----------------------------------------------------------------------------------

test_aud_009_known_classification_passes if {
	count(_fired(_deny(_inventory({})), "AUD-009")) == 0
}

test_aud_009_unknown_classification_on_resource_denied if {
	vpc := _with(_vpc, {"tags": object.union(_stack_tags, {"data-classification": "secret"})})
	_only(_deny(_inventory({"vpc": vpc})), "AUD-009", {_vpc.urn})
}

test_aud_009_unknown_declared_classification_denied_once_on_stack if {
	tags := object.union(_stack_tags, {"data-classification": "top-secret"})
	declared := object.union(_declared, {"tags": tags})
	resources := [_with(res, {"tags": tags}) | some res in _resources({}); startswith(res.type, "aws:")]
	denies := _deny(_inventory_of(resources, declared))
	_fired(denies, "AUD-009") == {_stack.urn}
}
