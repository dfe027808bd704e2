"""EksCluster: the EKS control plane, its identity plumbing and a small system node group."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components import iam, versions
from components.config import ClusterSpec

ReservationTargetArgs = (
    aws.ec2.LaunchTemplateCapacityReservationSpecificationCapacityReservationTargetArgs
)

CONTROL_PLANE_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
# Thumbprint of the root CA behind oidc.eks.<region>.amazonaws.com. IAM validates EKS
# issuers against its own trusted CAs and ignores this value, but the API needs one.
EKS_OIDC_THUMBPRINT = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"
STS_AUDIENCE = "sts.amazonaws.com"
SYSTEM_DISK_GIB = 50
# Labels of the system nodes, where cluster add-ons that must outlive GPU nodes run.
SYSTEM_NODE_LABELS = {"servegate.io/role": "system"}
_NODE_POLICIES = ("AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly")
# The Services' address block, set rather than left to EKS (which picks 10.100.0.0/16 or,
# in a VPC inside 10.0.0.0/8, this one), so NetworkPolicies know the API server's ClusterIP.
SERVICE_CIDR = "172.20.0.0/16"
# The VPC CNI enforces NetworkPolicies (its eBPF node agent and the EKS-run policy
# controller) once its configuration turns them on; the version and values are pinned.
VPC_CNI = versions.eks_addon("vpc-cni")


@dataclass(frozen=True)
class EksClusterArgs:
    """Inputs of :class:`EksCluster`."""

    region: str
    """The stack's region (IAM partition, kubeconfig, log group)."""
    cluster: ClusterSpec
    """Version, endpoint access and the system node group."""
    log_retention_days: int
    """Retention of the control-plane log group (components.audit.log_retention_days)."""
    private_subnet_ids: pulumi.Input[list[str]]
    """The VPC's private subnets: the control plane ENIs and the nodes."""


def node_launch_template(
    name: str,
    *,
    disk_gib: int,
    kms_key_arn: pulumi.Input[str],
    capacity_reservation_id: str | None = None,
    throughput_mibps: int | None = None,
    iops: int | None = None,
    opts: pulumi.ResourceOptions,
) -> aws.ec2.LaunchTemplate:
    """A launch template for an EKS managed node group: IMDSv2 only, encrypted gp3 root.

    ``throughput_mibps`` and ``iops`` raise the gp3 volume above its baseline (125 MiB/s,
    3000 IOPS); ``capacity_reservation_id`` targets an On-Demand Capacity Reservation.

    The metadata hop limit is 1, so pods on the pod network cannot reach the instance
    metadata service and borrow the node role: workloads get AWS credentials through
    IAM roles for service accounts or EKS Pod Identity. (hostNetwork add-ons such as the
    VPC CNI are one hop away and unaffected.)
    """
    reservation = (
        aws.ec2.LaunchTemplateCapacityReservationSpecificationArgs(
            capacity_reservation_target=ReservationTargetArgs(
                capacity_reservation_id=capacity_reservation_id
            )
        )
        if capacity_reservation_id
        else None
    )
    return aws.ec2.LaunchTemplate(
        name,
        metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
            http_endpoint="enabled",
            http_tokens="required",
            http_put_response_hop_limit=1,
        ),
        block_device_mappings=[
            aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                device_name="/dev/xvda",  # root device of the EKS AL2023 AMIs
                ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                    volume_size=disk_gib,
                    volume_type="gp3",
                    throughput=throughput_mibps,
                    iops=iops,
                    encrypted="true",
                    kms_key_id=kms_key_arn,
                    delete_on_termination="true",
                ),
            )
        ],
        capacity_reservation_specification=reservation,
        update_default_version=True,
        tags={"Name": name},
        opts=opts,
    )


