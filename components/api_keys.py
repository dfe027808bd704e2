"""GatewayApiKeys: where the gateway's API keys come from, and the Secret they land in.

Two sources (``gateway.apiKeys.source``):

- ``secrets-manager``: one AWS Secrets Manager secret per client in the stack's region,
  encrypted with the stack's KMS key. Operators put each key there (``aws secretsmanager
  put-secret-value``); the value never passes through Pulumi. External Secrets Operator
  (pinned chart) syncs them into the Secret, reading through an IRSA role whose policy names
  exactly those secrets and that key.
- ``pulumi-config``: the secret config ``llm-serving:gatewayApiKeys`` (``pulumi config set
  --secret``), a JSON object of client id -> key, written into the Secret as Pulumi secrets.

Either way the Secret holds one entry per client id, ``Bearer <key>``: OpenAI clients send
``Authorization: Bearer <key>`` and Envoy Gateway compares the whole header value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi.runtime.config
import pulumi_aws as aws
import pulumi_kubernetes as k8s
from pulumi import Output, ResourceOptions

from components import iam, k8s_labels, versions
from components.component_kit import problem
from components.config import API_KEYS_CONFIG, CLIENT_ID, PROJECT, ApiKeysSpec, RegistrySpec

ESO_CHART = versions.chart("external-secrets")
ESO_IMAGE = versions.image("external-secrets")
ESO_API = "external-secrets.io/v1"
ESO_NAMESPACE = "external-secrets"
# ESO re-reads each secret this often, so a rotated key reaches the gateway within the hour.
REFRESH_INTERVAL = "1h"
# A deleted secret stays recoverable this long (the Secrets Manager maximum).
RECOVERY_WINDOW_DAYS = 30
MIN_KEY_LENGTH = 32
_CLIENT_ID = re.compile(CLIENT_ID)


def bearer(key: str) -> str:
    """The credential as the gateway compares it: the whole Authorization header value."""
    return f"Bearer {key}"


def keys_from_config() -> dict[str, Output[str]]:
    """Client id -> ``Bearer <key>`` (each a Pulumi secret) from ``llm-serving:gatewayApiKeys``.

    Client ids are not secret (the gateway forwards them in a header and the access log
    records them); each key is. A malformed value is a one-line ConfigError naming the key
    and never echoing a key.
    """
    key = f"{PROJECT}:{API_KEYS_CONFIG}"
    text = pulumi.runtime.config.get_config(key)
    if text is None:
        raise problem(key, "is required when gateway.apiKeys.source is pulumi-config")
    if not pulumi.runtime.config.is_config_secret(key):
        raise problem(key, "must be a secret (pulumi config set --secret)")
    try:
        raw = json.loads(text) if isinstance(text, str) else text
    except json.JSONDecodeError:
        raw = None
    if not isinstance(raw, dict) or not raw:
        raise problem(key, "must be a non-empty JSON object of client id -> API key")
    for client, value in raw.items():
        if not _CLIENT_ID.match(str(client)):
            raise problem(key, f"client id {client!r} must be lower-case letters, digits, -_.")
        if not isinstance(value, str) or len(value) < MIN_KEY_LENGTH:
            raise problem(
                key,
                f"the key of client {client!r} must be a string of {MIN_KEY_LENGTH}+ characters",
            )
    return {str(client): Output.secret(bearer(str(value))) for client, value in raw.items()}


def secret_name(stack: str, client: str) -> str:
    """The Secrets Manager name of one client's key."""
    return f"servegate/{stack}/gateway-api-keys/{client}"


def external_secret_spec(store: str, target: str, clients: Mapping[str, str]) -> dict[str, Any]:
    """ExternalSecret body: each client's Secrets Manager secret into one key of ``target``.

    ``clients`` maps client id -> Secrets Manager name. The template adds the ``Bearer``
    prefix, so the secret holds just the key.
    """
    return {
        "refreshInterval": REFRESH_INTERVAL,
        "secretStoreRef": {"kind": "SecretStore", "name": store},
        "target": {
            "name": target,
            "creationPolicy": "Owner",
            "template": {
                "type": "Opaque",
                "engineVersion": "v2",
                "data": {client: bearer(f'{{{{ index . "{client}" }}}}') for client in clients},
            },
        },
        "data": [
            {"secretKey": client, "remoteRef": {"key": name}} for client, name in clients.items()
        ],
    }


