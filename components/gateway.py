"""The one OpenAI-compatible entry point: Envoy Gateway + Envoy AI Gateway in front of vLLM.

Envoy AI Gateway extracts the ``model`` field of each OpenAI request body into the
``x-ai-eg-model`` header before routing, so one AIGatewayRoute rule per model (matched on
that header) sends each request to its model's stable Service, or to its canary by weight.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
from pulumi import Input, Output, ResourceOptions

from components import k8s_labels, namespaces, ratelimit_redis, shadow_mirror, versions
from components.component_kit import DeclaresResources, problem
from components.config import PROJECT, GatewaySpec, RateLimitSpec, RegistrySpec
from components.ratelimit_redis import REDIS_PORT
from components.routing import Hop, RouteRule
from components.vllm import VLLM_PORT, VllmDeployment

# Envoy AI Gateway v1.1 (aigateway.envoyproxy.io/v1beta1) is built against Envoy Gateway
# v1.8 (gateway.envoyproxy.io/v1alpha1, Gateway API v1.5); the pins and their sources are
# in components/data/versions.yaml.
ENVOY_GATEWAY = versions.chart("envoy-gateway")
AI_GATEWAY_CRDS = versions.chart("ai-gateway-crds")
AI_GATEWAY = versions.chart("ai-gateway")
ENVOY_PROXY_IMAGE = versions.image("envoy-proxy")
AI_GATEWAY_CONTROLLER_IMAGE = versions.image("ai-gateway-controller")
AI_GATEWAY_EXTPROC_IMAGE = versions.image("ai-gateway-extproc")
REDIS_IMAGE = versions.image("redis")
EG_API = "gateway.envoyproxy.io/v1alpha1"
AI_GATEWAY_API = "aigateway.envoyproxy.io/v1beta1"
GATEWAY_API = "gateway.networking.k8s.io/v1"
ENVOY_GATEWAY_NAMESPACE = namespaces.ENVOY_GATEWAY
AI_GATEWAY_NAMESPACE = namespaces.AI_GATEWAY
CONTROLLER_NAME = "gateway.envoyproxy.io/gatewayclass-controller"
LISTENER_PORT = 443
LISTENER_NAME = "https"

CLIENT_ID_HEADER = "x-servegate-client"
MODEL_HEADER = "x-ai-eg-model"
# The classification a client claims for a request (components.routing says when it counts).
CLASSIFICATION_HEADER = "x-data-classification"
AI_GATEWAY_METADATA = "io.envoy.ai_gateway"
TOTAL_TOKENS_KEY = "llm_total_token"
# Streaming generations run long; Envoy AI Gateway's 60 s default would cut them off.
REQUEST_TIMEOUT = "300s"
# The rate-limit Redis's password: one Secret of this name in the Redis's namespace and one
# in Envoy Gateway's (where the rate-limit service runs), with the same value.
REDIS_AUTH_SECRET = "ratelimit-redis-auth"
REDIS_AUTH_KEY = "password"
# A user above 10000 (never one of the node's, Checkov CKV_K8S_40) rather than the image's
# "redis" (999): redis-server writes only to the emptyDir, which any user may write.
REDIS_UID = 10001
# The password reaches the server as a file of the Secret, never as an environment variable
# (env is visible to anything that can read the pod's process environment).
REDIS_AUTH_DIR = "/etc/redis-auth"
# The server's certificate, key and CA (components.ratelimit_redis.SERVER_SECRET).
REDIS_TLS_DIR = "/etc/redis-tls"

# What the access log records: who asked which model, the outcome and its cost; never a
# request or response body, and never the credential header.
ACCESS_LOG_FIELDS: dict[str, str] = {
    "start_time": "%START_TIME%",
    "request_id": "%REQ(X-REQUEST-ID)%",
    "client_address": "%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%",
    "client_id": f"%REQ({CLIENT_ID_HEADER.upper()})%",
    "method": "%REQ(:METHOD)%",
    "path": "%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%",
    "protocol": "%PROTOCOL%",
    "model": f"%REQ({MODEL_HEADER.upper()})%",
    "response_code": "%RESPONSE_CODE%",
    "response_flags": "%RESPONSE_FLAGS%",
    "bytes_received": "%BYTES_RECEIVED%",
    "bytes_sent": "%BYTES_SENT%",
    "duration_ms": "%DURATION%",
    "upstream_host": "%UPSTREAM_HOST%",
    "total_tokens": f"%DYNAMIC_METADATA({AI_GATEWAY_METADATA}:{TOTAL_TOKENS_KEY})%",
    # The class the client claimed, and the route rule that matched (whose class the request
    # was routed as: a rule per model and class, or the model's catch-all).
    "classification": f"%REQ({CLASSIFICATION_HEADER.upper()})%",
    "route": "%ROUTE_NAME%",
    # The AIServiceBackend that served it ("<namespace>/<name>"), as Envoy AI Gateway v1.1.0's
    # external processor records it (internal/extproc/processor_impl.go).
    "backend": f"%DYNAMIC_METADATA({AI_GATEWAY_METADATA}:ai_service_backend_name)%",
}


@dataclass(frozen=True)
class ModelGatewayArgs:
    """Inputs of :class:`ModelGateway`."""

    gateway: GatewaySpec
    """Hostname, TLS secret, auth, replicas, load balancer scheme and rate limits."""
    registry: RegistrySpec
    """Where the charts and images come from (in-region mirrors when air-gapped)."""
    models: Sequence[VllmDeployment]
    """The model servers the gateway routes to."""
    namespace: str
    """Namespace of the Gateway, its policies, route and backends."""
    models_namespace: str
    """Namespace of the models' Services."""
    api_keys_secret: str | None = None
    """The Secret of client id -> ``Bearer <key>`` (components.api_keys); api-key auth needs it."""
    rules: Sequence[RouteRule] | None = None
    """The route's rules (components.routing.plan_routes); default one per model, all classes."""
    external_backends: Mapping[str, str] | None = None
    """External backend name -> its AIServiceBackend's name (components.external_backends)."""
    proxy_service_account: str | None = None
    """A fixed service account for the proxies (the Bedrock role's Pod Identity needs one)."""
    extproc_env: Sequence[Mapping[str, str]] = ()
    """Extra environment of the external processor (payload capture's tracing, see
    components.payload_capture.extproc_env); empty: no tracing."""