class EksCluster(pulumi.ComponentResource):
    """A private-endpoint EKS cluster with encrypted secrets and full control-plane logging.

    The API endpoint is private; it is also public only when
    ``cluster.endpointPublicAccessCidrs`` lists the networks allowed to reach it. Add-ons
    get AWS permissions through IAM roles for service accounts, so the node role keeps
    only what the kubelet needs.
    """

    def __init__(
        self, name: str, args: EksClusterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("servegate:index:EksCluster", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        region = args.region
        cluster_name = name

        cluster_role = aws.iam.Role(
            f"{name}-cluster",
            assume_role_policy=iam.service_trust("eks.amazonaws.com"),
            description=f"EKS control plane of {cluster_name}",
            opts=child,
        )
        cluster_policy = aws.iam.RolePolicyAttachment(
            f"{name}-cluster-eks",
            role=cluster_role.name,
            policy_arn=iam.managed_policy_arn(region, "AmazonEKSClusterPolicy"),
            opts=child,
        )
        self.node_role = aws.iam.Role(
            f"{name}-node",
            assume_role_policy=iam.service_trust("ec2.amazonaws.com"),
            description=f"EKS nodes of {cluster_name}",
            opts=child,
        )
        node_policies = [
            aws.iam.RolePolicyAttachment(
                f"{name}-node-{policy}",
                role=self.node_role.name,
                policy_arn=iam.managed_policy_arn(region, policy),
                opts=child,
            )
            for policy in _NODE_POLICIES
        ]

        self.kms_key = aws.kms.Key(
            f"{name}-key",
            description=f"EKS secrets, node volumes and control plane logs of {cluster_name}",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=cluster_role.arn.apply(lambda arn: _key_policy(region, iam.account_of(arn))),
            opts=child,
        )
        # EKS envelope-encrypts secrets as the cluster role.
        key_use = aws.iam.RolePolicy(
            f"{name}-cluster-kms",
            role=cluster_role.id,
            policy=self.kms_key.arn.apply(
                lambda arn: iam.document(
                    [
                        {
                            "Effect": "Allow",
                            "Action": [
                                "kms:Encrypt",
                                "kms:Decrypt",
                                "kms:ListGrants",
                                "kms:DescribeKey",
                            ],
                            "Resource": arn,
                        }
                    ]
                )
            ),
            opts=child,
        )
        # Created before the cluster so EKS does not create it without retention or KMS.
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-control-plane",
            name=f"/aws/eks/{cluster_name}/cluster",
            retention_in_days=args.log_retention_days,
            kms_key_id=self.kms_key.arn,
            opts=child,
        )

        public_cidrs = list(args.cluster.endpoint_public_access_cidrs)
        self.cluster = aws.eks.Cluster(
            f"{name}-cluster",
            name=cluster_name,
            role_arn=cluster_role.arn,
            version=args.cluster.kubernetes_version,
            vpc_config=aws.eks.ClusterVpcConfigArgs(
                subnet_ids=args.private_subnet_ids,
                endpoint_private_access=True,
                endpoint_public_access=bool(public_cidrs),
                public_access_cidrs=public_cidrs or None,
            ),
            encryption_config=aws.eks.ClusterEncryptionConfigArgs(
                provider=aws.eks.ClusterEncryptionConfigProviderArgs(key_arn=self.kms_key.arn),
                resources=["secrets"],
            ),
            kubernetes_network_config=aws.eks.ClusterKubernetesNetworkConfigArgs(
                ip_family="ipv4", service_ipv4_cidr=SERVICE_CIDR
            ),
            enabled_cluster_log_types=list(CONTROL_PLANE_LOG_TYPES),
            access_config=aws.eks.ClusterAccessConfigArgs(
                authentication_mode="API",
                # The identity running `pulumi up` administers the cluster it creates;
                # everyone else needs an access entry.
                bootstrap_cluster_creator_admin_permissions=True,
            ),
            opts=pulumi.ResourceOptions.merge(
                child, pulumi.ResourceOptions(depends_on=[cluster_policy, key_use, self.log_group])
            ),
        )
        self.cluster_name: pulumi.Output[str] = self.cluster.name
        self.cluster_arn: pulumi.Output[str] = self.cluster.arn

        issuer = self.cluster.identities.apply(_oidc_issuer)
        self.oidc_provider = aws.iam.OpenIdConnectProvider(
            f"{name}-oidc",
            url=issuer,
            client_id_lists=[STS_AUDIENCE],
            thumbprint_lists=[EKS_OIDC_THUMBPRINT],
            opts=child,
        )
        self.oidc_provider_arn: pulumi.Output[str] = self.oidc_provider.arn
        self.oidc_provider_url: pulumi.Output[str] = issuer.apply(
            lambda url: url.removeprefix("https://")
        )

        cni_role = self._irsa_role(
            f"{name}-vpc-cni", "aws-node", "AmazonEKS_CNI_Policy", region, child
        )
        ebs_role = self._irsa_role(
            f"{name}-ebs-csi",
            "ebs-csi-controller-sa",
            "service-role/AmazonEBSCSIDriverPolicy",
            region,
            child,
        )
        # DaemonSet add-ons: needed before nodes can become Ready (the CNI) or useful on
        # their first pod; they report healthy with no nodes.
        node_level = [
            self._addon(
                name,
                VPC_CNI.name,
                child,
                service_account_role_arn=cni_role.arn,
                version=VPC_CNI.version,
                configuration=VPC_CNI.configuration,
            ),
            self._addon(name, "kube-proxy", child),
            self._addon(name, "eks-pod-identity-agent", child),
        ]

        system_template = node_launch_template(
            f"{name}-system",
            disk_gib=SYSTEM_DISK_GIB,
            kms_key_arn=self.kms_key.arn,
            opts=child,
        )
        self.system_node_group = aws.eks.NodeGroup(
            f"{name}-system",
            cluster_name=self.cluster.name,
            node_group_name="system",
            node_role_arn=self.node_role.arn,
            subnet_ids=args.private_subnet_ids,
            ami_type="AL2023_x86_64_STANDARD",
            instance_types=[args.cluster.system_node_instance_type],
            capacity_type="ON_DEMAND",
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                min_size=args.cluster.system_node_count,
                max_size=args.cluster.system_node_count,
                desired_size=args.cluster.system_node_count,
            ),
            labels=dict(SYSTEM_NODE_LABELS),
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                id=system_template.id, version=system_template.latest_version.apply(str)
            ),
            update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=1),
            opts=pulumi.ResourceOptions.merge(
                child, pulumi.ResourceOptions(depends_on=[*node_policies, *node_level])
            ),
        )
        # Deployment add-ons only turn ACTIVE once they have nodes to run on.
        on_nodes = pulumi.ResourceOptions.merge(
            child, pulumi.ResourceOptions(depends_on=[self.system_node_group])
        )
        workload_level = [
            self._addon(name, "coredns", on_nodes),
            self._addon(
                name, "aws-ebs-csi-driver", on_nodes, service_account_role_arn=ebs_role.arn
            ),
        ]

        self.k8s_provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=pulumi.Output.all(
                self.cluster.name, self.cluster.endpoint, self.cluster.certificate_authority
            ).apply(lambda values: _kubeconfig(values[0], values[1], values[2], region)),
            # In-cluster resources need DNS and storage; make them wait for both.
            opts=pulumi.ResourceOptions.merge(
                child, pulumi.ResourceOptions(depends_on=[*node_level, *workload_level])
            ),
        )
        self.register_outputs(
            {
                "cluster_name": self.cluster_name,
                "oidc_provider_arn": self.oidc_provider_arn,
                "oidc_provider_url": self.oidc_provider_url,
                "node_role_arn": self.node_role.arn,
                "kms_key_arn": self.kms_key.arn,
            }
        )

    def _irsa_role(
        self,
        name: str,
        service_account: str,
        managed_policy: str,
        region: str,
        child: pulumi.ResourceOptions,
    ) -> aws.iam.Role:
        role = aws.iam.Role(
            name,
            assume_role_policy=pulumi.Output.all(
                self.oidc_provider.arn, self.oidc_provider_url
            ).apply(
                lambda values: iam.irsa_trust(values[0], values[1], "kube-system", service_account)
            ),
            description=f"kube-system/{service_account} (IRSA)",
            opts=child,
        )
        aws.iam.RolePolicyAttachment(
            name,
            role=role.name,
            policy_arn=iam.managed_policy_arn(region, managed_policy),
            opts=child,
        )
        return role

    def _addon(
        self,
        name: str,
        addon: str,
        opts: pulumi.ResourceOptions,
        service_account_role_arn: pulumi.Input[str] | None = None,
        version: str | None = None,
        configuration: dict[str, str] | None = None,
    ) -> aws.eks.Addon:
        # Without a version EKS installs its default build for the cluster's pinned
        # Kubernetes version, from its in-region registry.
        return aws.eks.Addon(
            f"{name}-{addon}",
            cluster_name=self.cluster.name,
            addon_name=addon,
            addon_version=version,
            configuration_values=json.dumps(configuration, sort_keys=True)
            if configuration
            else None,
            service_account_role_arn=service_account_role_arn,
            # Take over the self-managed copies EKS bootstraps; keep later manual tuning.
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="PRESERVE",
            opts=opts,
        )