def eso_values(registry: RegistrySpec) -> dict[str, Any]:
    """External Secrets Operator chart values: its CRDs, and its images through the mirror."""
    values: dict[str, Any] = {"installCRDs": True}
    if registry.images:
        repository = registry.image(ESO_IMAGE.image)
        for part in ("", "webhook", "certController"):
            target = values.setdefault(part, {}) if part else values
            target["image"] = {"repository": repository, "tag": ESO_IMAGE.tag}
    return values


def operator_release(
    resource_name: str, registry: RegistrySpec, opts: ResourceOptions
) -> k8s.helm.v3.Release:
    """External Secrets Operator (pinned chart); one per stack, whichever component needs it."""
    return k8s.helm.v3.Release(
        resource_name,
        k8s.helm.v3.ReleaseArgs(
            name="external-secrets",
            version=ESO_CHART.version,
            namespace=ESO_NAMESPACE,
            create_namespace=True,
            atomic=True,
            values=eso_values(registry),
            **ESO_CHART.release_source(registry.charts),
        ),
        opts,
    )


@dataclass(frozen=True)
class SecretsReader:
    """An IRSA role allowed to read some Secrets Manager secrets, the ServiceAccount carrying
    it, and the External Secrets SecretStore that reads through it."""

    role: aws.iam.Role
    policy: aws.iam.RolePolicy
    account: k8s.core.v1.ServiceAccount
    store: k8s.apiextensions.CustomResource
    store_name: str


def secrets_reader(
    name: str,
    *,
    namespace: str,
    region: str,
    oidc_provider: tuple[pulumi.Input[str], pulumi.Input[str]],
    policy: pulumi.Input[str],
    purpose: str,
    metadata: Callable[[str, Mapping[str, pulumi.Input[str]] | None], k8s.meta.v1.ObjectMetaArgs],
    parent: pulumi.Resource,
    after: Sequence[pulumi.Resource] = (),
) -> SecretsReader:
    """``{name}-irsa``, ``{name}-read``, ``{name}-reader`` and ``{name}-store``: the reader of
    the secrets ``policy`` allows (``iam.secrets_reader_policy``), for ``purpose``. The store
    waits for ``after`` (the operator) and the role's policy."""
    child = ResourceOptions(parent=parent)
    service_account = f"{name}-reader"
    role = aws.iam.Role(
        f"{name}-irsa",
        assume_role_policy=Output.all(*oidc_provider).apply(
            lambda values: iam.irsa_trust(values[0], values[1], namespace, service_account)
        ),
        description=f"{namespace}/{service_account} (IRSA): reads {purpose}",
        opts=child,
    )
    role_policy = aws.iam.RolePolicy(f"{name}-read", role=role.id, policy=policy, opts=child)
    account = k8s.core.v1.ServiceAccount(
        f"{name}-reader",
        metadata=metadata(service_account, {"eks.amazonaws.com/role-arn": role.arn}),
        # ESO requests this account's token itself (TokenRequest); no pod mounts it.
        automount_service_account_token=False,
        opts=child,
    )
    store_name = f"{name}-store"
    store = k8s.apiextensions.CustomResource(
        store_name,
        api_version=ESO_API,
        kind="SecretStore",
        metadata=metadata(store_name, None),
        spec={
            "provider": {
                "aws": {
                    "service": "SecretsManager",
                    "region": region,
                    "auth": {"jwt": {"serviceAccountRef": {"name": service_account}}},
                }
            }
        },
        opts=ResourceOptions(parent=parent, depends_on=[*after, account, role_policy]),
    )
    return SecretsReader(role, role_policy, account, store, store_name)


