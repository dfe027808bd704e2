"""PayloadCapture: sampled, redacted capture of the gateway's prompts and completions.

Envoy AI Gateway v1.1.0's external processor exports a span per request with its inputs and
outputs (OpenInference attributes) once an OTLP traces endpoint is set
(internal/tracing/tracing.go NewTracingFromEnv; OPENINFERENCE_HIDE_INPUTS/OUTPUTS default
false, internal/tracing/openinference/config.go). :func:`extproc_env` is that configuration,
for the ai-gateway-helm chart's ``extProc.extraEnvVars``. The share is sampled in the external
processor itself, so the other requests' payloads never leave it: its tracer provider reads
OTEL_TRACES_SAMPLER/_ARG (sdktrace.NewTracerProvider without WithSampler, otel sdk v1.44.0
sampler_env.go) and a request whose span does not record is not recorded at all
(internal/tracing/tracer.go StartSpanAndInjectHeaders). The spans go to an OpenTelemetry
Collector (contrib distribution, the opentelemetry-collector chart), which masks personal data
in every attribute (redaction, with the
patterns of policies/data/pii_patterns.yaml), batches, and writes them as OTLP JSON to an S3
bucket in the stack's region: KMS-encrypted, public access blocked, TLS only, expiring after
the retention. The Collector writes through an IRSA role limited to that bucket's prefix and
the key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components import buckets, catalog, iam, namespaces, versions
from components.config import PayloadSamplingSpec, RegistrySpec

CHART = versions.chart("opentelemetry-collector")
IMAGE = versions.image("otel-collector-contrib")
NAMESPACE = namespaces.PAYLOAD_CAPTURE
RELEASE = "payload-collector"
SERVICE_ACCOUNT = "payload-collector"
# The chart names its Deployment, Service and pods' app.kubernetes.io/name after itself
# (templates/_helpers.tpl, fullname = <release>-opentelemetry-collector unless the release
# name contains the chart name).
SERVICE = f"{RELEASE}-opentelemetry-collector"
COLLECTOR_PODS = {
    "app.kubernetes.io/name": "opentelemetry-collector",
    "app.kubernetes.io/instance": RELEASE,
}
OTLP_HTTP_PORT = 4318
HEALTH_PORT = 13133
S3_PREFIX = "payloads"
# The contrib image runs as 10001:10001 (open-telemetry/opentelemetry-collector-releases
# distributions/otelcol-contrib/Dockerfile, USER_UID/USER_GID, as stored in the public index at
# commit 07ac0202, read 2026-12-01; not tied to the 0.158.0 tag); set explicitly so the restricted
# Pod Security level admits the pod whatever the image declares.
COLLECTOR_UID = 10001


# The OTel Go SDK's env sampler (go.opentelemetry.io/otel/sdk/trace v1.44.0 sampler_env.go):
# a ratio of the trace id, never the caller's sampled flag (parentbased_* would follow it).
SOURCE_SAMPLER = "traceidratio"


def sampler_arg(rate: float) -> str:
    """OTEL_TRACES_SAMPLER_ARG for a share of requests: a plain decimal (strconv.ParseFloat
    reads it; an argument it cannot read makes the SDK sample everything)."""
    return f"{rate:.12f}".rstrip("0").rstrip(".")


def collector_endpoint() -> str:
    """The Collector's OTLP/HTTP traces URL, as the gateway's external processor calls it."""
    return f"http://{SERVICE}.{NAMESPACE}.svc.cluster.local:{OTLP_HTTP_PORT}/v1/traces"


def extproc_env(sampling: PayloadSamplingSpec) -> list[dict[str, str]]:
    """``extProc.extraEnvVars`` that switch the external processor's tracing on.

    The traces-specific endpoint keeps metrics off OTLP (internal/metrics/metrics.go enables
    an OTLP metrics exporter for the generic OTEL_EXPORTER_OTLP_ENDPOINT only). The hide
    flags are written out, so what the spans carry is visible in the plan. The sampler keeps
    ``rate`` of the requests by trace id; OTEL_PROPAGATORS=none (autoprop v0.69.0) stops the
    processor reading a caller's traceparent, whose trace id (and, parent-based, its sampled
    flag) would otherwise let a caller choose to be captured.
    """
    hide = "false" if sampling.payloads else "true"
    return [
        {"name": "OTEL_TRACES_EXPORTER", "value": "otlp"},
        {"name": "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "value": "http/protobuf"},
        {"name": "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "value": collector_endpoint()},
        {"name": "OTEL_SERVICE_NAME", "value": "ai-gateway"},
        {"name": "OTEL_TRACES_SAMPLER", "value": SOURCE_SAMPLER},
        {"name": "OTEL_TRACES_SAMPLER_ARG", "value": sampler_arg(sampling.rate)},
        {"name": "OTEL_PROPAGATORS", "value": "none"},
        {"name": "OPENINFERENCE_HIDE_INPUTS", "value": hide},
        {"name": "OPENINFERENCE_HIDE_OUTPUTS", "value": hide},
    ]


def redaction_config(patterns: Sequence[catalog.PiiPattern]) -> dict[str, Any]:
    """The redaction processor: every key kept, every pattern masked in every value."""
    return {
        "allow_all_keys": True,
        "blocked_values": [p.regex for p in patterns],
        # Counts only: the names of masked keys say nothing a reviewer needs.
        "summary": "info",
    }


def collector_config(
    *, bucket: str, region: str, patterns: Sequence[catalog.PiiPattern]
) -> dict[str, Any]:
    """The whole Collector configuration (the chart's ``alternateConfig``).

    No probabilistic_sampler: the spans arrive sampled (:func:`extproc_env`), the Collector
    admits only the gateway proxies (the ``collector`` NetworkPolicy), and a second draw would
    keep about rate² (its default hash_seed mode draws on an FNV hash of the trace id, the SDK
    on the id's low bits: probabilisticsamplerprocessor README at a stored commit).
    """
    return {
        "extensions": {"health_check": {"endpoint": f"${{env:MY_POD_IP}}:{HEALTH_PORT}"}},
        "receivers": {
            "otlp": {"protocols": {"http": {"endpoint": f"${{env:MY_POD_IP}}:{OTLP_HTTP_PORT}"}}}
        },
        "processors": {
            "memory_limiter": {
                "check_interval": "5s",
                "limit_percentage": 80,
                "spike_limit_percentage": 25,
            },
            "redaction": redaction_config(patterns),
            "batch": {},
        },
        "exporters": {
            "awss3": {
                "s3uploader": {
                    "region": region,
                    "s3_bucket": bucket,
                    "s3_prefix": S3_PREFIX,
                },
                "marshaler": "otlp_json",
            }
        },
        "service": {
            "extensions": ["health_check"],
            "pipelines": {
                "traces": {
                    "receivers": ["otlp"],
                    # Redacted before anything is batched or exported.
                    "processors": ["memory_limiter", "redaction", "batch"],
                    "exporters": ["awss3"],
                }
            },
        },
    }


def bucket_name(stack: str, region: str) -> str:
    """A fixed name: the Collector's config names the bucket before it exists."""
    return f"servegate-{stack}-payloads-{region}"[:63]


def collector_values(
    *,
    config: Mapping[str, Any],
    registry: RegistrySpec,
    role_arn: pulumi.Input[str],
    node_selector: Mapping[str, str],
) -> dict[str, Any]:
    """The opentelemetry-collector chart's values (keys read at the chart's tag)."""
    ports = {
        name: {"enabled": False}
        for name in ("otlp", "jaeger-compact", "jaeger-thrift", "jaeger-grpc", "zipkin")
    }
    ports["otlp-http"] = {"enabled": True}
    return {
        "mode": "deployment",
        "image": {
            "repository": registry.image(IMAGE.image),
            "tag": IMAGE.tag,
            "digest": IMAGE.digest or "",
        },
        "command": {"name": "otelcol-contrib"},
        "alternateConfig": dict(config),
        "ports": ports,
        "serviceAccount": {
            "create": True,
            "name": SERVICE_ACCOUNT,
            "annotations": {"eks.amazonaws.com/role-arn": role_arn},
            # IRSA injects its own projected web-identity token; the API token is not needed.
            "automountServiceAccountToken": False,
        },
        "podSecurityContext": {
            "runAsNonRoot": True,
            "runAsUser": COLLECTOR_UID,
            "runAsGroup": COLLECTOR_UID,
            "fsGroup": COLLECTOR_UID,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
            "runAsNonRoot": True,
        },
        "resources": {
            "requests": {"cpu": "100m", "memory": "256Mi"},
            "limits": {"memory": "512Mi"},
        },
        "nodeSelector": dict(node_selector),
    }


def writer_policy(bucket_arn: str, kms_key_arn: str, region: str) -> str:
    """Write objects under the capture prefix of one bucket, encrypted with one key, only."""
    return iam.document(
        [
            {
                "Sid": "WriteCapturedPayloads",
                "Effect": "Allow",
                "Action": "s3:PutObject",
                "Resource": f"{bucket_arn}/{S3_PREFIX}/*",
            },
            {
                "Sid": "EncryptCapturedPayloads",
                "Effect": "Allow",
                "Action": "kms:GenerateDataKey",
                "Resource": kms_key_arn,
                "Condition": {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}},
            },
        ]
    )


def tls_only_policy(bucket_arn: str) -> str:
    return iam.document([buckets.deny_insecure_transport(bucket_arn)])


@dataclass(frozen=True)
class PayloadCaptureArgs:
    """Inputs of :class:`PayloadCapture`."""

    stack: str
    region: str
    sampling: PayloadSamplingSpec
    """The share captured, the retention, whether spans carry payloads."""
    registry: RegistrySpec
    kms_key_arn: pulumi.Input[str]
    """The stack's customer-managed key the bucket is encrypted with."""
    oidc_provider_arn: pulumi.Input[str]
    oidc_provider_url: pulumi.Input[str]
    kubernetes_version: str
    node_selector: Mapping[str, str]
    proxy_namespace: str
    """Where the gateway's proxies (and their external processor) run."""
    proxy_pods: Mapping[str, str]
    """The labels of the stack's gateway proxy pods."""
    vpc_cidr: str
    """The STS interface endpoint IRSA calls lives in the VPC."""
    s3_cidrs: pulumi.Input[Sequence[str]]
    """The region's S3 prefix list (the gateway endpoint), the only way out to S3."""


class PayloadCapture(pulumi.ComponentResource):
    """The capture bucket, the Collector's role, namespace, NetworkPolicies and Helm release."""

    def __init__(
        self, name: str, args: PayloadCaptureArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("servegate:index:PayloadCapture", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        patterns = catalog.pii_patterns()
        bucket_id = bucket_name(args.stack, args.region)
        self.bucket = aws.s3.Bucket(
            f"{name}-bucket",
            bucket=bucket_id,
            force_destroy=False,
            tags={"servegate.io/purpose": "payload-capture"},
            opts=child,
        )
        public_access = buckets.private(f"{name}-bucket", self.bucket, child)
        buckets.kms_encrypted(f"{name}-bucket", self.bucket, args.kms_key_arn, child)
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-bucket",
            bucket=self.bucket.id,
            rules=[
                {
                    "id": "expire-captured-payloads",
                    "status": "Enabled",
                    "filter": {"prefix": f"{S3_PREFIX}/"},
                    "expiration": {"days": args.sampling.retention()},
                }
            ],
            opts=child,
        )
        aws.s3.BucketPolicy(
            f"{name}-bucket",
            bucket=self.bucket.id,
            policy=self.bucket.arn.apply(tls_only_policy),
            opts=pulumi.ResourceOptions.merge(
                child, pulumi.ResourceOptions(depends_on=[public_access])
            ),
        )
        role = aws.iam.Role(
            f"{name}-writer",
            assume_role_policy=pulumi.Output.all(
                args.oidc_provider_arn, args.oidc_provider_url
            ).apply(lambda v: iam.irsa_trust(v[0], v[1], NAMESPACE, SERVICE_ACCOUNT)),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-writer",
            role=role.id,
            policy=pulumi.Output.all(self.bucket.arn, args.kms_key_arn).apply(
                lambda v: writer_policy(v[0], v[1], args.region)
            ),
            opts=child,
        )

        spec = namespaces.PAYLOAD_CAPTURE_SPEC
        namespace = k8s.core.v1.Namespace(
            f"{name}-ns",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=spec.name, labels=spec.labels(args.kubernetes_version)
            ),
            opts=child,
        )
        in_namespace = pulumi.ResourceOptions(parent=self, depends_on=[namespace])
        for suffix, policy_namespace, body in _network_policies(args):
            k8s.networking.v1.NetworkPolicy(
                f"{name}-{suffix}",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=suffix, namespace=policy_namespace),
                spec=body,
                opts=in_namespace,
            )
        config = collector_config(bucket=bucket_id, region=args.region, patterns=patterns)
        self.release = k8s.helm.v3.Release(
            f"{name}-collector",
            k8s.helm.v3.ReleaseArgs(
                name=RELEASE,
                version=CHART.version,
                namespace=NAMESPACE,
                create_namespace=False,
                atomic=True,
                values=collector_values(
                    config=config,
                    registry=args.registry,
                    role_arn=role.arn,
                    node_selector=args.node_selector,
                ),
                **CHART.release_source(args.registry.charts),
            ),
            in_namespace,
        )
        self.bucket_name = self.bucket.bucket
        self.register_outputs(
            {"bucket": self.bucket.bucket, "role_arn": role.arn, "endpoint": collector_endpoint()}
        )


