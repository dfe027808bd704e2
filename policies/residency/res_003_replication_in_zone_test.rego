# RES-003: the rule's cases, on the builders of residency_test.rego.
package residency_test

import data.lib.test_kit as kit
import rego.v1

test_res_003_in_zone_destination_allowed if {
	count(kit.findings(_denials(_compliant, _declared), "RES-003")) == 0
}

test_res_003_out_of_zone_destination_by_dependency_denied if {
	# The destination bucket itself is judged by RES-001; RES-003 names the replication.
	moved := kit.with_patches(_replica_bucket, [{"op": "replace", "path": "/region", "value": "us-west-2"}])
	denials := _denials(array.concat(_swap(moved), [moved]), _declared)
	kit.findings(denials, "RES-003") == {_replication.urn}
	kit.findings(denials, "RES-001") == {moved.urn}
}

test_res_003_out_of_zone_destination_by_arn_denied if {
	moved := kit.with_patches(_replica_bucket, [{"op": "replace", "path": "/region", "value": "eu-west-1"}])
	by_arn := kit.with_patches(_replication, [
		{"op": "replace", "path": "/props/rules/0/destination/bucket", "value": "arn:aws:s3:::prod-ca-models-replica"},
		{"op": "replace", "path": "/deps", "value": {}},
	])
	resources := array.concat([r | some r in _swap(moved); r.urn != by_arn.urn], [moved, by_arn])
	kit.findings(_denials(resources, _declared), "RES-003") == {by_arn.urn}
}

test_res_003_external_destination_denied_on_sovereign_stack if {
	external := kit.with_patches(_replication, [
		{"op": "replace", "path": "/props/rules/0/destination/bucket", "value": "arn:aws:s3:::someone-elses-bucket"},
	])
	kit.only(_denials(array.concat(_swap(external), [external]), _declared), "RES-003", external.urn)
}

test_res_003_external_destination_undecided_on_open_stack if {
	external := kit.with_patches(_replication, [
		{"op": "replace", "path": "/props/rules/0/destination/bucket", "value": "arn:aws:s3:::someone-elses-bucket"},
	])
	kit.undecided_on(_denials(array.concat(_swap(external), [external]), _open_declared), "RES-003", external.urn)
}


test_res_003_destination_by_arn_names_the_bucket_and_its_region if {
	# Resolved by its ARN: the finding names the bucket, not an unresolved destination.
	moved := kit.with_patches(_replica_bucket, [{"op": "replace", "path": "/region", "value": "eu-west-1"}])
	by_arn := kit.with_patches(_replication, [
		{"op": "replace", "path": "/props/rules/0/destination/bucket", "value": "arn:aws:s3:::prod-ca-models-replica"},
		{"op": "replace", "path": "/deps", "value": {}},
	])
	resources := array.concat([r | some r in _swap(moved); r.urn != by_arn.urn], [moved, by_arn])
	some d in _denials(resources, _declared)
	d.rule_id == "RES-003"
	contains(d.message, "replicates to bucket models-replica in region eu-west-1")
}