@dataclass(frozen=True)
class GatewayApiKeysArgs:
    """Inputs of :class:`GatewayApiKeys`."""

    source: ApiKeysSpec
    """``gateway.apiKeys``: the source and, for Secrets Manager, the client ids."""
    stack: str
    """The stack's name; it prefixes the Secrets Manager names (:func:`secret_name`)."""
    region: str
    """The stack's region (Secrets Manager and the KMS key live there)."""
    namespace: str
    """Namespace of the gateway's SecurityPolicy, which the Secret must share."""
    secret_name: str
    """Name of the Kubernetes Secret the gateway's SecurityPolicy reads."""
    registry: RegistrySpec
    """Where External Secrets Operator's chart and image come from."""
    kms_key_arn: pulumi.Input[str]
    """The stack's customer-managed key (the cluster's): encrypts the Secrets Manager secrets."""
    oidc_provider_arn: pulumi.Input[str]
    """The cluster's IAM OIDC provider (IRSA)."""
    oidc_provider_url: pulumi.Input[str]
    """Its issuer URL without ``https://``."""


class GatewayApiKeys(pulumi.ComponentResource):
    """The gateway's API-key Secret, filled from Secrets Manager (via ESO) or secret config."""

    secret_name: str

    def __init__(
        self, name: str, args: GatewayApiKeysArgs, opts: ResourceOptions | None = None
    ) -> None:
        # Read (and reject) the config before declaring anything.
        config_keys = keys_from_config() if args.source.source == "pulumi-config" else None
        super().__init__("servegate:index:GatewayApiKeys", name, None, opts)
        self._args = args
        self.secret_name = args.secret_name
        self.declared: list[pulumi.Resource] = []
        if config_keys is not None:
            self._config_secret(name, config_keys)
        else:
            self._synced_secret(name, args.source.clients)
        self.register_outputs({"secret_name": self.secret_name})

    def _metadata(
        self, name: str, annotations: Mapping[str, pulumi.Input[str]] | None = None
    ) -> k8s.meta.v1.ObjectMetaArgs:
        return k8s.meta.v1.ObjectMetaArgs(
            name=name,
            namespace=self._args.namespace,
            labels=k8s_labels.gateway(),
            annotations=dict(annotations) if annotations else None,
        )

    def _config_secret(self, name: str, keys: Mapping[str, Output[str]]) -> None:
        self.declared.append(
            k8s.core.v1.Secret(
                f"{name}-secret",
                metadata=self._metadata(self.secret_name),
                type="Opaque",
                string_data=dict(keys),
                opts=ResourceOptions(parent=self),
            )
        )

    def _synced_secret(self, name: str, clients: Sequence[str]) -> None:
        args = self._args
        child = ResourceOptions(parent=self)
        names = {client: secret_name(args.stack, client) for client in clients}
        stored = [
            aws.secretsmanager.Secret(
                f"{name}-{client}",
                name=secrets_manager_name,
                description=f"API key of gateway client {client} (value set by operators)",
                kms_key_id=args.kms_key_arn,
                recovery_window_in_days=RECOVERY_WINDOW_DAYS,
                opts=child,
            )
            for client, secrets_manager_name in names.items()
        ]
        operator = operator_release(f"{name}-operator", args.registry, child)
        reader = secrets_reader(
            name,
            namespace=args.namespace,
            region=args.region,
            oidc_provider=(args.oidc_provider_arn, args.oidc_provider_url),
            policy=Output.all(args.kms_key_arn, *(s.arn for s in stored)).apply(
                lambda values: iam.secrets_reader_policy(args.region, values[1:], values[0])
            ),
            purpose="the gateway API keys",
            metadata=self._metadata,
            parent=self,
            after=[operator],
        )
        synced = k8s.apiextensions.CustomResource(
            f"{name}-sync",
            api_version=ESO_API,
            kind="ExternalSecret",
            metadata=self._metadata(f"{name}-sync"),
            spec=external_secret_spec(reader.store_name, self.secret_name, names),
            opts=ResourceOptions(parent=self, depends_on=[reader.store]),
        )
        self.declared += [
            *stored,
            reader.role,
            reader.policy,
            operator,
            reader.account,
            reader.store,
            synced,
        ]
