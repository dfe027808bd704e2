"""ExternalBackends: model APIs outside the cluster that the gateway may route to.

Per backend ``<b>`` of ``externalBackends[]``, in the gateway's namespace (Envoy Gateway v1.8,
Envoy AI Gateway v1.1.0, Gateway API v1.5.1; shapes read from their CRDs, vendored under
tests/vendor/crds):

- a ``Backend`` on the endpoint's hostname, port 443, annotated with the classifications it may
  receive and, for an endpoint compliance's table does not list, its declared processing region;
- an ``AIServiceBackend`` (its API schema) referencing it;
- a ``BackendTLSPolicy``: the endpoint's certificate is verified against the system CAs for
  its hostname;
- a ``BackendSecurityPolicy``: an API key from a Secret that External Secrets Operator syncs
  from AWS Secrets Manager (through an IRSA role allowed to read exactly those secrets), or,
  for Amazon Bedrock, AWS credentials from the default chain of the gateway proxies' pods: an
  EKS Pod Identity role allowed to invoke exactly the backend's models in its region.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
from pulumi import Output, ResourceOptions

from components import iam, k8s_labels
from components.api_keys import ESO_API, REFRESH_INTERVAL, operator_release, secrets_reader
from components.config import ExternalBackendSpec, RegistrySpec

EG_API = "gateway.envoyproxy.io/v1alpha1"
AI_GATEWAY_API = "aigateway.envoyproxy.io/v1beta1"
GATEWAY_API = "gateway.networking.k8s.io/v1"
HTTPS_PORT = 443
CLASSIFICATIONS_ANNOTATION = "servegate.io/classifications"
PROCESSING_REGION_ANNOTATION = "servegate.io/processing-region"
# Envoy AI Gateway v1.1.0 reads an API key from the Secret's "apiKey" entry
# (api/v1beta1/backendsecurity_policy.go, BackendSecurityPolicyAPIKey).
API_KEY_ENTRY = "apiKey"
# BackendSecurityPolicy type and field per API schema (api/v1beta1/backendsecurity_policy.go).
_KEY_POLICY = {
    "AzureOpenAI": ("AzureAPIKey", "azureAPIKey"),
    "Anthropic": ("AnthropicAPIKey", "anthropicAPIKey"),
}
_DEFAULT_KEY_POLICY = ("APIKey", "apiKey")
# The OpenAI-compatible APIs serve under /v1 (v1beta1 reads the path from "prefix").
_PREFIXED_SCHEMAS = frozenset({"OpenAI"})
# Bedrock's runtime calls the gateway makes (InvokeModel, and the streaming variant).
BEDROCK_INVOKE_ACTIONS = ("bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream")


def resource_name(gateway: str, backend: str) -> str:
    """The Kubernetes name of a backend's Backend, AIServiceBackend and policies."""
    return f"{gateway}-{backend}"


def backend_spec(backend: ExternalBackendSpec) -> dict[str, Any]:
    return {"endpoints": [{"fqdn": {"hostname": backend.hostname, "port": HTTPS_PORT}}]}


def backend_annotations(backend: ExternalBackendSpec, known: bool) -> dict[str, str]:
    """What the backend may receive (as declared) and, when compliance's table does not list
    its endpoint (``known`` False), where it says it processes data."""
    annotations = {CLASSIFICATIONS_ANNOTATION: ",".join(backend.classifications)}
    if not known and backend.processing_region:
        annotations[PROCESSING_REGION_ANNOTATION] = backend.processing_region
    return annotations


def ai_service_backend_spec(backend: ExternalBackendSpec, name: str) -> dict[str, Any]:
    schema: dict[str, Any] = {"name": backend.schema_}
    if backend.schema_ in _PREFIXED_SCHEMAS:
        schema["prefix"] = "v1"
    return {
        "schema": schema,
        "backendRef": {"group": "gateway.envoyproxy.io", "kind": "Backend", "name": name},
    }


def tls_policy_spec(backend: ExternalBackendSpec, name: str) -> dict[str, Any]:
    return {
        "targetRefs": [{"group": "gateway.envoyproxy.io", "kind": "Backend", "name": name}],
        "validation": {"hostname": backend.hostname, "wellKnownCACertificates": "System"},
    }


def key_secret_name(name: str) -> str:
    return f"{name}-api-key"


def security_policy_spec(backend: ExternalBackendSpec, name: str) -> dict[str, Any]:
    """The backend's credential: AWS credentials (Bedrock) or the synced API-key Secret."""
    target = [{"group": "aigateway.envoyproxy.io", "kind": "AIServiceBackend", "name": name}]
    if backend.credentials.source == "pod-identity":
        # No credentials file: the AWS SDK's default chain (EKS Pod Identity) in the proxy pod.
        return {
            "targetRefs": target,
            "type": "AWSCredentials",
            "awsCredentials": {"region": backend.region},
        }
    kind, field = _KEY_POLICY.get(backend.schema_, _DEFAULT_KEY_POLICY)
    return {
        "targetRefs": target,
        "type": kind,
        field: {"secretRef": {"name": key_secret_name(name)}},
    }


