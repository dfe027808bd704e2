"""Every Kubernetes object a stack renders is valid: built-in kinds for the stack's Kubernetes
version, custom resources against the CRD schema of the chart release that installs them."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from servegate.k8s_manifests import Manifest, helm_releases, manifests, write_manifests
from tests import stacks
from tests.crd_validation import VENDORED, schema_path, validator

STACKS = stacks.SHIPPED
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
VENDOR_HINT = "vendor it: python -m tests.vendor.vendor crds --help (and tests/vendor/refresh.sh)"


def _version(stack: str) -> str:
    return f"{stacks.spec(stack).cluster.kubernetes_version}.0"


@cache
def _provenance() -> dict[str, dict[str, Any]]:
    rows = yaml.safe_load((VENDORED / "PROVENANCE.yaml").read_text(encoding="utf-8"))
    return {row["file"]: row for row in rows}


def chart_versions(inventory: dict[str, Any]) -> dict[str, str]:
    """Chart name -> pinned version of every Helm release of the stack."""
    return {
        str(release["chart"]).rstrip("/").rsplit("/", 1)[-1]: str(release["version"])
        for release in helm_releases(inventory)
    }


def custom_resources(stack: str) -> list[Manifest]:
    return [
        m for m in manifests(stacks.inventory(stack)) if m.body["apiVersion"] not in BUILT_IN_GROUPS
    ]


def schema_for(manifest: Manifest, charts: dict[str, str]) -> Path | str:
    """The vendored schema of the object's kind and version at the stack's chart pins."""
    api_version, kind = manifest.body["apiVersion"], manifest.kind
    found = [
        path
        for chart, version in charts.items()
        if (path := schema_path(api_version, kind, chart, version)).exists()
    ]
    if len(found) == 1:
        return found[0]
    pins = ", ".join(f"{c} {v}" for c, v in sorted(charts.items()))
    if found:
        return f"{api_version} {kind} is installed by several charts of the stack ({pins})"
    return (
        f"no vendored schema of {api_version} {kind} in the stack's charts ({pins}); {VENDOR_HINT}"
    )


@pytest.mark.parametrize("stack", STACKS)
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


@pytest.mark.parametrize("stack", STACKS)
def test_every_custom_resource_validates_against_its_vendored_crd_schema(stack: str) -> None:
    charts = chart_versions(stacks.inventory(stack))
    objects = custom_resources(stack)
    errors = []
    for manifest in objects:
        where = f"{manifest.body['apiVersion']} {manifest.kind}/{manifest.name}"
        schema = schema_for(manifest, charts)
        if isinstance(schema, str):
            errors.append(f"{where}: {schema}")
            continue
        row = _provenance()[schema.relative_to(VENDORED).as_posix()]
        namespaced = row["scope"] == "Namespaced"
        for error in validator(schema).errors(manifest.body, namespaced=namespaced):
            errors.append(f"{where}: {error} (schema of {row['chart']} {row['chartVersion']})")
    assert errors == []


def test_the_stacks_render_custom_resources_of_every_chart_family() -> None:
    kinds = {m.kind for stack in STACKS for m in custom_resources(stack)}
    assert {"Gateway", "EnvoyProxy", "AIGatewayRoute", "ScaledObject", "PrometheusRule"} <= kinds


def test_vendored_schemas_have_one_provenance_row_each() -> None:
    files = {p.relative_to(VENDORED).as_posix() for p in VENDORED.rglob("*.json")}
    assert files == set(_provenance())
    for name, row in _provenance().items():
        chart, chart_version, group, _ = name.split("/")
        assert (row["chart"], row["chartVersion"]) == (chart, chart_version), name
        assert row["scope"] in ("Namespaced", "Cluster"), name
        assert {"repo", "tag", "commit", "path", "read", "sha256"} <= set(row), name
        assert len(row["commit"]) == 40 and "." in group, name


def test_vendored_schemas_are_unchanged_since_they_were_read() -> None:
    for name, row in _provenance().items():
        digest = hashlib.sha256((VENDORED / name).read_bytes()).hexdigest()
        assert digest == row["sha256"], f"{name} differs from what was read at {row['tag']}"


def test_a_custom_resource_kind_without_a_vendored_schema_fails() -> None:
    charts = chart_versions(stacks.inventory("prod-ca"))
    route = next(m for m in custom_resources("prod-ca") if m.kind == "Gateway")
    unknown = Manifest(urn=route.urn, body={**route.body, "kind": "NoSuchKind"})
    message = schema_for(unknown, charts)
    assert isinstance(message, str)
    assert "no vendored schema of gateway.networking.k8s.io/v1 NoSuchKind in the stack" in message
    assert "gateway-helm" in message


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
    for manifest in objects:
        assert manifest.name and len(manifest.name) <= 253


def test_every_vendored_schema_is_of_a_chart_version_some_stack_pins() -> None:
    pinned = {pin for stack in STACKS for pin in chart_versions(stacks.inventory(stack)).items()}
    vendored = {(p.parent.name, p.name) for p in VENDORED.glob("*/*") if p.is_dir()}
    stale = sorted(vendored - pinned)
    assert stale == [], "retire them: git rm -r tests/vendor/crds/<chart>/<version>; vendor tidy"
