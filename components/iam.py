"""IAM and KMS policy documents the AWS components share.

Everything here is a pure function from ARNs and names to JSON text, so the documents
are testable without Pulumi and no component needs a runtime AWS lookup: the account
id comes from the ARN of a resource the component has already declared.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

Statement = dict[str, Any]


def partition(region: str) -> str:
    """The AWS partition of a region (``aws``, ``aws-cn`` or ``aws-us-gov``)."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def account_of(arn: str) -> str:
    """The account id field of an ARN (``arn:partition:service:region:account:resource``)."""
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        raise ValueError(f"{arn!r} is not an ARN")
    return parts[4]


def managed_policy_arn(region: str, name: str) -> str:
    """ARN of an AWS-managed IAM policy, e.g. ``AmazonEKSClusterPolicy``."""
    return f"arn:{partition(region)}:iam::aws:policy/{name}"


def document(statements: Sequence[Statement]) -> str:
    """A policy document (IAM or KMS key policy) as JSON text."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, sort_keys=True)


def service_trust(service: str, conditions: Mapping[str, Any] | None = None) -> str:
    """A role trust policy letting one AWS service principal assume the role."""
    statement: Statement = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
    }
    if conditions:
        statement["Condition"] = dict(conditions)
    return document([statement])


def irsa_trust(provider_arn: str, provider_url: str, namespace: str, service_account: str) -> str:
    """A role trust policy for one Kubernetes service account (IAM roles for service accounts).

    ``provider_url`` is the OIDC issuer without ``https://``.
    """
    subject = f"system:serviceaccount:{namespace}:{service_account}"
    return document(
        [
            {
                "Effect": "Allow",
                "Principal": {"Federated": provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{provider_url}:sub": subject,
                        f"{provider_url}:aud": "sts.amazonaws.com",
                    }
                },
            }
        ]
    )


def key_admin_statement(region: str, account: str) -> Statement:
    """The account-root statement of a key policy.

    Without it the key is unmanageable (AWS's default key policy); it also lets IAM
    policies in the account, and nothing outside it, grant use of the key.
    """
    return {
        "Sid": "AccountAdministersKey",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:{partition(region)}:iam::{account}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }


def logs_key_statement(region: str, account: str) -> Statement:
    """Lets CloudWatch Logs of the region encrypt log groups of this account with the key."""
    return {
        "Sid": "CloudWatchLogsUseKey",
        "Effect": "Allow",
        "Principal": {"Service": f"logs.{region}.amazonaws.com"},
        "Action": [
            "kms:Encrypt*",
            "kms:Decrypt*",
            "kms:ReEncrypt*",
            "kms:GenerateDataKey*",
            "kms:Describe*",
        ],
        "Resource": "*",
        "Condition": {
            "ArnLike": {
                "kms:EncryptionContext:aws:logs:arn": (
                    f"arn:{partition(region)}:logs:{region}:{account}:log-group:*"
                )
            }
        },
    }


def cluster_autoscaler_policy(region: str, account: str, cluster_name: str) -> str:
    """Cluster Autoscaler's permissions, limited to the Auto Scaling groups of one cluster.

    Describe calls cannot be scoped to resources (AWS grants them on ``*`` only); the two
    calls that change capacity apply only to groups tagged as owned by this cluster, the
    tags EKS puts on its managed node groups' Auto Scaling groups. ``eks:DescribeNodegroup``
    (labels and taints when a group is at zero) is limited to this cluster's node groups.
    Based on the "Full Cluster Autoscaler Features Policy" of
    cluster-autoscaler/cloudprovider/aws/README.md, with its recommended tag conditions.
    """
    arn = f"arn:{partition(region)}"
    return document(
        [
            {
                "Sid": "DiscoverNodeGroups",
                "Effect": "Allow",
                "Action": [
                    "autoscaling:DescribeAutoScalingGroups",
                    "autoscaling:DescribeAutoScalingInstances",
                    "autoscaling:DescribeLaunchConfigurations",
                    "autoscaling:DescribeScalingActivities",
                    "ec2:DescribeImages",
                    "ec2:DescribeInstanceTypes",
                    "ec2:DescribeLaunchTemplateVersions",
                    "ec2:GetInstanceTypesFromInstanceRequirements",
                ],
                "Resource": "*",
            },
            {
                "Sid": "DescribeOwnNodeGroups",
                "Effect": "Allow",
                "Action": "eks:DescribeNodegroup",
                "Resource": f"{arn}:eks:{region}:{account}:nodegroup/{cluster_name}/*/*",
            },
            {
                "Sid": "ScaleOwnNodeGroups",
                "Effect": "Allow",
                "Action": [
                    "autoscaling:SetDesiredCapacity",
                    "autoscaling:TerminateInstanceInAutoScalingGroup",
                ],
                "Resource": (
                    f"{arn}:autoscaling:{region}:{account}:autoScalingGroup:*:autoScalingGroupName/*"
                ),
                "Condition": {
                    "StringEquals": {
                        f"aws:ResourceTag/k8s.io/cluster-autoscaler/{cluster_name}": "owned",
                        "aws:ResourceTag/k8s.io/cluster-autoscaler/enabled": "true",
                    }
                },
            },
        ]
    )


def secrets_reader_policy(region: str, secret_arns: Sequence[str], kms_key_arn: str) -> str:
    """Read exactly ``secret_arns`` and decrypt them with their key, through Secrets Manager only.

    ``kms:ViaService`` keeps the decrypt grant from working on anything but Secrets Manager
    calls in the region, so the role cannot use the key directly on other ciphertext.
    """
    return document(
        [
            {
                "Sid": "ReadApiKeySecrets",
                "Effect": "Allow",
                "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                "Resource": sorted(secret_arns),
            },
            {
                "Sid": "DecryptApiKeySecrets",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": kms_key_arn,
                "Condition": {
                    "StringEquals": {"kms:ViaService": f"secretsmanager.{region}.amazonaws.com"}
                },
            },
        ]
    )
