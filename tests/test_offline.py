"""Running Pulumi programs offline under the SDK's mock engine."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pytest
from pulumi.runtime import config as pulumi_config
from pulumi.runtime import settings

from components.config import ConfigError, ConfigProblem
from servegate.plan.inventory import build_inventory
from servegate.plan.offline import OfflineRun, OfflineRunError, run_offline

CONFIG = {"aws:region": "ca-central-1", "llm-serving:models": [{"name": "llama-8b"}]}


class _Platform(pulumi.ComponentResource):
    """A small component: a provider in another region, children, a secret."""

    def __init__(self, name: str) -> None:
        super().__init__("servegate:index:Platform", name, None, None)
        child = pulumi.ResourceOptions(parent=self)
        eu = aws.Provider(
            "eu", region="eu-west-1", default_tags={"tags": {"owner": "ml"}}, opts=child
        )
        self.bucket = aws.s3.Bucket(
            "weights",
            tags={"purpose": "models"},
            opts=pulumi.ResourceOptions(parent=self, provider=eu),
        )
        aws.s3.BucketVersioning(
            "weights",
            bucket=self.bucket.id,
            region="ca-central-1",
            versioning_configuration={"status": "Enabled"},
            opts=child,
        )
        k8s.core.v1.Secret(
            "api-key", string_data={"key": pulumi.Output.secret("sk-offline-42")}, opts=child
        )
        self.register_outputs({})


def _program() -> None:
    platform = _Platform("platform")
    aws.cloudwatch.LogGroup(
        "audit", retention_in_days=365, tags={"token": pulumi.Output.secret("tag-secret-7")}
    )
    models = pulumi.Config("llm-serving").require_object("models")
    pulumi.export("models", models)
    pulumi.export("bucketArn", platform.bucket.arn)
    pulumi.export("password", pulumi.Output.secret("export-secret-3"))


@pytest.fixture(scope="module")
def run() -> OfflineRun:
    return run_offline(_program, project="llm-serving", stack="dev", config=CONFIG)


def _by_name(run: OfflineRun) -> dict[str, Any]:
    inventory = build_inventory(
        run.resources,
        stack=run.stack,
        project=run.project,
        source="offline",
        declared={},
        stack_region="ca-central-1",
        stack_urn=run.stack_urn,
    )
    return {f"{r['type']}::{r['name']}": r for r in inventory["resources"]}


def test_every_registration_is_recorded_with_engine_urns(run: OfflineRun) -> None:
    types = sorted(r.type for r in run.resources)
    assert types == sorted(
        [
            "servegate:index:Platform",
            "pulumi:providers:aws",
            "aws:s3/bucket:Bucket",
            "aws:s3/bucketVersioning:BucketVersioning",
            "kubernetes:core/v1:Secret",
            "aws:cloudwatch/logGroup:LogGroup",
        ]
    )
    assert {r.op for r in run.resources} == {"create"}
    assert run.stack_urn == "urn:pulumi:dev::llm-serving::pulumi:pulumi:Stack::llm-serving-dev"
    bucket = next(r for r in run.resources if r.type == "aws:s3/bucket:Bucket")
    # As the engine names it: parent chain without the root stack.
    assert bucket.urn == (
        "urn:pulumi:dev::llm-serving::servegate:index:Platform$aws:s3/bucket:Bucket::weights"
    )
    assert bucket.parent == "urn:pulumi:dev::llm-serving::servegate:index:Platform::platform"
    component = next(r for r in run.resources if r.type == "servegate:index:Platform")
    assert component.custom is False and component.parent == run.stack_urn


def test_regions_follow_own_input_explicit_and_default_providers(run: OfflineRun) -> None:
    resources = _by_name(run)

    assert resources["aws:s3/bucket:Bucket::weights"]["region"] == "eu-west-1"
    assert resources["aws:s3/bucket:Bucket::weights"]["tags"] == {
        "owner": "ml",
        "purpose": "models",
    }
    versioning = resources["aws:s3/bucketVersioning:BucketVersioning::weights"]
    assert versioning["region"] == "ca-central-1"
    assert versioning["deps"] == {"bucket": [resources["aws:s3/bucket:Bucket::weights"]["urn"]]}
    # No explicit provider: the default one, which reads the stack's aws:region.
    assert resources["aws:cloudwatch/logGroup:LogGroup::audit"]["region"] == "ca-central-1"
    assert resources["aws:cloudwatch/logGroup:LogGroup::audit"]["props"]["retentionInDays"] == 365


def test_secrets_never_reach_resources_outputs_or_the_inventory(run: OfflineRun) -> None:
    serialized = json.dumps([_by_name(run), run.outputs])

    for secret in ("sk-offline-42", "tag-secret-7", "export-secret-3"):
        assert secret not in serialized
    assert _by_name(run)["aws:cloudwatch/logGroup:LogGroup::audit"]["props"]["tags"] == {
        "token": "[secret]"
    }
    assert run.outputs["password"] == "[secret]"


def test_stack_outputs_and_config_objects_reach_the_program(run: OfflineRun) -> None:
    assert run.outputs["models"] == [{"name": "llama-8b"}]
    assert run.outputs["bucketArn"].startswith("arn:aws:s3:")


def test_runs_are_independent_and_leave_no_global_state(run: OfflineRun) -> None:
    def other() -> None:
        aws.s3.Bucket("only")

    def ambient() -> tuple[object, ...]:
        return (
            settings.get_stack(),
            settings.get_project(),
            settings.get_root_resource(),
            settings.get_monitor(),
            pulumi_config.get_config("aws:region"),
        )

    before = ambient()
    second = run_offline(
        other, project="isolation", stack="isolated", config={"aws:region": "eu-west-1"}
    )

    assert [r.name for r in second.resources] == ["only"]
    assert second.outputs == {}
    assert ambient() == before


def test_a_config_error_propagates_unchanged() -> None:
    error = ConfigError([ConfigProblem(key="models[0].name", message="must be lowercase")])

    def failing() -> None:
        raise error

    with pytest.raises(ConfigError) as caught:
        run_offline(failing, project="llm-serving", stack="dev", config=CONFIG)

    assert caught.value is error


def test_other_program_failures_become_one_line_naming_the_place() -> None:
    def failing() -> None:
        aws.s3.Bucket("fine")
        raise ValueError("no GPU pool named 'l4'\nsecond line")

    with pytest.raises(OfflineRunError) as caught:
        run_offline(failing, project="llm-serving", stack="dev", config=CONFIG)

    message = str(caught.value)
    assert "\n" not in message
    assert "stack 'dev'" in message
    assert "tests/test_offline.py:" in message
    assert "ValueError: no GPU pool named 'l4' second line" in message
