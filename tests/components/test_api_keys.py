"""GatewayApiKeys on the Pulumi mock engine: the API-key Secret and where its keys come from."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pulumi
import pulumi.runtime.config as pulumi_config
import pytest

from components import iam
from components.api_keys import (
    ESO_API,
    ESO_CHART,
    GatewayApiKeys,
    GatewayApiKeysArgs,
    external_secret_spec,
    secret_name,
)
from components.config import ApiKeysSpec, ConfigError, RegistrySpec, load_stack
from tests.components.conftest import RecordingMocks

KEYS = "llm-serving:gatewayApiKeys"
SECRET = "kubernetes:core/v1:Secret"
NAMESPACE = "llm-gateway"
TARGET = "gw-api-keys"
KMS_KEY = "arn:aws:kms:ca-central-1:111122223333:key/stack"
# How the Pulumi engine marks a secret value in recorded inputs.
SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"


@pytest.fixture
def stack_config() -> Iterator[dict[str, Any]]:
    """Pulumi config for one test (secret keys listed under ``"secret"``), reset afterwards."""
    holder: dict[str, Any] = {"values": {}, "secret": []}
    yield holder
    pulumi_config.set_all_config({}, [])


def _apply_config(holder: dict[str, Any]) -> None:
    pulumi_config.set_all_config(holder["values"], holder["secret"])


def _create(source: ApiKeysSpec, registry: RegistrySpec | None = None) -> GatewayApiKeys:
    return GatewayApiKeys(
        "keys",
        GatewayApiKeysArgs(
            source=source,
            stack="prod-ca",
            region="ca-central-1",
            namespace=NAMESPACE,
            secret_name=TARGET,
            registry=registry or RegistrySpec(),
            kms_key_arn=KMS_KEY,
            oidc_provider_arn="arn:aws:iam::111122223333:oidc-provider/x",
            oidc_provider_url="oidc.eks.example/id/X",
        ),
    )


def _settled(component: GatewayApiKeys) -> pulumi.Output[list[Any]]:
    return pulumi.Output.all(*(r.urn for r in component.declared))


def _secret_value(value: Any) -> Any:
    """The plaintext inside a value the engine recorded as a Pulumi secret (fails otherwise)."""
    assert isinstance(value, dict)
    assert value.get(SECRET_SIG_KEY) == SECRET_SIG, "value was not recorded as a secret"
    return value["value"]


@pulumi.runtime.test
def test_pulumi_secret_config_keys_become_the_credentials(
    mocks: RecordingMocks, stack_config: dict[str, Any]
) -> pulumi.Output[None]:
    keys = {"team-a": "a" * 40, "team-b": "b" * 40}
    stack_config["values"][KEYS] = json.dumps(keys)
    stack_config["secret"].append(KEYS)
    _apply_config(stack_config)
    component = _create(ApiKeysSpec(source="pulumi-config"))

    def check(_: list[Any]) -> None:
        (secret,) = [r.inputs for r in mocks.of_type(SECRET)]
        assert secret["metadata"] == {
            "name": TARGET,
            "namespace": NAMESPACE,
            "labels": secret["metadata"]["labels"],
        }
        # Recorded as a Pulumi secret: client id -> "Bearer <key>".
        assert _secret_value(secret["stringData"]) == {c: f"Bearer {k}" for c, k in keys.items()}
        # Nothing of the Secrets Manager path is declared.
        assert not mocks.of_type("aws:secretsmanager/secret:Secret")
        assert not [r for r in mocks.resources if r.typ.startswith("kubernetes:external-secrets")]

    return _settled(component).apply(check)


@pytest.mark.parametrize(
    ("value", "secret", "expected"),
    [
        (None, True, "is required when gateway.apiKeys.source is pulumi-config"),
        ('{"team-a": "' + "k" * 40 + '"}', False, "must be a secret"),
        ("not json", True, "non-empty JSON object"),
        ('{"team-a": "short-key-123"}', True, "32+ characters"),
        ('{"Team A": "' + "k" * 40 + '"}', True, "client id 'Team A'"),
    ],
)
def test_bad_api_key_config_is_one_line_that_never_echoes_a_key(
    stack_config: dict[str, Any], value: str | None, secret: bool, expected: str
) -> None:
    if value is not None:
        stack_config["values"][KEYS] = value
    if secret and value is not None:
        stack_config["secret"].append(KEYS)
    _apply_config(stack_config)
    with pytest.raises(ConfigError) as error:
        _create(ApiKeysSpec(source="pulumi-config"))
    message = str(error.value)
    assert message.startswith(f"{KEYS}: ") and "\n" not in message
    assert expected in message
    assert "kkkkkkkk" not in message and "short-key-123" not in message


@pulumi.runtime.test
def test_secrets_manager_keys_sync_through_external_secrets_with_a_scoped_role(
    mocks: RecordingMocks,
) -> pulumi.Output[None]:
    spec = load_stack("prod-ca")
    component = _create(
        ApiKeysSpec(source="secrets-manager", clients=["team-a", "team-b"]), spec.registry
    )

    def check(_: list[Any]) -> None:
        stored = {
            r.inputs["name"]: r.inputs for r in mocks.of_type("aws:secretsmanager/secret:Secret")
        }
        assert set(stored) == {secret_name("prod-ca", c) for c in ("team-a", "team-b")}
        # Encrypted with the stack's key; no value is ever declared (operators set it).
        assert all(s["kmsKeyId"] == KMS_KEY for s in stored.values())
        assert not mocks.of_type("aws:secretsmanager/secretVersion:SecretVersion")
        assert not mocks.of_type(SECRET)

        (policy,) = mocks.of_type("aws:iam/rolePolicy:RolePolicy")
        statements = json.loads(policy.inputs["policy"])["Statement"]
        read, decrypt = statements
        arns = {f"arn:aws:mock:::keys-{c}" for c in ("team-a", "team-b")}
        assert set(read["Resource"]) == arns and "*" not in json.dumps(read)
        assert decrypt["Resource"] == KMS_KEY and decrypt["Action"] == "kms:Decrypt"
        assert decrypt["Condition"]["StringEquals"]["kms:ViaService"] == (
            "secretsmanager.ca-central-1.amazonaws.com"
        )
        (role,) = mocks.of_type("aws:iam/role:Role")
        trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
        (sub,) = [v for k, v in trust["Condition"]["StringEquals"].items() if k.endswith(":sub")]
        assert sub == f"system:serviceaccount:{NAMESPACE}:keys-reader"
        (account,) = mocks.of_type("kubernetes:core/v1:ServiceAccount")
        assert account.inputs["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] == (
            "arn:aws:iam::123456789012:role/keys-irsa"
        )

        (release,) = mocks.of_type("kubernetes:helm.sh/v3:Release")
        assert release.inputs["version"] == ESO_CHART.version
        assert release.inputs["chart"] == f"{spec.registry.charts}/{ESO_CHART.chart}"
        image = release.inputs["values"]["image"]["repository"]
        assert spec.registry.images and image.startswith(spec.registry.images + "/")

        (store,) = mocks.of_type(f"kubernetes:{ESO_API}:SecretStore")
        aws = store.inputs["spec"]["provider"]["aws"]
        assert aws["region"] == "ca-central-1" and aws["service"] == "SecretsManager"
        assert aws["auth"] == {"jwt": {"serviceAccountRef": {"name": "keys-reader"}}}
        (synced,) = mocks.of_type(f"kubernetes:{ESO_API}:ExternalSecret")
        body = synced.inputs["spec"]
        assert body["target"]["name"] == TARGET
        assert body["secretStoreRef"] == {"kind": "SecretStore", "name": "keys-store"}
        assert {d["remoteRef"]["key"] for d in body["data"]} == set(stored)

    return _settled(component).apply(check)


def test_the_external_secret_template_prefixes_each_key_with_bearer() -> None:
    spec = external_secret_spec(
        "store", "target", {"team-a": "servegate/s/gateway-api-keys/team-a"}
    )
    assert spec["target"]["template"]["data"] == {"team-a": 'Bearer {{ index . "team-a" }}'}
    assert spec["data"] == [
        {"secretKey": "team-a", "remoteRef": {"key": "servegate/s/gateway-api-keys/team-a"}}
    ]


def test_the_reader_policy_names_exactly_the_secrets_and_the_key() -> None:
    document = json.loads(iam.secrets_reader_policy("eu-central-1", ["arn:b", "arn:a"], "arn:key"))
    read, decrypt = document["Statement"]
    assert read["Resource"] == ["arn:a", "arn:b"]
    assert read["Action"] == ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    assert decrypt["Resource"] == "arn:key"