def redis_auth_env(secret: str) -> list[dict[str, Any]]:
    """The rate-limit service's Redis password (envoyproxy/ratelimit reads ``REDIS_AUTH``)
    and the CA it verifies the Redis server against (``REDIS_TLS_CACERT``).

    Envoy Gateway v1.8's ``RateLimitRedisSettings`` has only ``url`` and ``tls``; the
    password and the CA's path reach the service as env vars of
    ``rateLimitDeployment.container``.
    """
    return [
        {
            "name": "REDIS_AUTH",
            "valueFrom": {"secretKeyRef": {"name": secret, "key": REDIS_AUTH_KEY}},
        },
        *ratelimit_redis.rate_limit_tls_env(),
    ]


def gateway_helm_values(
    registry: RegistrySpec,
    redis_url: Input[str],
    redis_auth_secret: str,
    client_cert_digest: Input[str] | None = None,
) -> dict[str, Any]:
    """Envoy Gateway values: the AI Gateway extension, Backend API and Redis-backed limits
    over TLS (the rate-limit pods roll when ``client_cert_digest`` changes)."""
    rate_limit_deployment: dict[str, Any] = {
        "container": {"env": redis_auth_env(redis_auth_secret)}
    }
    if client_cert_digest is not None:
        rate_limit_deployment["pod"] = {
            "annotations": {ratelimit_redis.CERT_DIGEST_ANNOTATION: client_cert_digest}
        }
    values: dict[str, Any] = {
        "config": {
            "envoyGateway": {
                "gateway": {"controllerName": CONTROLLER_NAME},
                "provider": {
                    "type": "Kubernetes",
                    "kubernetes": {"rateLimitDeployment": rate_limit_deployment},
                },
                "logging": {"level": {"default": "info"}},
                "extensionApis": {"enableEnvoyPatchPolicy": True, "enableBackend": True},
                "extensionManager": {
                    "hooks": {
                        "xdsTranslator": {
                            "translation": {
                                kind: {"includeAll": True}
                                for kind in ("listener", "route", "cluster", "secret")
                            },
                            "post": ["Translation", "Cluster", "Route"],
                        }
                    },
                    "service": {
                        "fqdn": {
                            "hostname": (
                                f"ai-gateway-controller.{AI_GATEWAY_NAMESPACE}.svc.cluster.local"
                            ),
                            "port": 1063,
                        }
                    },
                },
                "rateLimit": {
                    "backend": {
                        "type": "Redis",
                        "redis": {
                            "url": redis_url,
                            "tls": ratelimit_redis.rate_limit_tls_settings(),
                        },
                    }
                },
            }
        }
    }
    if registry.images:
        values["global"] = {"imageRegistry": registry.images.rstrip("/")}
    return values


