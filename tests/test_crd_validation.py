"""The CRD validator refuses what the Kubernetes API server refuses (and accepts the rest)."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest

from tests.crd_validation import (
    VENDORED,
    CrdValidator,
    cel_program,
    metadata_errors,
    schema_path,
    validator,
)

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "apiVersion": {"type": "string"},
        "kind": {"type": "string"},
        "metadata": {"type": "object"},
        "spec": {
            "type": "object",
            "required": ["mode", "port"],
            "properties": {
                "mode": {"type": "string", "enum": ["Fast", "Safe"]},
                "port": {"type": "integer", "format": "int32", "minimum": 1},
                "target": {
                    "x-kubernetes-int-or-string": True,
                    "anyOf": [{"type": "integer"}, {"type": "string"}],
                },
                "timeout": {"type": "string", "default": "30s", "format": "duration"},
                "address": {"type": "string", "format": "ipv4"},
                "since": {"type": "string", "format": "date-time"},
                "host": {"type": "string", "format": "hostname"},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                "note": {"type": "string", "nullable": True},
                "hosts": {
                    "type": "array",
                    "items": {"type": "string"},
                    "x-kubernetes-list-type": "set",
                },
                "routes": {
                    "type": "array",
                    "x-kubernetes-list-type": "map",
                    "x-kubernetes-list-map-keys": ["name"],
                    "items": {
                        "type": "object",
                        "required": ["name"],
                        "properties": {"name": {"type": "string"}, "weight": {"type": "integer"}},
                    },
                },
                "tls": {
                    "type": "object",
                    "properties": {"mode": {"type": "string"}, "secret": {"type": "string"}},
                    "x-kubernetes-validations": [
                        {
                            "rule": "self.mode == 'Terminate' ? has(self.secret) : true",
                            "message": "Terminate needs a secret",
                        },
                        {"rule": "self.mode == oldSelf.mode", "message": "mode is immutable"},
                    ],
                },
            },
            "anyOf": [{"required": ["target"]}, {"required": ["address"]}],
        },
    },
}


def valid() -> dict[str, Any]:
    return {
        "apiVersion": "example.com/v1",
        "kind": "Thing",
        "metadata": {"name": "a-thing", "namespace": "default", "labels": {"app": "x"}},
        "spec": {"mode": "Fast", "port": 443, "target": "http"},
    }


def errors(obj: dict[str, Any]) -> list[str]:
    return CrdValidator(SCHEMA).errors(obj)


def changed(path: str, value: Any) -> dict[str, Any]:
    obj = valid()
    *parents, last = path.split(".")
    node = obj
    for key in parents:
        node = node[key]
    node[last] = value
    return obj


def test_a_valid_object_passes() -> None:
    assert errors(valid()) == []


def test_an_unknown_field_is_an_error() -> None:
    assert errors(changed("spec.prot", 80)) == [
        "spec: Additional properties are not allowed ('prot' was unexpected)"
    ]
    assert errors(changed("spec.routes", [{"name": "a", "wieght": 1}])) != []
    assert errors(changed("kindd", "Thing")) != []


def test_a_missing_required_field_is_an_error() -> None:
    obj = valid()
    del obj["spec"]["port"]
    assert errors(obj) == ["spec: 'port' is a required property"]


def test_a_value_outside_the_enum_is_an_error() -> None:
    assert errors(changed("spec.mode", "fast")) == [
        "spec.mode: 'fast' is not one of ['Fast', 'Safe']"
    ]


def test_a_wrong_type_is_an_error() -> None:
    assert errors(changed("spec.port", "443")) == ["spec.port: '443' is not of type 'integer'"]
    assert errors(changed("spec.port", 0)) != []
    assert errors(changed("spec.labels", {"a": 1})) != []


def test_int_or_string_takes_both_and_nothing_else() -> None:
    assert errors(changed("spec.target", 8080)) == []
    assert errors(changed("spec.target", 1.5)) != []
    assert errors(changed("spec.target", True)) != []


def test_formats_the_api_server_checks() -> None:
    assert errors(changed("spec.address", "10.0.0.1")) == []
    assert errors(changed("spec.address", "10.0.0.300")) != []
    assert errors(changed("spec.timeout", "1h30m")) == []
    assert errors(changed("spec.timeout", "30 seconds")) != []
    assert errors(changed("spec.since", "2026-12-01T09:00:00Z")) == []
    assert errors(changed("spec.since", "2026-12-01")) != []
    assert errors(changed("spec.host", "llm.example.com")) == []
    assert errors(changed("spec.host", "a" * 64 + ".example.com")) != []


def test_defaults_apply_before_validation_and_nulls_of_non_nullable_fields_are_pruned() -> None:
    obj = valid()
    obj["spec"]["timeout"] = None
    obj["spec"]["note"] = None
    assert errors(obj) == []
    obj["spec"]["port"] = None  # pruned, then missing
    assert errors(obj) == ["spec: 'port' is a required property"]
    assert errors(changed("spec.prot", None)) != []  # unknown, even when null


def test_preserve_unknown_fields_keeps_a_subtree_open() -> None:
    assert errors(changed("spec.extra", {"anything": {"goes": [1]}})) == []


def test_value_only_branches_do_not_close_the_object() -> None:
    obj = valid()
    del obj["spec"]["target"]
    assert errors(obj) != []  # anyOf: target or address
    obj["spec"]["address"] = "10.0.0.1"
    assert errors(obj) == []


def test_list_types_set_and_map_refuse_duplicates() -> None:
    assert errors(changed("spec.hosts", ["a", "b"])) == []
    assert errors(changed("spec.hosts", ["a", "a"])) != []
    assert errors(changed("spec.routes", [{"name": "a"}, {"name": "a", "weight": 1}])) != []


def test_cel_rules_are_evaluated_and_transition_rules_left_to_updates() -> None:
    assert errors(changed("spec.tls", {"mode": "Passthrough"})) == []
    assert errors(changed("spec.tls", {"mode": "Terminate", "secret": "s"})) == []
    assert errors(changed("spec.tls", {"mode": "Terminate"})) == [
        "spec.tls: Terminate needs a secret"
    ]


@pytest.mark.parametrize(
    ("metadata", "problem"),
    [
        ({"name": "Bad_Name"}, "metadata.name"),
        ({"name": "ok", "namespace": "a.b"}, "metadata.namespace"),
        ({"name": "ok", "labels": {"bad key": "v"}}, "metadata.labels"),
        ({"name": "ok", "labels": {"k": "bad value!"}}, "metadata.labels.k"),
        ({"name": "ok", "annotations": {"k": 1}}, "metadata.annotations.k"),
        ({"name": "ok", "lables": {}}, "metadata.lables"),
    ],
)
def test_metadata_is_checked_as_object_meta(metadata: dict[str, Any], problem: str) -> None:
    (error,) = metadata_errors(metadata)
    assert error.startswith(f"{problem}:")


def test_a_namespace_on_a_cluster_scoped_kind_is_an_error() -> None:
    assert metadata_errors({"name": "c", "namespace": "x"}, namespaced=False) != []


# The same checks on a real vendored schema: Envoy Gateway's Backend at the pinned chart.
BACKEND = {
    "apiVersion": "gateway.envoyproxy.io/v1alpha1",
    "kind": "Backend",
    "metadata": {"name": "vllm", "namespace": "llm-gateway"},
    "spec": {
        "endpoints": [{"fqdn": {"hostname": "vllm.llm-serving.svc.cluster.local", "port": 8000}}]
    },
}


def backend_errors(obj: dict[str, Any]) -> list[str]:
    charts = sorted(p.name for p in (VENDORED / "gateway-helm").iterdir())
    return validator(
        schema_path(obj["apiVersion"], obj["kind"], "gateway-helm", charts[-1])
    ).errors(obj)


def test_a_real_schema_refuses_unknown_fields_types_and_its_cel_rules() -> None:
    assert backend_errors(BACKEND) == []
    unknown = copy.deepcopy(BACKEND)
    unknown["spec"]["endpoints"][0]["fqdn"]["hostnme"] = "x"
    assert any("hostnme" in e for e in backend_errors(unknown))
    wrong_type = copy.deepcopy(BACKEND)
    wrong_type["spec"]["endpoints"][0]["fqdn"]["port"] = "8000"
    assert any("is not of type 'integer'" in e for e in backend_errors(wrong_type))
    missing = copy.deepcopy(BACKEND)
    del missing["spec"]["endpoints"][0]["fqdn"]["port"]
    assert any("'port' is a required property" in e for e in backend_errors(missing))
    both = copy.deepcopy(BACKEND)
    both["spec"]["endpoints"][0]["ip"] = {"address": "10.0.0.1", "port": 8000}
    assert any("spec.endpoints[0]" in e for e in backend_errors(both))  # one of fqdn, ip, unix


# Standard CEL functions and macros cel-python evaluates, and the Kubernetes library ones
# tests/crd_validation.py adds.
CEL_FUNCTIONS = {
    "has", "size", "all", "exists", "exists_one", "map", "filter", "matches", "contains",
    "startsWith", "endsWith", "duration", "timestamp", "int", "uint", "double", "string",
    "bool", "type", "lowerAscii", "split",
}  # fmt: skip


def _rules(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [rule["rule"] for rule in node.get("x-kubernetes-validations", [])]
        return own + [r for value in node.values() for r in _rules(value)]
    if isinstance(node, list):
        return [r for item in node for r in _rules(item)]
    return []


def test_every_cel_rule_of_every_vendored_schema_compiles_with_known_functions() -> None:
    rules = {r for path in VENDORED.rglob("*.json") for r in _rules(json.loads(path.read_text()))}
    assert len(rules) > 100
    unknown = set()
    for rule in rules:
        cel_program(rule)  # raises on a rule cel-python cannot parse
        unknown |= set(re.findall(r"([A-Za-z_]\w*)\(", rule)) - CEL_FUNCTIONS
    assert unknown == set(), "add these Kubernetes CEL functions to tests/crd_validation.py"
