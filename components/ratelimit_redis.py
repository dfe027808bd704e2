"""TLS between Envoy Gateway's rate-limit service and its Redis, from a CA in Pulumi state.

The Pulumi TLS provider makes a private CA, a server certificate for the Redis Service's DNS
names and a client certificate for the rate-limit service. Keys live only in the stack's
state (encrypted, as Pulumi secrets) and in the two ``kubernetes.io/tls`` Secrets; no
controller (cert-manager) has to run before the gateway can count tokens. What each side
reads is vendored in ``components/data/redis_tls.yaml``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, cast

import pulumi
import pulumi_kubernetes as k8s
import pulumi_tls as tls
from pulumi import Input, Output, ResourceOptions

from components import yaml_data

REDIS_TLS_FILE = Path(__file__).resolve().parent / "data" / "redis_tls.yaml"
# One port, TLS only: the Service, the NetworkPolicies and the server agree on it.
REDIS_PORT = 6379
SERVER_SECRET = "ratelimit-redis-server-tls"
CLIENT_SECRET = "ratelimit-redis-client-tls"
# The keys of a kubernetes.io/tls Secret, plus the CA that signed it.
CERT_KEY, KEY_KEY, CA_KEY = "tls.crt", "tls.key", "ca.crt"
# Leaf certificates last a year and are re-issued by the first `pulumi up` in their last 30
# days (the provider's early renewal); the CA lasts five years.
LEAF_HOURS = 365 * 24
RENEW_HOURS = 30 * 24
CA_HOURS = 5 * 365 * 24
# Pod template annotation carrying the certificate's digest: a re-issued certificate rolls
# the pods, since neither redis-server nor the rate-limit service reloads certificate files.
CERT_DIGEST_ANNOTATION = "servegate.io/redis-tls-cert-sha256"


@dataclass(frozen=True)
class RedisTlsFacts:
    """What Envoy Gateway and envoyproxy/ratelimit read (components/data/redis_tls.yaml)."""

    secret_type: str
    certificate_mount: str
    ca_env: str


@cache
def facts() -> RedisTlsFacts:
    document: dict[str, Any] = yaml_data.safe_load(REDIS_TLS_FILE.read_text())
    eg, ratelimit = document["envoy_gateway"], document["ratelimit"]
    return RedisTlsFacts(
        secret_type=str(eg["secret_type"]),
        certificate_mount=str(eg["certificate_mount"]),
        ca_env=str(ratelimit["ca_env"]),
    )


def rate_limit_tls_env() -> list[dict[str, Any]]:
    """The CA the rate-limit service verifies Redis against: the ca.crt of the Secret Envoy
    Gateway mounts for ``tls.certificateRef`` (EG sets no CA variable of its own)."""
    mount = facts().certificate_mount
    return [{"name": facts().ca_env, "value": f"{mount}/{CA_KEY}"}]


def rate_limit_tls_settings() -> dict[str, Any]:
    """``rateLimit.backend.redis.tls``: TLS on, with the rate-limit service's client certificate."""
    return {"certificateRef": {"kind": "Secret", "name": CLIENT_SECRET}}


@dataclass(frozen=True)
class KeyPair:
    """A certificate and its private key (a Pulumi secret), PEM."""

    cert_pem: Output[str]
    key_pem: Output[str]


@dataclass(frozen=True)
class RedisCertificates:
    """The CA and the two leaf certificates it signed."""

    ca_cert_pem: Output[str]
    server: KeyPair
    client: KeyPair
    resources: Sequence[pulumi.Resource]


def _secret(pem: Output[str]) -> Output[str]:
    # The provider marks its key outputs secret; marked again here, so no engine or mock that
    # skips additional_secret_outputs can send a key in the clear.
    return Output.secret(cast("Input[str]", pem))


def _key(name: str, opts: ResourceOptions) -> tls.PrivateKey:
    return tls.PrivateKey(name, algorithm="ECDSA", ecdsa_curve="P256", opts=opts)


def issue_certificates(
    name: str, server_names: Sequence[str], opts: ResourceOptions
) -> RedisCertificates:
    """A CA, a server certificate for ``server_names`` (plus localhost, for the probes) and a
    client certificate; the server's also authenticates clients, as the probes present it."""
    ca_key = _key(f"{name}-redis-ca-key", opts)
    ca = tls.SelfSignedCert(
        f"{name}-redis-ca",
        private_key_pem=_secret(ca_key.private_key_pem),
        subject=tls.SelfSignedCertSubjectArgs(common_name=f"{name} rate-limit Redis CA"),
        is_ca_certificate=True,
        validity_period_hours=CA_HOURS,
        early_renewal_hours=RENEW_HOURS,
        allowed_uses=["cert_signing", "crl_signing"],
        opts=opts,
    )
    resources: list[pulumi.Resource] = [ca_key, ca]

    def leaf(suffix: str, common_name: str, uses: list[str], **sans: Any) -> KeyPair:
        key = _key(f"{name}-redis-{suffix}-key", opts)
        request = tls.CertRequest(
            f"{name}-redis-{suffix}-csr",
            private_key_pem=_secret(key.private_key_pem),
            subject=tls.CertRequestSubjectArgs(common_name=common_name),
            opts=opts,
            **sans,
        )
        cert = tls.LocallySignedCert(
            f"{name}-redis-{suffix}-cert",
            cert_request_pem=request.cert_request_pem,
            ca_private_key_pem=_secret(ca_key.private_key_pem),
            ca_cert_pem=ca.cert_pem,
            validity_period_hours=LEAF_HOURS,
            early_renewal_hours=RENEW_HOURS,
            allowed_uses=["digital_signature", "key_encipherment", *uses],
            opts=opts,
        )
        resources.extend([key, request, cert])
        return KeyPair(cert.cert_pem, _secret(key.private_key_pem))

    server = leaf(
        "server",
        server_names[0],
        ["server_auth", "client_auth"],
        dns_names=[*server_names, "localhost"],
        ip_addresses=["127.0.0.1"],
    )
    client = leaf("client", "envoy-ratelimit", ["client_auth"])
    return RedisCertificates(ca.cert_pem, server, client, resources)


def tls_secret(
    resource_name: str,
    secret_name: str,
    namespace: str,
    pair: KeyPair,
    ca_cert_pem: Output[str],
    labels: dict[str, str],
    opts: ResourceOptions,
) -> k8s.core.v1.Secret:
    """A ``kubernetes.io/tls`` Secret (the type Envoy Gateway's certificateRef takes) with
    the CA beside the pair; the whole payload is a Pulumi secret."""
    return k8s.core.v1.Secret(
        resource_name,
        metadata=k8s.meta.v1.ObjectMetaArgs(name=secret_name, namespace=namespace, labels=labels),
        type=facts().secret_type,
        string_data=Output.all(pair.cert_pem, pair.key_pem, ca_cert_pem).apply(
            lambda pems: {CERT_KEY: pems[0], KEY_KEY: pems[1], CA_KEY: pems[2]}
        ),
        opts=opts,
    )


def cert_digest(cert_pem: Output[str]) -> Output[str]:
    """The SHA-256 of a certificate (public), for :data:`CERT_DIGEST_ANNOTATION`."""
    return cert_pem.apply(lambda pem: hashlib.sha256(pem.encode()).hexdigest())
