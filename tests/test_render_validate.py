"""Every Kubernetes object a stack renders is valid for the stack's Kubernetes version."""

from __future__ import annotations

from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from servegate.render import manifests, write_manifests
from tests import stacks

# Custom resources: kubernetes-validate ships only the built-in API schemas, and the
# CRDs' own schemas come with their Helm charts at install time (no network here).
# Their shape is asserted field by field in the component tests named here instead.
CRD_REASONS = {
    "AIGatewayRoute": "Envoy AI Gateway CRD; tests/components/test_gateway.py",
    "AIServiceBackend": "Envoy AI Gateway CRD; tests/components/test_gateway.py",
    "Backend": "Envoy Gateway CRD; tests/components/test_gateway.py",
    "BackendTrafficPolicy": "Envoy Gateway CRD; tests/components/test_gateway.py",
    "ClientTrafficPolicy": "Envoy Gateway CRD; tests/components/test_gateway.py",
    "EnvoyProxy": "Envoy Gateway CRD; tests/components/test_gateway.py",
    "SecurityPolicy": "Envoy Gateway CRD; tests/components/test_gateway.py",
    "Gateway": "Gateway API CRD; tests/components/test_gateway.py",
    "GatewayClass": "Gateway API CRD; tests/components/test_gateway.py",
    "ScaledObject": "KEDA CRD; tests/components/test_vllm.py",
    "ServiceMonitor": "Prometheus Operator CRD; tests/components/test_vllm.py",
    "PrometheusRule": "Prometheus Operator CRD; promtool in tests/test_slo_rules_promtool.py",
}
BUILT_IN_GROUPS = {
    "v1",
    "apps/v1",
    "policy/v1",
    "rbac.authorization.k8s.io/v1",
    "batch/v1",
    "autoscaling/v2",
    "networking.k8s.io/v1",
    "storage.k8s.io/v1",
}


def _version(stack: str) -> str:
    return f"{stacks.spec(stack).cluster.kubernetes_version}.0"


@pytest.mark.parametrize("stack", stacks.SHIPPED)
def test_built_in_objects_validate_strictly(stack: str) -> None:
    objects = [
        m for m in manifests(stacks.inventory(stack)) if m.body["apiVersion"] in BUILT_IN_GROUPS
    ]
    kinds = {m.kind for m in objects}
    assert {"Deployment", "Service", "PodDisruptionBudget", "ServiceAccount", "Namespace"} <= kinds
    errors = []
    for manifest in objects:
        try:
            kubernetes_validate.validate(manifest.body, _version(stack), strict=True)
        except kubernetes_validate.ValidationError as error:
            errors.append(f"{manifest.kind}/{manifest.name}: {error.message} at {list(error.path)}")
    assert errors == []


@pytest.mark.parametrize("stack", stacks.SHIPPED)
def test_every_custom_resource_kind_has_a_stated_reason(stack: str) -> None:
    custom = {
        m.kind
        for m in manifests(stacks.inventory(stack))
        if m.body["apiVersion"] not in BUILT_IN_GROUPS
    }
    assert custom - set(CRD_REASONS) == set(), "new CRD kind: validate it or state why not"
    for manifest in manifests(stacks.inventory(stack)):
        metadata = manifest.body["metadata"]
        assert metadata["name"] and len(metadata["name"]) <= 253


def test_a_broken_object_is_caught() -> None:
    deployment = next(m for m in manifests(stacks.inventory("prod-ca")) if m.kind == "Deployment")
    broken = yaml.safe_load(yaml.safe_dump(deployment.body))
    broken["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] = {"not": "a string"}
    broken["spec"]["replicaz"] = 2
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, _version("prod-ca"), strict=True)


def test_render_writes_one_file_per_object(tmp_path: Path) -> None:
    written = write_manifests(stacks.inventory("prod-ca"), tmp_path)
    objects = manifests(stacks.inventory("prod-ca"))
    yaml_files = [p for p in written if p.name != "helm-releases.yaml"]
    assert len(yaml_files) == len(objects) == len(set(yaml_files))
    sample = yaml.safe_load(yaml_files[0].read_text())
    assert {"apiVersion", "kind", "metadata"} <= set(sample)
    releases = yaml.safe_load((tmp_path / "helm-releases.yaml").read_text())
    assert all(r["version"] for r in releases), "every chart is pinned"
