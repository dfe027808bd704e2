# RES-007: the rule's cases, on the builders of residency_test.rego.
package residency_test

import data.lib.test_kit as kit
import rego.v1

test_res_007_in_zone_registries_allowed if {
	by_repo := kit.with_patches(_release, [
		{"op": "replace", "path": "/props/chart", "value": "kube-prometheus-stack"},
		{"op": "add", "path": "/props/repositoryOpts", "value": {"repo": concat("", ["oci://", _ecr, "/charts"])}},
	])
	count(kit.findings(_denials(array.concat(_swap(by_repo), [by_repo]), _declared), "RES-007")) == 0
}

test_res_007_public_image_denied if {
	public := kit.with_patches(
		_model_server,
		[{"op": "replace", "path": "/props/spec/template/spec/containers/0/image", "value": "vllm/vllm-openai:v0.33.0"}],
	)
	kit.only(_denials(array.concat(_swap(public), [public]), _declared), "RES-007", public.urn)
}

test_res_007_init_container_from_foreign_ecr_denied if {
	foreign := kit.with_patches(_model_server, [{
		"op": "replace", "path": "/props/spec/template/spec/initContainers/0/image",
		"value": "111122223333.dkr.ecr.us-east-1.amazonaws.com/aws-cli:2.17.0",
	}])
	kit.only(_denials(array.concat(_swap(foreign), [foreign]), _declared), "RES-007", foreign.urn)
}

test_res_007_public_chart_repository_denied if {
	public := kit.with_patches(_release, [
		{"op": "replace", "path": "/props/chart", "value": "kube-prometheus-stack"},
		{
			"op": "add",
			"path": "/props/repositoryOpts",
			"value": {"repo": "https://prometheus-community.github.io/helm-charts"},
		},
	])
	kit.only(_denials(array.concat(_swap(public), [public]), _declared), "RES-007", public.urn)
}


# RES-007: only the foreign container is named, not its in-zone neighbours.
test_res_007_names_only_the_foreign_container if {
	public := kit.with_patches(
		_model_server,
		[{"op": "replace", "path": "/props/spec/template/spec/containers/0/image", "value": "vllm/vllm-openai:v0.33.0"}],
	)
	denials := _denials(array.concat(_swap(public), [public]), _declared)
	{d.path | some d in denials; d.rule_id == "RES-007"} == {"spec.template.spec.containers.0.image"}
}
