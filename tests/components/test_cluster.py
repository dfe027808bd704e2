"""EksCluster on the Pulumi mock engine."""

from __future__ import annotations

import json
from typing import Any

import pulumi

from components.audit import log_retention_days
from components.cluster import CONTROL_PLANE_LOG_TYPES, EksCluster, EksClusterArgs
from components.config import StackSpec, load_stack
from components.network import SovereignNetwork, SovereignNetworkArgs
from tests.components.conftest import RecordingMocks

CLUSTER = "aws:eks/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"


def build(spec: StackSpec) -> dict[str, Any]:
    """Create network and cluster; return the cluster's resolved outputs."""
    resolved: dict[str, Any] = {}

    @pulumi.runtime.test
    def run() -> pulumi.Output[Any]:
        network = SovereignNetwork("net", SovereignNetworkArgs.of(spec))
        cluster = EksCluster(
            "eks",
            EksClusterArgs(
                region=spec.region,
                cluster=spec.cluster,
                log_retention_days=log_retention_days(spec.audit),
                private_subnet_ids=network.private_subnet_ids,
            ),
        )
        return pulumi.Output.all(
            cluster.cluster_name,
            cluster.oidc_provider_arn,
            cluster.oidc_provider_url,
            cluster.node_role.arn,
            cluster.kms_key.arn,
        ).apply(
            lambda values: resolved.update(
                zip(("name", "oidc_arn", "oidc_url", "node_role", "key"), values, strict=True)
            )
        )

    run()
    return resolved


def only(mocks: RecordingMocks, token: str) -> dict[str, Any]:
    (resource,) = mocks.of_type(token)
    return dict(resource.inputs)


def test_private_stack_keeps_the_api_endpoint_private(mocks: RecordingMocks) -> None:
    spec = load_stack("prod-ca")
    assert spec.cluster.endpoint_public_access_cidrs == []
    build(spec)
    vpc_config = only(mocks, CLUSTER)["vpcConfig"]
    assert vpc_config["endpointPrivateAccess"] is True
    assert vpc_config["endpointPublicAccess"] is False
    assert "publicAccessCidrs" not in vpc_config
    assert len(vpc_config["subnetIds"]) == spec.network.az_count


def test_public_endpoint_only_for_the_listed_networks(mocks: RecordingMocks) -> None:
    spec = load_stack("dev")
    build(spec)
    vpc_config = only(mocks, CLUSTER)["vpcConfig"]
    assert vpc_config["endpointPrivateAccess"] is True
    assert vpc_config["endpointPublicAccess"] is True
    assert vpc_config["publicAccessCidrs"] == spec.cluster.endpoint_public_access_cidrs


def test_version_secrets_encryption_and_control_plane_logs(mocks: RecordingMocks) -> None:
    spec = load_stack("prod-ca")
    outputs = build(spec)
    cluster = only(mocks, CLUSTER)
    assert cluster["version"] == spec.cluster.kubernetes_version
    assert cluster["encryptionConfig"]["resources"] == ["secrets"]
    assert cluster["encryptionConfig"]["provider"]["keyArn"] == outputs["key"]
    assert sorted(cluster["enabledClusterLogTypes"]) == sorted(
        ["api", "audit", "authenticator", "controllerManager", "scheduler"]
    )
    assert set(CONTROL_PLANE_LOG_TYPES) == set(cluster["enabledClusterLogTypes"])
    assert cluster["accessConfig"]["authenticationMode"] in {"API", "API_AND_CONFIG_MAP"}
    groups = {r.inputs["name"]: r.inputs for r in mocks.of_type("aws:cloudwatch/logGroup:LogGroup")}
    control_plane = groups[f"/aws/eks/{outputs['name']}/cluster"]
    assert control_plane["retentionInDays"] >= spec.audit.log_retention_days
    assert control_plane["kmsKeyId"] == outputs["key"]
    keys = [r.inputs for r in mocks.of_type("aws:kms/key:Key")]
    assert all(key["enableKeyRotation"] is True for key in keys)