def _network_policies(args: PayloadCaptureArgs) -> list[tuple[str, str, Any]]:
    """(name, namespace, spec): default-deny in the capture namespace and the three flows."""
    # Imported here: network_policies imports the model-server module, which reads this one's
    # neighbours; the helpers are plain functions.
    from components import network_policies as np

    collector = np.pods(NAMESPACE, COLLECTOR_PODS)
    to_s3: dict[str, Any] = {
        "to": pulumi.Output.from_input(args.s3_cidrs).apply(
            lambda cidrs: [np.cidr(block) for block in cidrs]
        ),
        "ports": np.tcp(np.HTTPS_PORT),
    }
    return [
        (np.DEFAULT_DENY, NAMESPACE, np.default_deny()),
        (np.ALLOW_DNS, NAMESPACE, np.allow_dns()),
        (
            "collector",
            NAMESPACE,
            np.policy(
                COLLECTOR_PODS,
                ingress=[
                    {
                        "from": [np.pods(args.proxy_namespace, args.proxy_pods)],
                        "ports": np.tcp(OTLP_HTTP_PORT),
                    },
                    # The kubelet's probes of the health check.
                    {"from": [np.cidr(args.vpc_cidr)], "ports": np.tcp(HEALTH_PORT)},
                ],
                egress=[
                    to_s3,
                    # STS (IRSA's AssumeRoleWithWebIdentity) at its interface endpoint.
                    {"to": [np.cidr(args.vpc_cidr)], "ports": np.tcp(np.HTTPS_PORT)},
                ],
            ),
        ),
        (
            "proxy-to-payload-collector",
            args.proxy_namespace,
            np.policy(
                args.proxy_pods,
                egress=[{"to": [collector], "ports": np.tcp(OTLP_HTTP_PORT)}],
            ),
        ),
    ]


def extproc_values(sampling: PayloadSamplingSpec) -> dict[str, Any]:
    """The ai-gateway-helm values fragment: ``{"extProc": {"extraEnvVars": [...]}}``."""
    return {"extProc": {"extraEnvVars": extproc_env(sampling)}}
