"""ServingStack on the Pulumi mock engine: composition, one region, one tagging mechanism."""

from __future__ import annotations

import json
from typing import Any

import pulumi

from components.config import StackSpec, load_stack
from components.serving_stack import ServingStack, ServingStackArgs
from tests.components.conftest import RecordingMocks


def build(spec: StackSpec, check: Any) -> None:
    @pulumi.runtime.test
    def run() -> pulumi.Output[Any]:
        stack = ServingStack(spec.stack, ServingStackArgs(spec=spec))
        return pulumi.Output.all(stack.endpoint, stack.cluster_name, stack.dashboards).apply(
            lambda values: check(*values)
        )

    run()


def test_outputs_name_the_gateway_cluster_and_dashboards(mocks: RecordingMocks) -> None:
    spec = load_stack("prod-ca")
    seen: dict[str, Any] = {}

    def check(endpoint: str, cluster_name: str, dashboards: list[str]) -> None:
        seen.update(endpoint=endpoint, cluster=cluster_name, dashboards=dashboards)

    build(spec, check)
    assert seen["endpoint"] == f"https://{spec.gateway.hostname}/v1"
    assert seen["cluster"].startswith("prod-ca")
    assert len(seen["dashboards"]) == 3


def test_one_aws_provider_pins_the_region_and_carries_the_required_tags(
    mocks: RecordingMocks,
) -> None:
    spec = load_stack("prod-eu")
    build(spec, lambda *_: None)
    (provider,) = mocks.of_type("pulumi:providers:aws")
    assert provider.inputs["region"] == "eu-central-1"
    tags = provider.inputs["defaultTags"]
    tags = json.loads(tags) if isinstance(tags, str) else tags
    assert tags["tags"] == dict(spec.tags)
    aws_resources = [r for r in mocks.resources if r.typ.startswith("aws:")]
    assert aws_resources
    # Provider references are "<provider urn>::<id>"; the URN's last part names it.
    names = {r.provider.split("::")[3] if r.provider else None for r in aws_resources}
    assert names == {f"{spec.stack}-aws"}


def test_one_of_each_component_per_stack_and_one_per_model_and_pool(
    mocks: RecordingMocks,
) -> None:
    spec = load_stack("prod-ca")
    build(spec, lambda *_: None)
    components = [r.typ for r in mocks.resources if r.typ.startswith("servegate:index:")]
    assert components.count("servegate:index:VllmDeployment") == len(spec.models)
    assert components.count("servegate:index:GpuNodePool") == len(spec.gpu_pools)
    for single in (
        "SovereignNetwork",
        "EksCluster",
        "NvidiaDevicePlugin",
        "AuditTrail",
        "Monitoring",
        "ModelGateway",
    ):
        assert components.count(f"servegate:index:{single}") == 1, single
    namespaces = {
        r.inputs["metadata"]["name"] for r in mocks.of_type("kubernetes:core/v1:Namespace")
    }
    assert {"llm-serving", "llm-gateway", "monitoring"} <= namespaces