def _oidc_issuer(identities: Any) -> str:
    # Mapping access: the SDK hands nested outputs over as dicts (typed or plain).
    issuer: str | None = identities[0]["oidcs"][0]["issuer"] if identities else None
    if not issuer:
        raise ValueError("the EKS cluster reported no OIDC issuer")
    return issuer


def _key_policy(region: str, account: str) -> str:
    autoscaling_role = (
        f"arn:{iam.partition(region)}:iam::{account}:role/aws-service-role/"
        "autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
    )
    # Node groups launch instances as the Auto Scaling service-linked role, which must
    # use the key for the encrypted root volumes. It is matched by aws:PrincipalArn
    # rather than named as principal: KMS rejects policies naming a role that does not
    # exist yet, and a fresh account gets this role only with its first node group.
    as_autoscaling = {
        "ArnEquals": {"aws:PrincipalArn": autoscaling_role},
        "StringEquals": {"kms:CallerAccount": account},
    }
    return iam.document(
        [
            iam.key_admin_statement(region, account),
            iam.logs_key_statement(region, account),
            {
                "Sid": "AutoScalingEncryptsNodeVolumes",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": [
                    "kms:Encrypt",
                    "kms:Decrypt",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:DescribeKey",
                ],
                "Resource": "*",
                "Condition": as_autoscaling,
            },
            {
                "Sid": "AutoScalingAttachesNodeVolumes",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": "kms:CreateGrant",
                "Resource": "*",
                "Condition": {**as_autoscaling, "Bool": {"kms:GrantIsForAWSResource": "true"}},
            },
        ]
    )


def _kubeconfig(cluster_name: str, endpoint: str, certificate_authority: Any, region: str) -> str:
    """A kubeconfig that authenticates with ``aws eks get-token``: it holds no credential."""
    user = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "command": "aws",
            "args": ["eks", "get-token", "--cluster-name", cluster_name, "--region", region],
            "interactiveMode": "Never",
        }
    }
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": cluster_name,
                    "cluster": {
                        "server": endpoint,
                        "certificate-authority-data": certificate_authority["data"],
                    },
                }
            ],
            "users": [{"name": cluster_name, "user": user}],
            "contexts": [
                {"name": cluster_name, "context": {"cluster": cluster_name, "user": cluster_name}}
            ],
            "current-context": cluster_name,
        }
    )