def external_secret_spec(store: str, name: str, secret: str) -> dict[str, Any]:
    """ExternalSecret body: the Secrets Manager secret into the ``apiKey`` entry of the Secret
    the BackendSecurityPolicy reads."""
    return {
        "refreshInterval": REFRESH_INTERVAL,
        "secretStoreRef": {"kind": "SecretStore", "name": store},
        "target": {"name": key_secret_name(name), "creationPolicy": "Owner"},
        "data": [{"secretKey": API_KEY_ENTRY, "remoteRef": {"key": secret}}],
    }


def secret_arn(region: str, account: str, secret: str) -> str:
    """An IAM resource for a secret given by name or ARN (Secrets Manager appends six random
    characters to the name in the ARN)."""
    if secret.startswith("arn:"):
        return secret
    return f"arn:{iam.partition(region)}:secretsmanager:{region}:{account}:secret:{secret}-??????"


def bedrock_model_arns(region: str, account: str, model_id: str) -> list[str]:
    """What invoking ``model_id`` in ``region`` is authorised on: the foundation model, or for
    a cross-region inference profile (a geography prefix such as ``eu.``) the profile and the
    foundation model in every region it may route to."""
    arn = f"arn:{iam.partition(region)}:bedrock"
    head, _, rest = model_id.partition(".")
    if rest and head in {"us", "eu", "apac", "ca", "jp", "au", "global", "us-gov"}:
        return [
            f"{arn}:{region}:{account}:inference-profile/{model_id}",
            f"{arn}:*::foundation-model/{rest}",
        ]
    return [f"{arn}:{region}::foundation-model/{model_id}"]


def bedrock_invoke_policy(region: str, account: str, model_ids: Sequence[str]) -> str:
    """InvokeModel (and its streaming variant) on exactly ``model_ids``."""
    resources = sorted({r for m in model_ids for r in bedrock_model_arns(region, account, m)})
    return iam.document(
        [
            {
                "Sid": "InvokeDeclaredModels",
                "Effect": "Allow",
                "Action": list(BEDROCK_INVOKE_ACTIONS),
                "Resource": resources,
            }
        ]
    )


def _invoke_policy(region: str, models: Sequence[str]) -> Callable[[str], str]:
    """The invoke policy, once the stack key's ARN (naming the account) is known."""
    return lambda key: bedrock_invoke_policy(region, iam.account_of(key), models)


def pod_identity_trust() -> str:
    """Trust of a role EKS Pod Identity hands to pods (pods.eks.amazonaws.com)."""
    return iam.document(
        [
            {
                "Effect": "Allow",
                "Principal": {"Service": "pods.eks.amazonaws.com"},
                "Action": ["sts:AssumeRole", "sts:TagSession"],
            }
        ]
    )


@dataclass(frozen=True)
class ExternalBackendsArgs:
    """Inputs of :class:`ExternalBackends`."""

    backends: Sequence[ExternalBackendSpec]
    gateway_name: str
    """The ModelGateway's name: it prefixes every resource name."""
    namespace: str
    """The gateway's namespace (its route, backends and policies)."""
    known_endpoints: frozenset[str]
    """Hostnames compliance's table (policies/data/external_endpoints.yaml) lists."""
    region: str
    """The stack's region (Secrets Manager, the IRSA role's secrets)."""
    registry: RegistrySpec
    """Where External Secrets Operator comes from when this component installs it."""
    install_operator: bool
    """Install External Secrets Operator (False when the gateway's API keys already did)."""
    kms_key_arn: pulumi.Input[str]
    """The stack's key: it may encrypt the secrets; its ARN also names the account."""
    oidc_provider_arn: pulumi.Input[str]
    oidc_provider_url: pulumi.Input[str]
    cluster_name: pulumi.Input[str]
    proxy_namespace: str
    """Where the gateway's proxies run (Envoy Gateway's namespace)."""
    proxy_service_account: str
    """The proxies' service account (EnvoyProxy ``envoyServiceAccount``): Bedrock's role."""