def ai_gateway_helm_values(
    registry: RegistrySpec, extproc_env: Sequence[Mapping[str, str]] = ()
) -> dict[str, Any]:
    """Envoy AI Gateway values: its images through the registry mirror, and the external
    processor's extra environment (``extProc.extraEnvVars``, e.g. its tracing)."""
    values: dict[str, Any] = {}
    if registry.images:
        values = {
            "controller": {
                "image": {"repository": registry.image(AI_GATEWAY_CONTROLLER_IMAGE.image)}
            },
            "extProc": {"image": {"repository": registry.image(AI_GATEWAY_EXTPROC_IMAGE.image)}},
        }
    if extproc_env:
        values.setdefault("extProc", {})["extraEnvVars"] = [dict(var) for var in extproc_env]
    return values


def envoy_proxy_spec(
    gateway: GatewaySpec, registry: RegistrySpec, service_account: str | None = None
) -> dict[str, Any]:
    """EnvoyProxy: replicas, PDB, an AWS NLB (internal unless internet-facing), JSON access log."""
    scheme = "internet-facing" if gateway.internet_facing else "internal"
    container: dict[str, Any] = {
        "resources": {"requests": {"cpu": "500m", "memory": "512Mi"}, "limits": {"memory": "1Gi"}}
    }
    if registry.images:
        container["image"] = registry.image(ENVOY_PROXY_IMAGE.reference)
    selector = {
        "app.kubernetes.io/component": "proxy",
        "app.kubernetes.io/managed-by": "envoy-gateway",
    }
    return {
        "provider": {
            "type": "Kubernetes",
            "kubernetes": {
                "envoyDeployment": {
                    "replicas": gateway.replicas,
                    "container": container,
                    "pod": {
                        "labels": k8s_labels.gateway(),
                        "topologySpreadConstraints": [
                            {
                                "maxSkew": 1,
                                "topologyKey": "topology.kubernetes.io/zone",
                                "whenUnsatisfiable": "ScheduleAnyway",
                                "labelSelector": {"matchLabels": selector},
                            }
                        ],
                    },
                },
                "envoyPDB": {"minAvailable": 1},
                **({"envoyServiceAccount": {"name": service_account}} if service_account else {}),
                "envoyService": {
                    "type": "LoadBalancer",
                    "annotations": {
                        "service.beta.kubernetes.io/aws-load-balancer-scheme": scheme,
                        "service.beta.kubernetes.io/aws-load-balancer-type": "external",
                        "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "ip",
                    },
                },
            },
        },
        "telemetry": {
            "accessLog": {
                "settings": [
                    {
                        "format": {"type": "JSON", "json": dict(ACCESS_LOG_FIELDS)},
                        "sinks": [{"type": "File", "file": {"path": "/dev/stdout"}}],
                    }
                ]
            }
        },
    }


def rate_limit_spec(limits: RateLimitSpec) -> dict[str, Any]:
    """Requests per second per Envoy replica (local) and total tokens per minute per client
    (global, charged after each response from the AI Gateway's ``llmRequestCosts``).

    Global limits need Envoy Gateway's rate-limit service and its Redis; the token rule
    checks the budget on the request (cost 0) and debits the tokens on the response.
    """
    per_client = [{"headers": [{"name": CLIENT_ID_HEADER, "type": "Distinct"}]}]
    return {
        "local": {"rules": [{"limit": {"requests": limits.requests_per_second, "unit": "Second"}}]},
        "global": {
            "rules": [
                {
                    "clientSelectors": per_client,
                    "limit": {"requests": limits.tokens_per_minute, "unit": "Minute"},
                    "cost": {
                        "request": {"from": "Number", "number": 0},
                        "response": {
                            "from": "Metadata",
                            "metadata": {"namespace": AI_GATEWAY_METADATA, "key": TOTAL_TOKENS_KEY},
                        },
                    },
                }
            ]
        },
    }


def default_rules(models: Sequence[VllmDeployment]) -> list[RouteRule]:
    """One rule per self-hosted model, on its served name alone (no external backends)."""
    return [
        RouteRule(model.served_model_name, None, "", None, (Hop(model.model_name, False, 0, None),))
        for model in models
    ]


