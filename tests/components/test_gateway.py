"""ModelGateway on the Pulumi mock engine: what it declares in front of the model servers."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pulumi
import pytest

from components import ratelimit_redis
from components.config import ConfigError, StackSpec, load_stack
from components.gateway import (
    AI_GATEWAY,
    AI_GATEWAY_CRDS,
    ENVOY_GATEWAY,
    ENVOY_GATEWAY_NAMESPACE,
    REDIS_AUTH_SECRET,
    ModelGateway,
    ModelGatewayArgs,
)
from components.vllm import VllmDeployment, VllmDeploymentArgs
from tests.components.conftest import RecordingMocks

RELEASE = "kubernetes:helm.sh/v3:Release"
EG = "kubernetes:gateway.envoyproxy.io/v1alpha1"
ENVOY_PROXY = f"{EG}:EnvoyProxy"
SECURITY_POLICY = f"{EG}:SecurityPolicy"
TRAFFIC_POLICY = f"{EG}:BackendTrafficPolicy"
BACKEND = f"{EG}:Backend"
GATEWAY = "kubernetes:gateway.networking.k8s.io/v1:Gateway"
GATEWAY_CLASS = "kubernetes:gateway.networking.k8s.io/v1:GatewayClass"
ROUTE = "kubernetes:aigateway.envoyproxy.io/v1beta1:AIGatewayRoute"
AI_BACKEND = "kubernetes:aigateway.envoyproxy.io/v1beta1:AIServiceBackend"
SECRET = "kubernetes:core/v1:Secret"
GATEWAY_NS = "llm-gateway"
MODELS_NS = "llm-serving"
API_KEYS_SECRET = "gw-api-keys"
# How the Pulumi engine marks a secret value in recorded inputs.
SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
REDIS_SECRETS = {REDIS_AUTH_SECRET, ratelimit_redis.SERVER_SECRET, ratelimit_redis.CLIENT_SECRET}


def _create(spec: StackSpec) -> tuple[ModelGateway, list[VllmDeployment]]:
    models = [
        VllmDeployment(
            model.name,
            VllmDeploymentArgs.for_model(
                spec,
                model,
                namespace=MODELS_NS,
                oidc_provider_arn="arn:aws:iam::111122223333:oidc-provider/x",
                oidc_provider_url="oidc.eks.example/id/X",
            ),
        )
        for model in spec.models
    ]
    gateway = ModelGateway(
        "gw",
        ModelGatewayArgs(
            gateway=spec.gateway,
            registry=spec.registry,
            models=models,
            namespace=GATEWAY_NS,
            models_namespace=MODELS_NS,
            api_keys_secret=API_KEYS_SECRET,
        ),
    )
    return gateway, models


def _settled(gateway: ModelGateway, models: list[VllmDeployment]) -> pulumi.Output[list[Any]]:
    """Resolves once every gateway and model child has been registered with the mocks."""
    resources = [*gateway.declared, *(r for m in models for r in m.declared)]
    return pulumi.Output.all(*(r.urn for r in resources))


def _secret_value(value: Any) -> Any:
    """The plaintext inside a value the engine recorded as a Pulumi secret (fails otherwise)."""
    assert isinstance(value, dict)
    assert value.get(SECRET_SIG_KEY) == SECRET_SIG, "value was not recorded as a secret"
    return value["value"]


def _one(mocks: RecordingMocks, typ: str) -> dict[str, Any]:
    (resource,) = mocks.of_type(typ)
    inputs: dict[str, Any] = resource.inputs
    return inputs


@pytest.mark.parametrize("stack", ["dev", "prod-ca"])
@pulumi.runtime.test
def test_charts_are_pinned_and_pulled_from_the_stacks_chart_registry(
    mocks: RecordingMocks, stack: str
) -> pulumi.Output[None]:
    spec = load_stack(stack)
    gateway, models = _create(spec)

    def check(_: list[Any]) -> None:
        releases = {r.inputs["chart"]: r.inputs for r in mocks.of_type(RELEASE)}
        base = spec.registry.charts or "oci://docker.io/envoyproxy"
        for chart in (ENVOY_GATEWAY, AI_GATEWAY_CRDS, AI_GATEWAY):
            release = releases[f"{base}/{chart.chart}"]
            assert release["version"] == chart.version
            assert release["version"].startswith("v") and "latest" not in release["version"]
        eg = releases[f"{base}/{ENVOY_GATEWAY.chart}"]["values"]
        aieg = releases[f"{base}/{AI_GATEWAY.chart}"]
        crds = releases[f"{base}/{AI_GATEWAY_CRDS.chart}"]
        # Workload charts roll back on a failed install; the CRD chart has nothing to wait on.
        assert releases[f"{base}/{ENVOY_GATEWAY.chart}"]["atomic"] is True
        assert aieg["atomic"] is True and not crds.get("atomic")
        if spec.registry.images:
            assert eg["global"]["imageRegistry"] == spec.registry.images
            for component in ("controller", "extProc"):
                repository = aieg["values"][component]["image"]["repository"]
                assert repository.startswith(spec.registry.images + "/envoyproxy/ai-gateway-")
        else:
            assert not aieg.get("values")
        # Token limits are global: Envoy Gateway must have its Redis-backed rate-limit service.
        redis = eg["config"]["envoyGateway"]["rateLimit"]["backend"]["redis"]["url"]
        assert redis.endswith(f".{GATEWAY_NS}.svc.cluster.local:6379")

    return _settled(gateway, models).apply(check)


@pytest.mark.parametrize(
    ("stack", "scheme"),
    [("prod-ca", "internal"), ("prod-eu", "internal"), ("dev", "internet-facing")],
)
@pulumi.runtime.test
def test_load_balancer_is_internal_unless_the_stack_is_internet_facing(
    mocks: RecordingMocks, stack: str, scheme: str
) -> pulumi.Output[None]:
    spec = load_stack(stack)
    gateway, models = _create(spec)

    def check(_: list[Any]) -> None:
        kubernetes = _one(mocks, ENVOY_PROXY)["spec"]["provider"]["kubernetes"]
        annotations = kubernetes["envoyService"]["annotations"]
        assert annotations["service.beta.kubernetes.io/aws-load-balancer-scheme"] == scheme
        assert annotations["service.beta.kubernetes.io/aws-load-balancer-type"] == "external"
        assert annotations["service.beta.kubernetes.io/aws-load-balancer-nlb-target-type"] == "ip"
        assert kubernetes["envoyDeployment"]["replicas"] == spec.gateway.replicas
        assert kubernetes["envoyPDB"]["minAvailable"] >= 1
        if spec.sla:
            assert kubernetes["envoyDeployment"]["replicas"] >= 2
        if spec.registry.images:
            image = kubernetes["envoyDeployment"]["container"]["image"]
            assert image.startswith(spec.registry.images + "/")

    return _settled(gateway, models).apply(check)


@pulumi.runtime.test
def test_https_listener_and_gateway_class_wire_up_the_envoy_proxy(
    mocks: RecordingMocks,
) -> pulumi.Output[None]:
    spec = load_stack("prod-ca")
    gateway, models = _create(spec)

    def check(_: list[Any]) -> None:
        gw = _one(mocks, GATEWAY)
        gateway_class = _one(mocks, GATEWAY_CLASS)
        proxy = _one(mocks, ENVOY_PROXY)
        assert gw["spec"]["gatewayClassName"] == gateway_class["metadata"]["name"]
        ref = gateway_class["spec"]["parametersRef"]
        assert (ref["kind"], ref["name"], ref["namespace"]) == (
            "EnvoyProxy",
            proxy["metadata"]["name"],
            proxy["metadata"]["namespace"],
        )
        (listener,) = gw["spec"]["listeners"]
        assert (listener["protocol"], listener["port"]) == ("HTTPS", 443)
        assert listener["hostname"] == spec.gateway.hostname
        assert listener["tls"]["certificateRefs"] == [
            {"kind": "Secret", "name": spec.gateway.tls_secret_name}
        ]
        for typ in (GATEWAY, GATEWAY_CLASS, ENVOY_PROXY, SECURITY_POLICY, TRAFFIC_POLICY, ROUTE):
            assert _one(mocks, typ)["metadata"]["labels"]["servegate.io/role"] == "gateway"
        assert gateway.endpoint == f"https://{spec.gateway.hostname}/v1"

    return _settled(gateway, models).apply(check)


@pulumi.runtime.test
def test_api_keys_guard_the_gateway_with_the_key_sources_secret(
    mocks: RecordingMocks,
) -> pulumi.Output[None]:
    spec = load_stack("prod-ca")
    gateway, models = _create(spec)

    def check(_: list[Any]) -> None:
        gw = _one(mocks, GATEWAY)
        policy = _one(mocks, SECURITY_POLICY)["spec"]
        assert policy["targetRefs"] == [
            {
                "group": "gateway.networking.k8s.io",
                "kind": "Gateway",
                "name": gw["metadata"]["name"],
            }
        ]
        auth = policy["apiKeyAuth"]
        assert auth["sanitize"] is True
        assert auth["credentialRefs"] == [{"group": "", "kind": "Secret", "name": API_KEYS_SECRET}]
        # The gateway declares no API-key Secret of its own (components.api_keys does);
        # its only Secrets are the Redis password's and certificates.
        assert {s.inputs["metadata"]["name"] for s in mocks.of_type(SECRET)} == REDIS_SECRETS

    return _settled(gateway, models).apply(check)


def test_api_key_auth_without_a_key_source_is_one_clear_error() -> None:
    spec = load_stack("prod-ca")
    with pytest.raises(ConfigError) as error:
        ModelGateway(
            "gw",
            ModelGatewayArgs(
                gateway=spec.gateway,
                registry=spec.registry,
                models=[],
                namespace=GATEWAY_NS,
                models_namespace=MODELS_NS,
            ),
        )
    assert str(error.value) == (
        "llm-serving:gateway.apiKeys: is required when gateway.auth is api-key"
    )


@pulumi.runtime.test
def test_redis_requires_a_password_the_rate_limit_service_reads_from_a_secret(
    mocks: RecordingMocks,
) -> pulumi.Output[None]:
    spec = load_stack("prod-ca")
    gateway, models = _create(spec)

    def check(_: list[Any]) -> None:
        secrets = {
            s.inputs["metadata"]["namespace"]: s.inputs
            for s in mocks.of_type(SECRET)
            if s.inputs["metadata"]["name"] == REDIS_AUTH_SECRET
        }
        assert set(secrets) == {GATEWAY_NS, ENVOY_GATEWAY_NAMESPACE}
        passwords = {ns: _secret_value(s["stringData"])["password"] for ns, s in secrets.items()}
        # One generated password, recorded as a Pulumi secret, the same in both namespaces.
        assert len(set(passwords.values())) == 1 and len(passwords[GATEWAY_NS]) >= 40
        (release,) = [
            r.inputs
            for r in mocks.of_type(RELEASE)
            if r.inputs["chart"].endswith("/" + ENVOY_GATEWAY.chart)
        ]
        kubernetes = release["values"]["config"]["envoyGateway"]["provider"]["kubernetes"]
        env = kubernetes["rateLimitDeployment"]["container"]["env"]
        assert env[0] == {
            "name": "REDIS_AUTH",
            "valueFrom": {"secretKeyRef": {"name": REDIS_AUTH_SECRET, "key": "password"}},
        }
        (deployment,) = [
            d.inputs
            for d in mocks.of_type("kubernetes:apps/v1:Deployment")
            if "redis" in d.inputs["metadata"]["name"]
        ]
        pod = deployment["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        assert '--requirepass "$(cat /etc/redis-auth/password)"' in container["args"][0]
        # The password is in no field of the Deployment, and in no environment variable: the
        # server and the probes read the Secret's file.
        assert passwords[GATEWAY_NS] not in json.dumps(deployment)
        assert "env" not in container
        [auth] = [v for v in pod["volumes"] if v["name"] == "auth"]
        assert auth["secret"]["secretName"] == REDIS_AUTH_SECRET
        assert {"name": "auth", "mountPath": "/etc/redis-auth", "readOnly": True} in container[
            "volumeMounts"
        ]
        for probe in ("readinessProbe", "livenessProbe"):
            command = " ".join(container[probe]["exec"]["command"])
            assert "redis-cli" in command and "cat /etc/redis-auth/password" in command
        context = container["securityContext"]
        assert context["readOnlyRootFilesystem"] is True
        assert context["allowPrivilegeEscalation"] is False
        assert context["capabilities"] == {"drop": ["ALL"]}
        assert context["seccompProfile"] == {"type": "RuntimeDefault"}
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] > 0
        assert pod["automountServiceAccountToken"] is False
        assert {"name": "data", "mountPath": "/data"} in container["volumeMounts"]
        assert pod["volumes"][0]["emptyDir"]
        assert set(container["resources"]["requests"]) == {"cpu", "memory"}

    return _settled(gateway, models).apply(check)


@pulumi.runtime.test
def test_oidc_auth_validates_jwts_from_the_issuer(mocks: RecordingMocks) -> pulumi.Output[None]:
    base = load_stack("prod-ca")
    issuer = "https://auth.example.ca/realms/llm"
    spec = base.model_copy(
        update={"gateway": base.gateway.model_copy(update={"auth": "oidc", "oidc_issuer": issuer})}
    )
    gateway, models = _create(spec)

    def check(_: list[Any]) -> None:
        policy = _one(mocks, SECURITY_POLICY)["spec"]
        assert "apiKeyAuth" not in policy
        (provider,) = policy["jwt"]["providers"]
        assert provider["issuer"] == issuer
        assert provider["remoteJWKS"]["uri"].startswith(issuer + "/")
        assert {s.inputs["metadata"]["name"] for s in mocks.of_type(SECRET)} == REDIS_SECRETS

    return _settled(gateway, models).apply(check)


def test_oidc_without_issuer_is_one_clear_error() -> None:
    base = load_stack("prod-eu")
    spec = base.model_copy(update={"gateway": base.gateway.model_copy(update={"auth": "oidc"})})
    with pytest.raises(ConfigError, match=r"^llm-serving:gateway\.oidcIssuer: is required"):
        ModelGateway(
            "gw",
            ModelGatewayArgs(
                gateway=spec.gateway,
                registry=spec.registry,
                models=[],
                namespace=GATEWAY_NS,
                models_namespace=MODELS_NS,
            ),
        )


@pytest.mark.parametrize("stack", ["dev", "prod-ca"])
@pulumi.runtime.test
def test_access_log_is_json_without_bodies_or_credentials(
    mocks: RecordingMocks, stack: str
) -> pulumi.Output[None]:
    spec = load_stack(stack)
    gateway, models = _create(spec)

    def check(_: list[Any]) -> None:
        settings = _one(mocks, ENVOY_PROXY)["spec"]["telemetry"]["accessLog"]["settings"]
        assert settings
        for setting in settings:
            assert setting["format"]["type"] == "JSON"
            fields = setting["format"]["json"]
            assert {"response_code", "model", "duration_ms"} <= set(fields)
            for name, operator in fields.items():
                text = f"{name} {operator}".upper()
                assert "BODY" not in text, name
                assert "AUTHORIZATION" not in text, name
                assert "API-KEY" not in text, name

    return _settled(gateway, models).apply(check)


@pulumi.runtime.test
def test_rate_limits_cap_requests_and_tokens_per_client(
    mocks: RecordingMocks,
) -> pulumi.Output[None]:
    spec = load_stack("prod-ca")
    limits = spec.gateway.rate_limit
    gateway, models = _create(spec)

    def check(_: list[Any]) -> None:
        policy = _one(mocks, TRAFFIC_POLICY)["spec"]
        assert policy["targetRefs"][0]["kind"] == "Gateway"
        (local,) = policy["rateLimit"]["local"]["rules"]
        assert local["limit"] == {"requests": limits.requests_per_second, "unit": "Second"}
        (tokens,) = policy["rateLimit"]["global"]["rules"]
        assert tokens["limit"] == {"requests": limits.tokens_per_minute, "unit": "Minute"}
        assert tokens["clientSelectors"][0]["headers"][0]["type"] == "Distinct"
        assert tokens["cost"]["request"] == {"from": "Number", "number": 0}
        cost = tokens["cost"]["response"]["metadata"]
        # The budget is debited with exactly what the AI Gateway records per request.
        (recorded,) = _one(mocks, ROUTE)["spec"]["llmRequestCosts"]
        assert recorded["type"] == "TotalToken"
        assert (cost["namespace"], cost["key"]) == ("io.envoy.ai_gateway", recorded["metadataKey"])
        client_header = tokens["clientSelectors"][0]["headers"][0]["name"]
        auth = _one(mocks, SECURITY_POLICY)["spec"]["apiKeyAuth"]
        assert auth["forwardClientIDHeader"] == client_header

    return _settled(gateway, models).apply(check)


@pulumi.runtime.test
def test_route_has_one_rule_per_model_and_splits_canary_traffic_by_weight(
    mocks: RecordingMocks,
) -> pulumi.Output[None]:
    # A static split: the canary declares no analysis (an analysed one has no second track).
    spec = load_stack("prod-ca")
    canary = spec.models[0].canary
    assert canary is not None
    models = [
        spec.models[0].model_copy(update={"canary": canary.model_copy(update={"analysis": False})}),
        *spec.models[1:],
    ]
    spec = spec.model_copy(update={"models": models})
    gateway, models = _create(spec)

    def check(_: list[Any]) -> None:
        route = _one(mocks, ROUTE)["spec"]
        assert route["parentRefs"][0]["kind"] == "Gateway"
        ai_backends = {
            r.inputs["metadata"]["name"]: r.inputs["spec"] for r in mocks.of_type(AI_BACKEND)
        }
        backends = {r.inputs["metadata"]["name"]: r.inputs["spec"] for r in mocks.of_type(BACKEND)}
        services = {
            r.inputs["metadata"]["name"] for r in mocks.of_type("kubernetes:core/v1:Service")
        }
        assert len(route["rules"]) == len(spec.models)
        for model, rule in zip(spec.models, route["rules"], strict=True):
            (match,) = rule["matches"]
            assert match["headers"] == [
                {"type": "Exact", "name": "x-ai-eg-model", "value": model.served_model_name}
            ]
            weights = [ref["weight"] for ref in rule["backendRefs"]]
            assert sum(weights) == 100
            expected = [100 - model.canary.weight, model.canary.weight] if model.canary else [100]
            assert weights == expected
            for ref in rule["backendRefs"]:
                ai_backend = ai_backends[ref["name"]]
                # vLLM serves the OpenAI API under /v1: v1beta1 takes that from "prefix".
                assert ai_backend["schema"] == {"name": "OpenAI", "prefix": "v1"}
                backend = backends[ai_backend["backendRef"]["name"]]
                (endpoint,) = backend["endpoints"]
                host = endpoint["fqdn"]["hostname"]
                service, namespace = host.removesuffix(".svc.cluster.local").split(".")
                assert namespace == MODELS_NS and service in services
                assert endpoint["fqdn"]["port"] == 8000

    return _settled(gateway, models).apply(check)


@pulumi.runtime.test
def test_redis_serves_tls_only_and_the_rate_limit_service_verifies_it(
    mocks: RecordingMocks,
) -> pulumi.Output[None]:
    gateway, models = _create(load_stack("prod-ca"))

    def check(_: list[Any]) -> None:
        tls_secrets = {
            s.inputs["metadata"]["name"]: s.inputs
            for s in mocks.of_type(SECRET)
            if s.inputs["metadata"]["name"] != REDIS_AUTH_SECRET
        }
        server, client = (
            tls_secrets[ratelimit_redis.SERVER_SECRET],
            tls_secrets[ratelimit_redis.CLIENT_SECRET],
        )
        # Envoy Gateway's certificateRef takes a kubernetes.io/tls Secret in its own namespace.
        assert server["metadata"]["namespace"] == GATEWAY_NS
        assert client["metadata"]["namespace"] == ENVOY_GATEWAY_NAMESPACE
        pems = {}
        for name, secret in tls_secrets.items():
            assert secret["type"] == "kubernetes.io/tls"
            pems[name] = _secret_value(secret["stringData"])
            assert set(pems[name]) == {"tls.crt", "tls.key", "ca.crt"}
            assert pems[name]["tls.key"].startswith("-----BEGIN PRIVATE KEY-----")
        # One CA, two different key pairs.
        assert (
            pems[ratelimit_redis.SERVER_SECRET]["ca.crt"]
            == (pems[ratelimit_redis.CLIENT_SECRET]["ca.crt"])
        )
        assert (
            pems[ratelimit_redis.SERVER_SECRET]["tls.key"]
            != (pems[ratelimit_redis.CLIENT_SECRET]["tls.key"])
        )
        # Every private key the TLS provider takes as an input is recorded as a secret.
        for typ, key in [
            ("tls:index/certRequest:CertRequest", "privateKeyPem"),
            ("tls:index/locallySignedCert:LocallySignedCert", "caPrivateKeyPem"),
            ("tls:index/selfSignedCert:SelfSignedCert", "privateKeyPem"),
        ]:
            for resource in mocks.of_type(typ):
                assert _secret_value(resource.inputs[key]).startswith("-----BEGIN PRIVATE KEY")

        (release,) = [
            r.inputs
            for r in mocks.of_type(RELEASE)
            if r.inputs["chart"].endswith("/" + ENVOY_GATEWAY.chart)
        ]
        eg = release["values"]["config"]["envoyGateway"]
        redis = eg["rateLimit"]["backend"]["redis"]
        assert redis["tls"] == {
            "certificateRef": {"kind": "Secret", "name": ratelimit_redis.CLIENT_SECRET}
        }
        host, port = redis["url"].rsplit(":", 1)
        deployment = eg["provider"]["kubernetes"]["rateLimitDeployment"]
        env = {e["name"]: e for e in deployment["container"]["env"]}
        # EG mounts the certificateRef Secret at /redis-certs (resource.go at v1.8.3) and sets
        # no CA variable; envoyproxy/ratelimit reads REDIS_TLS_CACERT (settings.go).
        assert env["REDIS_TLS_CACERT"] == {
            "name": "REDIS_TLS_CACERT",
            "value": "/redis-certs/ca.crt",
        }
        assert "REDIS_TLS_SKIP_HOSTNAME_VERIFICATION" not in env
        client_cert = pems[ratelimit_redis.CLIENT_SECRET]["tls.crt"]
        assert deployment["pod"]["annotations"] == {
            ratelimit_redis.CERT_DIGEST_ANNOTATION: hashlib.sha256(client_cert.encode()).hexdigest()
        }

        # The server certificate names the host the service dials; the client's names nobody.
        requests = {
            r.inputs["subject"]["commonName"]: r.inputs
            for r in mocks.of_type("tls:index/certRequest:CertRequest")
        }
        assert host in requests[host]["dnsNames"]
        assert "dnsNames" not in requests["envoy-ratelimit"]
        uses = sorted(
            r.inputs["allowedUses"]
            for r in mocks.of_type("tls:index/locallySignedCert:LocallySignedCert")
        )
        assert uses == [
            ["digital_signature", "key_encipherment", "client_auth"],
            ["digital_signature", "key_encipherment", "server_auth", "client_auth"],
        ]

        (redis_deployment,) = [
            d.inputs
            for d in mocks.of_type("kubernetes:apps/v1:Deployment")
            if "redis" in d.inputs["metadata"]["name"]
        ]
        template = redis_deployment["spec"]["template"]
        server_cert = pems[ratelimit_redis.SERVER_SECRET]["tls.crt"]
        assert template["metadata"]["annotations"] == {
            ratelimit_redis.CERT_DIGEST_ANNOTATION: hashlib.sha256(server_cert.encode()).hexdigest()
        }
        (container,) = template["spec"]["containers"]
        args = container["args"][0]
        assert f"--port 0 --tls-port {port} " in args
        for flag, file in [
            ("--tls-cert-file", "tls.crt"),
            ("--tls-key-file", "tls.key"),
            ("--tls-ca-cert-file", "ca.crt"),
        ]:
            assert f"{flag} /etc/redis-tls/{file} " in args
        assert "--tls-auth-clients yes" in args
        assert container["ports"] == [{"name": "redis-tls", "containerPort": int(port)}]
        [tls_volume] = [v for v in template["spec"]["volumes"] if v["name"] == "tls"]
        assert tls_volume["secret"]["secretName"] == ratelimit_redis.SERVER_SECRET
        for probe in ("readinessProbe", "livenessProbe"):
            command = " ".join(container[probe]["exec"]["command"])
            assert (
                "redis-cli --tls --cacert /etc/redis-tls/ca.crt --cert /etc/redis-tls/tls.crt"
                in (command)
            )
            assert f"-p {port} ping" in command
        # No key material in the workload itself: only file paths.
        assert "PRIVATE KEY" not in json.dumps(redis_deployment)
        (service,) = [
            s.inputs
            for s in mocks.of_type("kubernetes:core/v1:Service")
            if s.inputs["metadata"]["name"] == host.split(".")[0]
        ]
        assert service["spec"]["ports"] == [
            {"name": "redis-tls", "port": int(port), "targetPort": "redis-tls"}
        ]

    return _settled(gateway, models).apply(check)