def test_oidc_provider_for_service_account_roles(mocks: RecordingMocks) -> None:
    outputs = build(load_stack("prod-ca"))
    provider = only(mocks, "aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert provider["url"] == "https://oidc.eks.example/id/X"
    assert provider["clientIdLists"] == ["sts.amazonaws.com"]
    assert provider["thumbprintLists"]
    assert outputs["oidc_url"] == "oidc.eks.example/id/X"
    assert outputs["oidc_arn"].endswith("eks-oidc")
    # Add-on roles trust exactly one service account through that provider.
    trusts = [
        json.loads(r.inputs["assumeRolePolicy"])["Statement"][0]
        for r in mocks.of_type("aws:iam/role:Role")
        if "Federated" in r.inputs["assumeRolePolicy"]
    ]
    subjects = {t["Condition"]["StringEquals"]["oidc.eks.example/id/X:sub"] for t in trusts}
    assert subjects == {
        "system:serviceaccount:kube-system:aws-node",
        "system:serviceaccount:kube-system:ebs-csi-controller-sa",
    }


def test_node_role_is_least_privilege(mocks: RecordingMocks) -> None:
    build(load_stack("prod-ca"))
    attached = {
        r.inputs["policyArn"].rsplit("/", 1)[-1]
        for r in mocks.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if r.name.startswith("eks-node-")
    }
    assert attached == {"AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly"}


def test_system_node_group_and_its_launch_template(mocks: RecordingMocks) -> None:
    spec = load_stack("prod-ca")
    outputs = build(spec)
    group = only(mocks, NODE_GROUP)
    assert group["labels"] == {"servegate.io/role": "system"}
    assert group["instanceTypes"] == [spec.cluster.system_node_instance_type]
    assert group["scalingConfig"]["desiredSize"] == spec.cluster.system_node_count
    assert group["nodeRoleArn"] == outputs["node_role"]
    template = only(mocks, LAUNCH_TEMPLATE)
    assert template["metadataOptions"]["httpTokens"] == "required"
    assert template["metadataOptions"]["httpPutResponseHopLimit"] <= 2
    (device,) = template["blockDeviceMappings"]
    assert device["ebs"]["encrypted"] == "true"
    assert device["ebs"]["volumeType"] == "gp3"
    assert device["ebs"]["kmsKeyId"] == outputs["key"]
    assert group["launchTemplate"]["version"] == "1"


def test_core_addons(mocks: RecordingMocks) -> None:
    build(load_stack("prod-ca"))
    addons = {r.inputs["addonName"]: r.inputs for r in mocks.of_type("aws:eks/addon:Addon")}
    assert set(addons) == {
        "vpc-cni",
        "coredns",
        "kube-proxy",
        "eks-pod-identity-agent",
        "aws-ebs-csi-driver",
    }
    assert addons["vpc-cni"]["serviceAccountRoleArn"].endswith("eks-vpc-cni")
    assert addons["aws-ebs-csi-driver"]["serviceAccountRoleArn"].endswith("eks-ebs-csi")


def test_kubernetes_provider_uses_exec_auth_without_credentials(mocks: RecordingMocks) -> None:
    spec = load_stack("prod-ca")
    outputs = build(spec)
    (provider,) = mocks.of_type("pulumi:providers:kubernetes")
    kubeconfig = json.loads(provider.inputs["kubeconfig"])
    (cluster,) = kubeconfig["clusters"]
    assert cluster["cluster"]["server"] == "https://eks-cluster.eks.example"
    assert cluster["cluster"]["certificate-authority-data"] == "Y2VydA=="
    (user,) = kubeconfig["users"]
    assert set(user["user"]) == {"exec"}
    args = user["user"]["exec"]["args"]
    assert args[:2] == ["eks", "get-token"]
    assert args[args.index("--cluster-name") + 1] == outputs["name"]
    assert args[args.index("--region") + 1] == spec.region


def test_children_are_named_under_the_component(mocks: RecordingMocks) -> None:
    build(load_stack("prod-ca"))
    children = [
        r
        for r in mocks.resources
        if not r.name.startswith("net") and r.typ != "servegate:index:EksCluster"
    ]
    assert children
    assert all(r.name.startswith("eks-") for r in children)