def claimants_pattern(clients: Sequence[str]) -> str:
    """An RE2 pattern matching exactly these client ids (the whole header value)."""
    return "^(" + "|".join(re.escape(client) for client in clients) + ")$"


def _gateway_ref(name: str) -> dict[str, str]:
    return {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": name}


class ModelGateway(DeclaresResources, pulumi.ComponentResource):
    """Envoy Gateway + Envoy AI Gateway: TLS on 443, API-key or OIDC auth, rate limits,
    JSON access logs, and one route rule per model with canary weights."""

    endpoint: str
    hostname: str

    def __init__(
        self, name: str, args: ModelGatewayArgs, opts: ResourceOptions | None = None
    ) -> None:
        gateway = args.gateway
        if gateway.auth == "oidc" and not gateway.oidc_issuer:
            raise problem(f"{PROJECT}:gateway.oidcIssuer", "is required when gateway.auth is oidc")
        if gateway.auth == "api-key" and args.api_keys_secret is None:
            raise problem(f"{PROJECT}:gateway.apiKeys", "is required when gateway.auth is api-key")
        super().__init__("servegate:index:ModelGateway", name, None, opts)
        self.declared = []
        self._gateway, self._registry = gateway, args.registry
        self._namespace, self._models_namespace = args.namespace, args.models_namespace
        labels = k8s_labels.gateway()

        redis_url, certificates = self._redis(name)
        eg = self._release(
            f"{name}-envoy-gateway",
            "eg",
            ENVOY_GATEWAY,
            ENVOY_GATEWAY_NAMESPACE,
            gateway_helm_values(
                args.registry,
                redis_url,
                REDIS_AUTH_SECRET,
                ratelimit_redis.cert_digest(certificates.client.cert_pem),
            ),
        )
        # The rate-limit service runs in Envoy Gateway's namespace and reads the password
        # and its client certificate from Secrets there (a pod reads its own namespace's).
        self._redis_auth_secret(name, "ratelimit", ENVOY_GATEWAY_NAMESPACE, [eg])
        self._own(
            ratelimit_redis.tls_secret(
                f"{name}-redis-tls-ratelimit",
                ratelimit_redis.CLIENT_SECRET,
                ENVOY_GATEWAY_NAMESPACE,
                certificates.client,
                certificates.ca_cert_pem,
                k8s_labels.common(k8s_labels.GATEWAY_APP),
                ResourceOptions(parent=self, depends_on=[eg]),
            )
        )
        # CRDs only: nothing to wait on, so no atomic rollback either.
        crds = self._release(
            f"{name}-ai-gateway-crds", "aieg-crd", AI_GATEWAY_CRDS, AI_GATEWAY_NAMESPACE, None
        )
        aieg = self._release(
            f"{name}-ai-gateway",
            "aieg",
            AI_GATEWAY,
            AI_GATEWAY_NAMESPACE,
            ai_gateway_helm_values(args.registry, args.extproc_env),
            depends_on=[eg, crds],
        )
        after_charts = ResourceOptions(parent=self, depends_on=[eg, crds, aieg])

        def custom(suffix: str, api_version: str, kind: str, body: Mapping[str, Any]) -> None:
            self._own(
                k8s.apiextensions.CustomResource(
                    f"{name}-{suffix}",
                    api_version=api_version,
                    kind=kind,
                    metadata=self._metadata(f"{name}-{suffix}", labels),
                    spec=dict(body),
                    opts=after_charts,
                )
            )

        gateway_name = name
        custom(
            "proxy",
            EG_API,
            "EnvoyProxy",
            envoy_proxy_spec(gateway, args.registry, args.proxy_service_account),
        )
        # GatewayClass is cluster-scoped: its own metadata, without a namespace.
        self._own(
            k8s.apiextensions.CustomResource(
                f"{name}-class",
                api_version=GATEWAY_API,
                kind="GatewayClass",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=f"{name}-class", labels=labels),
                spec={
                    "controllerName": CONTROLLER_NAME,
                    "parametersRef": {
                        "group": "gateway.envoyproxy.io",
                        "kind": "EnvoyProxy",
                        "name": f"{name}-proxy",
                        "namespace": args.namespace,
                    },
                },
                opts=after_charts,
            )
        )
        self._own(
            k8s.apiextensions.CustomResource(
                f"{name}-gateway",
                api_version=GATEWAY_API,
                kind="Gateway",
                metadata=self._metadata(gateway_name, labels),
                spec={
                    "gatewayClassName": f"{name}-class",
                    "listeners": [
                        {
                            "name": LISTENER_NAME,
                            "protocol": "HTTPS",
                            "port": LISTENER_PORT,
                            "hostname": gateway.hostname,
                            "tls": {
                                "mode": "Terminate",
                                "certificateRefs": [
                                    {"kind": "Secret", "name": gateway.tls_secret_name}
                                ],
                            },
                            "allowedRoutes": {"namespaces": {"from": "Same"}},
                        }
                    ],
                },
                opts=after_charts,
            )
        )
        custom(
            "client-traffic",
            EG_API,
            "ClientTrafficPolicy",
            {
                "targetRefs": [_gateway_ref(gateway_name)],
                # Envoy's 32 KiB default buffer is smaller than long prompts the AI Gateway parses.
                "connection": {"bufferLimit": "50Mi"},
                # Before any filter: only the gateway's auth sets the client id a route trusts.
                "headers": {"earlyRequestHeaders": {"remove": [CLIENT_ID_HEADER]}},
            },
        )
        custom(
            "auth",
            EG_API,
            "SecurityPolicy",
            {"targetRefs": [_gateway_ref(gateway_name)], **self._auth(args.api_keys_secret)},
        )
        custom(
            "rate-limit",
            EG_API,
            "BackendTrafficPolicy",
            {
                "targetRefs": [_gateway_ref(gateway_name)],
                "rateLimit": rate_limit_spec(gateway.rate_limit),
            },
        )

        self._served = {
            model.model_name: self._model_backends(name, model, labels, after_charts)
            for model in args.models
        }
        self._external = dict(args.external_backends or {})
        plan = args.rules if args.rules is not None else default_rules(args.models)
        rules = [self._rule(rule) for rule in plan]
        custom(
            "route",
            AI_GATEWAY_API,
            "AIGatewayRoute",
            {
                "parentRefs": [_gateway_ref(gateway_name)],
                "rules": rules,
                "llmRequestCosts": [{"metadataKey": TOTAL_TOKENS_KEY, "type": "TotalToken"}],
            },
        )
        mirror = shadow_mirror.patch_policy_spec(
            shadow_mirror.Listener(args.namespace, gateway_name, LISTENER_NAME, gateway.hostname),
            f"{name}-route",
            plan,
            self._shadows(args.models),
        )
        if mirror is not None:
            custom("shadow-mirror", EG_API, "EnvoyPatchPolicy", mirror)

        self.hostname = gateway.hostname
        self.endpoint = f"https://{self.hostname}/v1"
        self.register_outputs({"endpoint": self.endpoint, "hostname": self.hostname})

    def _release(
        self,
        resource_name: str,
        release_name: str,
        chart: versions.ChartPin,
        namespace: str,
        values: Mapping[str, Any] | None,
        depends_on: Sequence[pulumi.Resource] = (),
    ) -> k8s.helm.v3.Release:
        """One pinned chart, from the stack's chart registry when set; atomic when it has
        workloads (``values`` given), so a failed install rolls back instead of half-running."""
        return self._own(
            k8s.helm.v3.Release(
                resource_name,
                k8s.helm.v3.ReleaseArgs(
                    name=release_name,
                    version=chart.version,
                    namespace=namespace,
                    create_namespace=True,
                    atomic=values is not None,
                    values=dict(values) if values is not None else None,
                    **chart.release_source(self._registry.charts),
                ),
                ResourceOptions(parent=self, depends_on=list(depends_on)),
            )
        )

    def _metadata(self, name: str, labels: dict[str, str]) -> k8s.meta.v1.ObjectMetaArgs:
        return k8s.meta.v1.ObjectMetaArgs(name=name, namespace=self._namespace, labels=labels)

    def _auth(self, api_keys_secret: str | None) -> dict[str, Any]:
        """SecurityPolicy body: JWT from the OIDC issuer, else API keys from their Secret."""
        gateway = self._gateway
        if gateway.auth == "oidc" and gateway.oidc_issuer:
            issuer = gateway.oidc_issuer.rstrip("/")
            return {
                "jwt": {
                    "providers": [
                        {
                            "name": "oidc",
                            "issuer": issuer,
                            # The JWKS path of Cognito, Auth0, Okta and most issuers.
                            "remoteJWKS": {"uri": f"{issuer}/.well-known/jwks.json"},
                            "claimToHeaders": [{"header": CLIENT_ID_HEADER, "claim": "sub"}],
                        }
                    ]
                }
            }
        return {
            "apiKeyAuth": {
                "credentialRefs": [{"group": "", "kind": "Secret", "name": api_keys_secret}],
                "extractFrom": [{"headers": ["authorization"]}],
                "forwardClientIDHeader": CLIENT_ID_HEADER,
                # The key never reaches the model servers.
                "sanitize": True,
            }
        }

    def _model_backends(
        self, name: str, model: VllmDeployment, labels: dict[str, str], opts: ResourceOptions
    ) -> list[tuple[str, int]]:
        """The AIServiceBackends of one self-hosted model, with their canary weights."""
        refs = [
            (
                self._backend(name, model.model_name, model.service_name, labels, opts),
                100 - model.canary_weight,
            )
        ]
        if model.canary_service_name is not None:
            refs.append(
                (
                    self._backend(
                        name, f"{model.model_name}-canary", model.canary_service_name, labels, opts
                    ),
                    model.canary_weight,
                )
            )
        return refs

    def _shadows(self, models: Sequence[VllmDeployment]) -> dict[str, shadow_mirror.Shadow]:
        """Model name -> its shadow, for the models that have one."""
        return {
            model.model_name: shadow_mirror.Shadow(
                model.model_name,
                service.apply(lambda svc: f"{svc}.{self._models_namespace}.svc.cluster.local"),
                VLLM_PORT,
                model.shadow_percent,
            )
            for model in models
            if (service := model.shadow_service_name) is not None
        }

    def _refs(self, hop: Hop) -> list[dict[str, Any]]:
        """The backendRefs of one hop of a rule's chain, at the hop's priority."""
        override = {"modelNameOverride": hop.model_override} if hop.model_override else {}
        if hop.external:
            return [{"name": self._external[hop.backend], "priority": hop.priority, **override}]
        return [
            {"name": backend, "weight": weight, "priority": hop.priority, **override}
            for backend, weight in self._served[hop.backend]
        ]

    def _rule(self, rule: RouteRule) -> dict[str, Any]:
        """One route rule: its model (and claimed class, and who may claim it) -> its chain."""
        headers: list[dict[str, str]] = [
            {"type": "Exact", "name": MODEL_HEADER, "value": rule.model}
        ]
        if rule.classification is not None:
            headers.append(
                {"type": "Exact", "name": CLASSIFICATION_HEADER, "value": rule.classification}
            )
        if rule.claimants is not None:
            headers.append(
                {
                    "type": "RegularExpression",
                    "name": CLIENT_ID_HEADER,
                    "value": claimants_pattern(rule.claimants),
                }
            )
        return {
            "matches": [{"headers": headers}],
            "backendRefs": [ref for hop in rule.hops for ref in self._refs(hop)],
            "timeouts": {"request": REQUEST_TIMEOUT},
        }

    def _backend(
        self,
        name: str,
        key: str,
        service: Output[str],
        labels: dict[str, str],
        opts: ResourceOptions,
    ) -> str:
        """A Backend on the model Service's cluster DNS name and its AIServiceBackend."""
        backend = f"{name}-{key}"
        self._own(
            k8s.apiextensions.CustomResource(
                f"{backend}-backend",
                api_version=EG_API,
                kind="Backend",
                metadata=self._metadata(backend, labels),
                spec={
                    "endpoints": [
                        {
                            "fqdn": {
                                "hostname": service.apply(
                                    lambda svc: f"{svc}.{self._models_namespace}.svc.cluster.local"
                                ),
                                "port": VLLM_PORT,
                            }
                        }
                    ]
                },
                opts=opts,
            )
        )
        self._own(
            k8s.apiextensions.CustomResource(
                f"{backend}-ai-backend",
                api_version=AI_GATEWAY_API,
                kind="AIServiceBackend",
                metadata=self._metadata(backend, labels),
                # vLLM serves the OpenAI API under /v1 (v1beta1 reads the path from "prefix";
                # "version" is ignored for OpenAI).
                spec={
                    "schema": {"name": "OpenAI", "prefix": "v1"},
                    "backendRef": {
                        "group": "gateway.envoyproxy.io",
                        "kind": "Backend",
                        "name": backend,
                    },
                },
                opts=opts,
            )
        )
        return backend

    def _redis_auth_secret(
        self, name: str, suffix: str, namespace: str, after: Sequence[pulumi.Resource] = ()
    ) -> None:
        """The Redis password Secret in ``namespace``.

        Generated once: later runs leave the deployed value alone (ignore_changes), so the
        Redis and the rate-limit service keep agreeing; rotate by deleting both Secrets.
        """
        self._own(
            k8s.core.v1.Secret(
                f"{name}-redis-auth-{suffix}",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=REDIS_AUTH_SECRET,
                    namespace=namespace,
                    labels=k8s_labels.common(k8s_labels.GATEWAY_APP),
                ),
                type="Opaque",
                string_data={REDIS_AUTH_KEY: self._redis_password},
                opts=ResourceOptions(
                    parent=self, depends_on=list(after), ignore_changes=["stringData"]
                ),
            )
        )

    def _redis(self, name: str) -> tuple[str, ratelimit_redis.RedisCertificates]:
        """A single in-cluster Redis for rate-limit counters (losing them only resets budgets).

        It serves TLS only (the plaintext port is off) with a certificate for its Service's
        names, requires a client certificate of its CA and the password of
        :data:`REDIS_AUTH_SECRET`, runs as a non-root user with a read-only root filesystem
        (its working directory is an emptyDir), and reports ready only when an authenticated
        PING over TLS answers. Returns its address and the certificates.
        """
        self._redis_password: Output[str] = Output.secret(secrets.token_urlsafe(32))
        self._redis_auth_secret(name, "redis", self._namespace)
        service_name = f"{name}-ratelimit-redis"
        service_dns = [
            f"{service_name}.{self._namespace}.svc.cluster.local",
            f"{service_name}.{self._namespace}.svc",
            f"{service_name}.{self._namespace}",
            service_name,
        ]
        certificates = ratelimit_redis.issue_certificates(
            name, service_dns, ResourceOptions(parent=self)
        )
        self.declared.extend(certificates.resources)
        self._own(
            ratelimit_redis.tls_secret(
                f"{name}-redis-tls-server",
                ratelimit_redis.SERVER_SECRET,
                self._namespace,
                certificates.server,
                certificates.ca_cert_pem,
                k8s_labels.common(k8s_labels.GATEWAY_APP),
                ResourceOptions(parent=self),
            )
        )
        # Not labelled with the gateway role: it is not on the request path (limits fail open).
        selector = {
            **k8s_labels.common(k8s_labels.GATEWAY_APP),
            "app.kubernetes.io/component": "ratelimit-redis",
        }
        redis_labels = selector
        password_file = f"{REDIS_AUTH_DIR}/{REDIS_AUTH_KEY}"
        cert, key, ca = (
            f"{REDIS_TLS_DIR}/{file}"
            for file in (ratelimit_redis.CERT_KEY, ratelimit_redis.KEY_KEY, ratelimit_redis.CA_KEY)
        )
        # redis-cli reads REDISCLI_AUTH, so the probe never puts the password on a command line;
        # it verifies the server against the CA and presents the server's own certificate.
        ping = k8s.core.v1.ExecActionArgs(
            command=[
                "sh",
                "-c",
                f'REDISCLI_AUTH="$(cat {password_file})" redis-cli --tls --cacert {ca} '
                f"--cert {cert} --key {key} -h 127.0.0.1 -p {REDIS_PORT} ping | grep -q PONG",
            ]
        )
        self._own(
            k8s.apps.v1.Deployment(
                f"{name}-ratelimit-redis",
                metadata=self._metadata(service_name, redis_labels),
                spec=k8s.apps.v1.DeploymentSpecArgs(
                    replicas=1,
                    selector=k8s.meta.v1.LabelSelectorArgs(match_labels=selector),
                    template=k8s.core.v1.PodTemplateSpecArgs(
                        metadata=k8s.meta.v1.ObjectMetaArgs(
                            labels=redis_labels,
                            annotations={
                                ratelimit_redis.CERT_DIGEST_ANNOTATION: ratelimit_redis.cert_digest(
                                    certificates.server.cert_pem
                                )
                            },
                        ),
                        spec=k8s.core.v1.PodSpecArgs(
                            automount_service_account_token=False,
                            security_context=k8s.core.v1.PodSecurityContextArgs(
                                run_as_non_root=True,
                                run_as_user=REDIS_UID,
                                # The password file is group-readable by this group only.
                                fs_group=REDIS_UID,
                                seccomp_profile=k8s.core.v1.SeccompProfileArgs(
                                    type="RuntimeDefault"
                                ),
                            ),
                            containers=[
                                k8s.core.v1.ContainerArgs(
                                    name="redis",
                                    image=self._registry.image(REDIS_IMAGE.reference),
                                    # The password comes from the Secret's file, never the spec.
                                    # Counters only: no persistence, bounded memory.
                                    command=["sh", "-c"],
                                    # TLS only: "--port 0" closes the plaintext listener, and
                                    # clients need a certificate of the CA (tls-auth-clients).
                                    args=[
                                        "exec redis-server --requirepass "
                                        f'"$(cat {password_file})" '
                                        f"--port 0 --tls-port {REDIS_PORT} "
                                        f"--tls-cert-file {cert} --tls-key-file {key} "
                                        f"--tls-ca-cert-file {ca} --tls-auth-clients yes "
                                        "--save '' --appendonly no --maxmemory 200mb "
                                        "--dir /data"
                                    ],
                                    ports=[
                                        k8s.core.v1.ContainerPortArgs(
                                            name="redis-tls", container_port=REDIS_PORT
                                        )
                                    ],
                                    readiness_probe=k8s.core.v1.ProbeArgs(
                                        exec_=ping, period_seconds=10, timeout_seconds=2
                                    ),
                                    liveness_probe=k8s.core.v1.ProbeArgs(
                                        exec_=ping,
                                        initial_delay_seconds=10,
                                        period_seconds=20,
                                        timeout_seconds=2,
                                        failure_threshold=3,
                                    ),
                                    resources=k8s.core.v1.ResourceRequirementsArgs(
                                        requests={"cpu": "100m", "memory": "256Mi"},
                                        limits={"memory": "256Mi"},
                                    ),
                                    security_context=k8s.core.v1.SecurityContextArgs(
                                        privileged=False,
                                        allow_privilege_escalation=False,
                                        read_only_root_filesystem=True,
                                        run_as_non_root=True,
                                        capabilities=k8s.core.v1.CapabilitiesArgs(drop=["ALL"]),
                                        seccomp_profile=k8s.core.v1.SeccompProfileArgs(
                                            type="RuntimeDefault"
                                        ),
                                    ),
                                    volume_mounts=[
                                        k8s.core.v1.VolumeMountArgs(
                                            name="data", mount_path="/data"
                                        ),
                                        k8s.core.v1.VolumeMountArgs(
                                            name="auth", mount_path=REDIS_AUTH_DIR, read_only=True
                                        ),
                                        k8s.core.v1.VolumeMountArgs(
                                            name="tls", mount_path=REDIS_TLS_DIR, read_only=True
                                        ),
                                    ],
                                )
                            ],
                            volumes=[
                                k8s.core.v1.VolumeArgs(
                                    name="data",
                                    empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs(
                                        size_limit="64Mi"
                                    ),
                                ),
                                k8s.core.v1.VolumeArgs(
                                    name="auth",
                                    secret=k8s.core.v1.SecretVolumeSourceArgs(
                                        secret_name=REDIS_AUTH_SECRET,
                                        items=[
                                            k8s.core.v1.KeyToPathArgs(
                                                key=REDIS_AUTH_KEY, path=REDIS_AUTH_KEY
                                            )
                                        ],
                                        default_mode=0o440,
                                    ),
                                ),
                                k8s.core.v1.VolumeArgs(
                                    name="tls",
                                    secret=k8s.core.v1.SecretVolumeSourceArgs(
                                        secret_name=ratelimit_redis.SERVER_SECRET,
                                        # The key is group-readable by fs_group only.
                                        default_mode=0o440,
                                    ),
                                ),
                            ],
                        ),
                    ),
                ),
                opts=ResourceOptions(parent=self),
            )
        )
        self._own(
            k8s.core.v1.Service(
                f"{name}-ratelimit-redis-service",
                metadata=self._metadata(service_name, redis_labels),
                spec=k8s.core.v1.ServiceSpecArgs(
                    type="ClusterIP",
                    selector=selector,
                    ports=[
                        k8s.core.v1.ServicePortArgs(
                            name="redis-tls", port=REDIS_PORT, target_port="redis-tls"
                        )
                    ],
                ),
                opts=ResourceOptions(parent=self),
            )
        )
        # The host the rate-limit service dials is the name its TLS check expects.
        return f"{service_dns[0]}:{REDIS_PORT}", certificates
