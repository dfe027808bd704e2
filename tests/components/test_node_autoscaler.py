"""NodeAutoscaler (Cluster Autoscaler) on the Pulumi mock engine, and its pins."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml

from components import catalog, versions
from components.config import ConfigError, RegistrySpec, parse_spec, read_stack_config, stack_file
from components.node_autoscaler import (
    CHART_PIN,
    NodeAutoscaler,
    NodeAutoscalerArgs,
    autoscaler_values,
    image_pin,
)
from tests.components.conftest import RecordingMocks

RELEASE = "kubernetes:helm.sh/v3:Release"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
VENDOR = Path(__file__).resolve().parents[1] / "vendor" / "charts" / "cluster-autoscaler"
# Values whose keys are the user's, not the chart's: maps the chart copies as they are.
FREE_FORM = {
    "nodeSelector",  # node labels
    "resources",  # a container's resources
    "rbac.serviceAccount.annotations",  # ServiceAccount annotations
    "extraArgs",  # each key becomes a --flag of the cluster-autoscaler binary
    "extraEnv",  # environment variable names
}
MIRROR = RegistrySpec(
    images="111122223333.dkr.ecr.ca-central-1.amazonaws.com/mirror",
    charts="oci://111122223333.dkr.ecr.ca-central-1.amazonaws.com/charts",
)


def args(registry: RegistrySpec, version: str = "1.35") -> NodeAutoscalerArgs:
    return NodeAutoscalerArgs(
        cluster_name="prod-ca-eks",
        cluster_arn="arn:aws:eks:ca-central-1:123456789012:cluster/prod-ca-eks",
        region="ca-central-1",
        kubernetes_version=version,
        registry=registry,
        oidc_provider_arn="arn:aws:iam::123456789012:oidc-provider/oidc.eks.example/id/X",
        oidc_provider_url="oidc.eks.example/id/X",
        node_selector={"servegate.io/role": "system"},
    )


def build(mocks: RecordingMocks, registry: RegistrySpec) -> dict[str, Any]:
    @pulumi.runtime.test
    def run() -> pulumi.Output[Any]:
        return NodeAutoscaler("autoscaler", args(registry)).release.status

    run()
    (release,) = mocks.of_type(RELEASE)
    return dict(release.inputs)


def test_air_gapped_release_comes_from_the_mirror(mocks: RecordingMocks) -> None:
    release = build(mocks, MIRROR)
    assert release["chart"] == f"{MIRROR.charts}/cluster-autoscaler"
    assert release["version"] == CHART_PIN.version == "9.59.0"
    assert "repositoryOpts" not in release
    image = release["values"]["image"]
    assert image == {
        "repository": f"{MIRROR.images}/autoscaling/cluster-autoscaler",
        "tag": image_pin("1.35").tag,
    }
    assert release["namespace"] == "kube-system"


def test_connected_release_comes_from_upstream(mocks: RecordingMocks) -> None:
    release = build(mocks, RegistrySpec())
    assert release["chart"] == "cluster-autoscaler"
    assert release["repositoryOpts"] == {"repo": "https://kubernetes.github.io/autoscaler"}
    assert release["values"]["image"]["repository"] == (
        "registry.k8s.io/autoscaling/cluster-autoscaler"
    )


def test_it_discovers_this_clusters_node_groups_and_runs_on_system_nodes(
    mocks: RecordingMocks,
) -> None:
    values = build(mocks, MIRROR)["values"]
    assert values["cloudProvider"] == "aws"
    assert values["awsRegion"] == "ca-central-1"
    assert values["autoDiscovery"] == {
        "clusterName": "prod-ca-eks",
        "tags": ["k8s.io/cluster-autoscaler/enabled", "k8s.io/cluster-autoscaler/prod-ca-eks"],
    }
    assert values["nodeSelector"] == {"servegate.io/role": "system"}
    assert values["extraEnv"] == {"AWS_STS_REGIONAL_ENDPOINTS": "regional"}
    (role,) = mocks.of_type(ROLE)
    account = values["rbac"]["serviceAccount"]
    assert account["name"] == "cluster-autoscaler"
    assert account["annotations"]["eks.amazonaws.com/role-arn"] == (
        f"arn:aws:iam::123456789012:role/{role.name}"
    )


def test_the_role_is_assumable_only_by_its_service_account(mocks: RecordingMocks) -> None:
    build(mocks, MIRROR)
    (role,) = mocks.of_type(ROLE)
    (statement,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Condition"]["StringEquals"] == {
        "oidc.eks.example/id/X:sub": "system:serviceaccount:kube-system:cluster-autoscaler",
        "oidc.eks.example/id/X:aud": "sts.amazonaws.com",
    }


def test_only_this_clusters_groups_can_be_resized(mocks: RecordingMocks) -> None:
    build(mocks, MIRROR)
    (policy,) = mocks.of_type(ROLE_POLICY)
    statements = json.loads(policy.inputs["policy"])["Statement"]
    mutating = {"autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"}
    for statement in statements:
        actions = statement["Action"]
        actions = {actions} if isinstance(actions, str) else set(actions)
        assert all(":Describe" in a or ":Get" in a for a in actions - mutating)
        if statement["Resource"] == "*":
            assert not actions & mutating
    (scaling,) = [s for s in statements if set(s["Action"]) == mutating]
    assert scaling["Resource"].startswith("arn:aws:autoscaling:ca-central-1:123456789012:")
    assert scaling["Condition"]["StringEquals"] == {
        "aws:ResourceTag/k8s.io/cluster-autoscaler/prod-ca-eks": "owned",
        "aws:ResourceTag/k8s.io/cluster-autoscaler/enabled": "true",
    }
    (describe,) = [s for s in statements if s["Action"] == "eks:DescribeNodegroup"]
    assert describe["Resource"] == (
        "arn:aws:eks:ca-central-1:123456789012:nodegroup/prod-ca-eks/*/*"
    )


def _exists(chart: Any, path: str) -> bool:
    node = chart
    for part in path.rstrip(".").split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def test_every_value_set_is_a_key_of_the_pinned_charts_values() -> None:
    vendored = VENDOR / CHART_PIN.version / "values.yaml"
    chart = yaml.safe_load(vendored.read_text(encoding="utf-8"))
    values = autoscaler_values(args(MIRROR), "arn:aws:iam::1:role/r")
    paths = _paths_of(values)
    missing = [p for p in paths if not _exists(chart, p)]
    assert not missing, f"not in cluster-autoscaler {CHART_PIN.version} values.yaml: {missing}"
    assert "extraArgs" in paths and "autoDiscovery.clusterName" in paths


def test_the_vendored_values_are_the_upstream_file() -> None:
    rows = yaml.safe_load((VENDOR.parent / "PROVENANCE.yaml").read_text(encoding="utf-8"))
    (row,) = [r for r in rows if r["file"] == f"cluster-autoscaler/{CHART_PIN.version}/values.yaml"]
    assert (row["repo"], row["tag"]) == (
        "kubernetes/autoscaler",
        f"cluster-autoscaler-chart-{CHART_PIN.version}",
    )
    raw = (VENDOR / CHART_PIN.version / "values.yaml").read_bytes()
    assert hashlib.sha256(raw).hexdigest() == row["sha256"]


def _paths_of(values: dict[str, Any]) -> list[str]:
    found: list[str] = []
    for key, value in values.items():
        if isinstance(value, dict) and key not in FREE_FORM:
            found += [f"{key}.{p}" for p in _paths_of_nested(value, key)]
        else:
            found.append(key)
    return found


def _paths_of_nested(values: dict[str, Any], prefix: str) -> list[str]:
    found: list[str] = []
    for key, value in values.items():
        full = f"{prefix}.{key}"
        if isinstance(value, dict) and full not in FREE_FORM:
            found += [f"{key}.{p}" for p in _paths_of_nested(value, full)]
        else:
            found.append(key)
    return found


def test_a_misspelt_value_would_be_caught() -> None:
    chart = yaml.safe_load((VENDOR / CHART_PIN.version / "values.yaml").read_text())
    assert _exists(chart, "autoDiscovery.clusterName")
    assert not _exists(chart, "autoDiscovery.clustername")


def test_the_image_minor_matches_the_cluster_minor() -> None:
    minors = catalog.cluster_autoscaler_minors()
    assert minors
    for minor in minors:
        assert image_pin(minor).tag.startswith(f"v{minor}.")
    with pytest.raises(KeyError):
        image_pin("1.29")


def test_every_cluster_autoscaler_pin_names_its_upstream_tag_and_date() -> None:
    table = yaml.safe_load(versions.VERSIONS_FILE.read_text(encoding="utf-8"))
    rows = [table["charts"]["cluster-autoscaler"]] + [
        table["images"][f"cluster-autoscaler-{minor}"]
        for minor in catalog.cluster_autoscaler_minors()
    ]
    for row in rows:
        assert row["source"]["repo"] == "kubernetes/autoscaler"
        assert row["source"]["tag"].startswith("cluster-autoscaler-")
        assert len(row["source"]["commit"]) == 40
        assert str(row["checked"]) == "2026-12-01"
    for minor in catalog.cluster_autoscaler_minors():
        row = table["images"][f"cluster-autoscaler-{minor}"]
        assert row["source"]["tag"] == f"cluster-autoscaler-{row['tag'].removeprefix('v')}"


def test_a_cluster_version_without_an_autoscaler_release_is_a_config_error() -> None:
    config = read_stack_config(stack_file("prod-eu"))
    config["llm-serving:cluster"] = {**config["llm-serving:cluster"], "kubernetesVersion": "1.29"}
    with pytest.raises(ConfigError) as error:
        parse_spec("prod-eu", config)
    assert str(error.value).startswith(
        "llm-serving:cluster.kubernetesVersion: '1.29' has no Cluster Autoscaler release pinned"
    )