class ExternalBackends(pulumi.ComponentResource):
    """The Backend, AIServiceBackend, BackendTLSPolicy and BackendSecurityPolicy of each
    external backend, and the credentials they use."""

    names: dict[str, str]
    """Backend name -> the Kubernetes name of its AIServiceBackend."""

    def __init__(
        self, name: str, args: ExternalBackendsArgs, opts: ResourceOptions | None = None
    ) -> None:
        super().__init__("servegate:index:ExternalBackends", name, None, opts)
        self._args = args
        self.declared: list[pulumi.Resource] = []
        child = ResourceOptions(parent=self)
        self.names = {}
        for backend in args.backends:
            self.names[backend.name] = self._backend(backend, child)
        keyed = [b for b in args.backends if b.credentials.source == "secrets-manager"]
        if keyed:
            self._synced_keys(name, keyed, child)
        bedrock = [b for b in args.backends if b.credentials.source == "pod-identity"]
        if bedrock:
            self._bedrock_role(name, bedrock, child)
        self.register_outputs({"names": self.names})

    def _own(self, resource: pulumi.Resource) -> None:
        self.declared.append(resource)

    def _metadata(
        self, name: str, annotations: Mapping[str, pulumi.Input[str]] | None = None
    ) -> k8s.meta.v1.ObjectMetaArgs:
        return k8s.meta.v1.ObjectMetaArgs(
            name=name,
            namespace=self._args.namespace,
            labels=k8s_labels.gateway(),
            annotations=dict(annotations) if annotations else None,
        )

    def _custom(
        self,
        resource: str,
        api_version: str,
        kind: str,
        metadata: k8s.meta.v1.ObjectMetaArgs,
        spec: Mapping[str, Any],
        opts: ResourceOptions,
    ) -> k8s.apiextensions.CustomResource:
        created = k8s.apiextensions.CustomResource(
            resource,
            api_version=api_version,
            kind=kind,
            metadata=metadata,
            spec=dict(spec),
            opts=opts,
        )
        self._own(created)
        return created

    def _backend(self, backend: ExternalBackendSpec, child: ResourceOptions) -> str:
        args = self._args
        name = resource_name(args.gateway_name, backend.name)
        known = backend.hostname in args.known_endpoints
        meta = self._metadata
        self._custom(
            f"{name}-backend",
            EG_API,
            "Backend",
            meta(name, backend_annotations(backend, known)),
            backend_spec(backend),
            child,
        )
        self._custom(
            f"{name}-ai-backend",
            AI_GATEWAY_API,
            "AIServiceBackend",
            meta(name),
            ai_service_backend_spec(backend, name),
            child,
        )
        self._custom(
            f"{name}-tls",
            GATEWAY_API,
            "BackendTLSPolicy",
            meta(name),
            tls_policy_spec(backend, name),
            child,
        )
        self._custom(
            f"{name}-credentials",
            AI_GATEWAY_API,
            "BackendSecurityPolicy",
            meta(name),
            security_policy_spec(backend, name),
            child,
        )
        return name

    def _synced_keys(
        self, name: str, backends: Sequence[ExternalBackendSpec], child: ResourceOptions
    ) -> None:
        """A SecretStore reading through an IRSA role allowed exactly these secrets, and one
        ExternalSecret per backend."""
        args = self._args
        secrets = [b.credentials.secret or "" for b in backends]
        after: list[pulumi.Resource] = []
        if args.install_operator:
            operator = operator_release(f"{name}-operator", args.registry, child)
            self._own(operator)
            after.append(operator)
        region = args.region
        reader = secrets_reader(
            name,
            namespace=args.namespace,
            region=region,
            oidc_provider=(args.oidc_provider_arn, args.oidc_provider_url),
            policy=Output.from_input(args.kms_key_arn).apply(
                lambda key: iam.secrets_reader_policy(
                    region, [secret_arn(region, iam.account_of(key), s) for s in secrets], key
                )
            ),
            purpose="external backends' keys",
            metadata=self._metadata,
            parent=self,
            after=after,
        )
        for resource in (reader.role, reader.policy, reader.account, reader.store):
            self._own(resource)
        for backend in backends:
            target = resource_name(args.gateway_name, backend.name)
            self._custom(
                f"{target}-key-sync",
                ESO_API,
                "ExternalSecret",
                self._metadata(f"{target}-key-sync"),
                external_secret_spec(reader.store_name, target, backend.credentials.secret or ""),
                ResourceOptions(parent=self, depends_on=[reader.store]),
            )

    def _bedrock_role(
        self, name: str, backends: Sequence[ExternalBackendSpec], child: ResourceOptions
    ) -> None:
        """One role for the proxies' pods, allowed to invoke each Bedrock backend's models in
        its region, associated with their service account by EKS Pod Identity."""
        args = self._args
        role = aws.iam.Role(
            f"{name}-bedrock",
            assume_role_policy=pod_identity_trust(),
            description=(
                f"{args.proxy_namespace}/{args.proxy_service_account} (EKS Pod Identity): "
                "invokes the declared Bedrock models"
            ),
            opts=child,
        )
        self._own(role)
        for backend in backends:
            region = backend.region or args.region
            models = list(backend.models.values())
            self._own(
                aws.iam.RolePolicy(
                    f"{name}-bedrock-{backend.name}",
                    role=role.id,
                    policy=Output.from_input(args.kms_key_arn).apply(
                        _invoke_policy(region, models)
                    ),
                    opts=child,
                )
            )
        self._own(
            aws.eks.PodIdentityAssociation(
                f"{name}-bedrock",
                cluster_name=args.cluster_name,
                namespace=args.proxy_namespace,
                service_account=args.proxy_service_account,
                role_arn=role.arn,
                opts=child,
            )
        )
