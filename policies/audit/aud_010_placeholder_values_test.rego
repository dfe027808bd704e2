package audit_test

import data.lib.test_kit as kit
import rego.v1

# Builders (_resource, _with, _inventory, _deny, _only, ...) are in audit_test.rego.

_example_account := "111122223333"

_mirror(account) := concat("", [account, ".dkr.ecr.ca-central-1.amazonaws.com/mirror"])

_model_server(image) := _resource("kubernetes:apps/v1:Deployment", "llama-8b", {"spec": {"template": {"spec": {
	"containers": [
		{"name": "fetch", "image": "public.ecr.aws/aws-cli/aws-cli:2.22.0"},
		{"name": "vllm", "image": image},
	],
}}}})

_chart(repository) := _resource(
	"kubernetes:helm.sh/v3:Release",
	"keda",
	{"chart": concat("", ["oci://", repository, "/keda"]), "version": "2.16.1"},
)

_aws_provider(tags) := _resource(
	"pulumi:providers:aws",
	"prod-ca-aws",
	{"region": "ca-central-1", "defaultTags": {"tags": tags}},
)

_placeholder_cost_center := object.union(_stack_tags, {"cost-center": "unassigned"})

# -- AUD-010 -----------------------------------------------------------------------------------

test_aud_010_real_values_pass if {
	deployment := _model_server(concat("", [_mirror("210987654321"), "/vllm/vllm-openai:v0.11.0"]))
	extra := {
		"deployment": deployment,
		"chart": _chart("210987654321.dkr.ecr.ca-central-1.amazonaws.com/charts"),
		"provider": _aws_provider(_stack_tags),
	}
	count(kit.fired(_deny(_inventory(extra)), "AUD-010")) == 0
}

test_aud_010_example_account_in_an_image_host_flagged if {
	deployment := _model_server(concat("", [_mirror(_example_account), "/vllm/vllm-openai:v0.11.0"]))
	denies := _deny(_inventory({"deployment": deployment}))
	kit.only_on(denies, "AUD-010", {deployment.urn})
	some v in denies
	v.path == kit.evidence_path(["spec", "template", "spec", "containers", 1, "image"])
	v.value == _example_account
}

test_aud_010_example_account_in_a_chart_registry_flagged if {
	chart := _chart(concat("", [_example_account, ".dkr.ecr.ca-central-1.amazonaws.com/charts"]))
	denies := _deny(_inventory({"chart": chart}))
	kit.only_on(denies, "AUD-010", {chart.urn})
	some v in denies
	v.path == "chart"
}

test_aud_010_example_account_in_an_arn_flagged if {
	policy := json.marshal({"Statement": [{
		"Effect": "Allow",
		"Principal": {"AWS": concat("", ["arn:aws:iam::", _example_account, ":root"])},
		"Action": "kms:*",
		"Resource": "*",
	}]})
	key := _resource("aws:kms/key:Key", "models-key", {"enableKeyRotation": true, "policy": policy})
	kit.only_on(_deny(_inventory({"key": key})), "AUD-010", {key.urn})
}

test_aud_010_every_listed_account_is_flagged if {
	deployment := _model_server(concat("", [_mirror("444455556666"), "/vllm/vllm-openai:v0.11.0"]))
	kit.only_on(_deny(_inventory({"deployment": deployment})), "AUD-010", {deployment.urn})
}

test_aud_010_placeholder_default_tag_flagged_once_on_the_provider if {
	provider := _aws_provider(_placeholder_cost_center)
	# the VPC inherits the value: its effective tags carry it, its own props do not
	vpc := kit.with_fields(_vpc, {"tags": _placeholder_cost_center})
	denies := _deny(_inventory({"provider": provider, "vpc": vpc}))
	kit.only_on(denies, "AUD-010", {provider.urn})
	some v in denies
	v.path == "defaultTags.tags.cost-center"
	v.value == "unassigned"
}

test_aud_010_placeholder_tag_set_on_a_resource_flagged if {
	vpc := _resource("aws:ec2/vpc:Vpc", "vpc", {"cidrBlock": "10.40.0.0/16", "tags": {"cost-center": "unassigned"}})
	denies := _deny(_inventory({"vpc": vpc}))
	kit.only_on(denies, "AUD-010", {vpc.urn})
	some v in denies
	v.path == "tags.cost-center"
}

test_aud_010_resources_being_deleted_are_skipped if {
	deployment := kit.with_fields(_model_server(concat("", [_mirror(_example_account), "/vllm:v1"])), {"op": "delete"})
	count(kit.fired(_deny(_inventory({"deployment": deployment})), "AUD-010")) == 0
}

test_aud_010_placeholders_come_from_params if {
	deployment := _model_server(concat("", [_mirror("999988887777"), "/vllm/vllm-openai:v0.11.0"]))
	inventory := _inventory({"deployment": deployment, "provider": _aws_provider(_placeholder_cost_center)})
	count(kit.fired(_deny(inventory), "AUD-010")) == 1
	params := object.union(
		data.params,
		{"placeholders": {"account_ids": ["999988887777"], "tag_values": {"cost-center": ["cc-4411"]}}},
	)
	kit.fired(_deny_with(inventory, params), "AUD-010") == {deployment.urn}
}

_placeholder_digest := "sha256:0000000000000000000000000000000000000000000000000000000000000000"

test_aud_010_placeholder_image_digest_flagged if {
	image := concat("", [_mirror("210987654321"), "/vllm/vllm-openai:v0.11.0@", _placeholder_digest])
	deployment := _model_server(image)
	denies := _deny(_inventory({"deployment": deployment}))
	kit.only_on(denies, "AUD-010", {deployment.urn})
	some v in denies
	v.path == kit.evidence_path(["spec", "template", "spec", "containers", 1, "image"])
	v.value == _placeholder_digest
}

test_aud_010_real_image_digest_passes if {
	digest := "sha256:4f1b0f3c2d5e6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b"
	image := concat("", [_mirror("210987654321"), "/vllm/vllm-openai:v0.11.0@", digest])
	count(kit.fired(_deny(_inventory({"deployment": _model_server(image)})), "AUD-010")) == 0
}
