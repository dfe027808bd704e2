package security_test

import data.lib.test_kit as pskit
import rego.v1

_pss_account(automount) := {
	"urn": "urn:pulumi:t::p::kubernetes:core/v1:ServiceAccount::vllm-a", "type": "kubernetes:core/v1:ServiceAccount",
	"name": "vllm-a", "op": "create",
	"props": {"metadata": {"name": "vllm-a", "namespace": "llm-serving"}, "automountServiceAccountToken": automount},
}

_pss_token_hits(spec, extra) := [v |
	inv := pskit.pss_inventory(array.concat(
		[pskit.restricted_namespace("llm-serving"), pskit.deployment("vllm-a", "llm-serving", spec)],
		extra,
	))
	some v in _pss_deny(inv)
	v.rule_id == "SEC-039"
]

test_sec_039_default_automount_denied if {
	[v] := _pss_token_hits(object.remove(_pss_pod, ["automountServiceAccountToken"]), [])
	v.path == "spec.template.spec.automountServiceAccountToken"
}

test_sec_039_explicit_automount_denied if {
	count(_pss_token_hits(object.union(_pss_pod, {"automountServiceAccountToken": true}), [])) == 1
}

test_sec_039_service_account_opt_out_passes if {
	spec := object.union(object.remove(_pss_pod, ["automountServiceAccountToken"]), {"serviceAccountName": "vllm-a"})
	count(_pss_token_hits(spec, [_pss_account(false)])) == 0
	count(_pss_token_hits(spec, [_pss_account(true)])) == 1
}
