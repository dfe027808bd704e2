"""PayloadCapture on the Pulumi mock engine, and what ServingStack wires when capture is on."""

from __future__ import annotations

import json
from typing import Any

import pulumi

from components import catalog
from components.config import PayloadSamplingSpec, RegistrySpec
from components.payload_capture import (
    COLLECTOR_PODS,
    NAMESPACE,
    OTLP_HTTP_PORT,
    PayloadCapture,
    PayloadCaptureArgs,
    collector_endpoint,
    extproc_env,
    sampler_arg,
)
from tests.components.conftest import RecordingMocks

PROXIES = {"app.kubernetes.io/name": "envoy", "gateway.envoyproxy.io/owning-gateway-name": "gw"}
KEY = "arn:aws:kms:ca-central-1:123456789012:key/capture"


def build(sampling: PayloadSamplingSpec) -> None:
    @pulumi.runtime.test
    def run() -> pulumi.Output[Any]:
        capture = PayloadCapture(
            "capture",
            PayloadCaptureArgs(
                stack="prod-ca",
                region="ca-central-1",
                sampling=sampling,
                registry=RegistrySpec(images="111122223333.dkr.ecr.ca-central-1.amazonaws.com/m"),
                kms_key_arn=KEY,
                oidc_provider_arn="arn:aws:iam::123456789012:oidc-provider/oidc.eks.example",
                oidc_provider_url="oidc.eks.example/id/X",
                kubernetes_version="1.35",
                node_selector={"servegate.io/role": "system"},
                proxy_namespace="envoy-gateway-system",
                proxy_pods=PROXIES,
                vpc_cidr="10.60.0.0/16",
                s3_cidrs=["52.95.0.0/20"],
            ),
        )
        return capture.bucket_name

    run()


def only(mocks: RecordingMocks, token: str) -> dict[str, Any]:
    (resource,) = mocks.of_type(token)
    return dict(resource.inputs)


def test_the_collector_redacts_and_exports_to_the_bucket(mocks: RecordingMocks) -> None:
    build(PayloadSamplingSpec(rate=0.01))
    values = only(mocks, "kubernetes:helm.sh/v3:Release")["values"]
    config = values["alternateConfig"]
    # The spans arrive sampled by the gateway: a second draw would keep less than the rate.
    assert "probabilistic_sampler" not in config["processors"]
    assert config["service"]["pipelines"]["traces"]["processors"] == [
        "memory_limiter",
        "redaction",
        "batch",
    ]
    redaction = config["processors"]["redaction"]
    assert redaction["blocked_values"] == [p.regex for p in catalog.pii_patterns()]
    assert redaction["allow_all_keys"] is True
    bucket = only(mocks, "aws:s3/bucket:Bucket")["bucket"]
    assert config["exporters"]["awss3"]["s3uploader"] == {
        "region": "ca-central-1",
        "s3_bucket": bucket,
        "s3_prefix": "payloads",
    }
    assert values["image"]["digest"].startswith("sha256:")
    assert values["image"]["repository"].startswith("111122223333.dkr.ecr.ca-central-1")
    assert values["ports"]["otlp-http"] == {"enabled": True}
    assert values["ports"]["otlp"] == {"enabled": False}


def test_the_bucket_is_encrypted_private_tls_only_and_expires(mocks: RecordingMocks) -> None:
    build(PayloadSamplingSpec(rate=0.05, retentionDays=7))
    sse = only(
        mocks,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    )
    rule = sse["rules"][0]["applyServerSideEncryptionByDefault"]
    assert rule == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY}
    block = only(mocks, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert all(
        block[k]
        for k in (
            "blockPublicAcls",
            "blockPublicPolicy",
            "ignorePublicAcls",
            "restrictPublicBuckets",
        )
    )
    lifecycle = only(mocks, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    assert lifecycle["rules"][0]["expiration"] == {"days": 7}
    policy = json.loads(only(mocks, "aws:s3/bucketPolicy:BucketPolicy")["policy"])
    (statement,) = policy["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_the_writer_role_may_only_put_under_the_prefix(mocks: RecordingMocks) -> None:
    build(PayloadSamplingSpec(rate=0.01))
    policy = json.loads(only(mocks, "aws:iam/rolePolicy:RolePolicy")["policy"])
    actions = {s["Sid"]: (s["Action"], s["Resource"]) for s in policy["Statement"]}
    assert actions["WriteCapturedPayloads"] == (
        "s3:PutObject",
        "arn:aws:mock:::capture-bucket/payloads/*",
    )
    assert actions["EncryptCapturedPayloads"] == ("kms:GenerateDataKey", KEY)
    trust = json.loads(only(mocks, "aws:iam/role:Role")["assumeRolePolicy"])
    condition = trust["Statement"][0]["Condition"]["StringEquals"]
    assert (
        condition["oidc.eks.example/id/X:sub"]
        == f"system:serviceaccount:{NAMESPACE}:payload-collector"
    )


def test_namespace_is_restricted_and_isolated(mocks: RecordingMocks) -> None:
    build(PayloadSamplingSpec(rate=0.01))
    namespace = only(mocks, "kubernetes:core/v1:Namespace")
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    policies = {
        (p.inputs["metadata"]["namespace"], p.inputs["metadata"]["name"]): p.inputs["spec"]
        for p in mocks.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
    }
    assert policies[(NAMESPACE, "default-deny")]["policyTypes"] == ["Ingress", "Egress"]
    collector = policies[(NAMESPACE, "collector")]
    assert collector["podSelector"]["matchLabels"] == COLLECTOR_PODS
    assert collector["ingress"][0]["from"][0]["podSelector"]["matchLabels"] == PROXIES
    assert collector["ingress"][0]["ports"] == [{"protocol": "TCP", "port": OTLP_HTTP_PORT}]
    assert collector["egress"][0]["to"] == [{"ipBlock": {"cidr": "52.95.0.0/20"}}]
    proxies = policies[("envoy-gateway-system", "proxy-to-payload-collector")]
    assert proxies["egress"][0]["to"][0]["podSelector"]["matchLabels"] == COLLECTOR_PODS


def test_the_gateway_traces_with_or_without_payloads() -> None:
    with_payloads = {v["name"]: v["value"] for v in extproc_env(PayloadSamplingSpec(rate=0.1))}
    assert with_payloads["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] == collector_endpoint()
    assert with_payloads["OPENINFERENCE_HIDE_INPUTS"] == "false"
    hidden = {
        v["name"]: v["value"] for v in extproc_env(PayloadSamplingSpec(rate=0.1, payloads=False))
    }
    assert hidden["OPENINFERENCE_HIDE_INPUTS"] == hidden["OPENINFERENCE_HIDE_OUTPUTS"] == "true"


def test_the_gateway_samples_at_the_source_by_its_own_trace_ids() -> None:
    env = {v["name"]: v["value"] for v in extproc_env(PayloadSamplingSpec(rate=0.01))}
    assert env["OTEL_TRACES_SAMPLER"] == "traceidratio"
    assert env["OTEL_TRACES_SAMPLER_ARG"] == "0.01"
    # No caller's traceparent: its trace id or sampled flag would choose the capture.
    assert env["OTEL_PROPAGATORS"] == "none"


def test_the_sampler_argument_is_a_plain_decimal_of_the_rate() -> None:
    assert sampler_arg(0.0001) == "0.0001"
    assert sampler_arg(1e-9) == "0.000000001"
    assert sampler_arg(0.3) == "0.3"
    assert sampler_arg(1.0) == "1"
    assert float(sampler_arg(0.123456)) == 0.123456
