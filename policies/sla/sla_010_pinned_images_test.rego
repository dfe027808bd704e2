# SLA-010: the rule's cases, on the builders of sla_test.rego.
package sla_test

import data.lib.test_kit as kit
import rego.v1

test_sla_010_tags_digests_and_registry_ports_allowed if {
	count(kit.findings(_denials(_compliant, _declared), "SLA-010")) == 0
}

test_sla_010_latest_tag_denied if {
	latest := kit.with_patches(
		_stable_server,
		[{"op": "replace", "path": "/props/spec/template/spec/containers/0/image", "value": "vllm/vllm-openai:latest"}],
	)
	kit.only(_denials(_changed(latest), _declared), "SLA-010", latest.urn)
}

test_sla_010_untagged_init_container_denied if {
	untagged := kit.with_patches(_exporter, [{
		"op": "replace",
		"path": "/props/spec/template/spec/initContainers/0/image",
		"value": "111122223333.dkr.ecr.ca-central-1.amazonaws.com:443/mirror/busybox",
	}])
	kit.only(_denials(_changed(untagged), _declared), "SLA-010", untagged.urn)
}
