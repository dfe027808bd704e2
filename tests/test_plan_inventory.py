"""The normalized inventory built from plans."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from servegate.errors import GateError
from servegate.plan.inventory import build_inventory
from servegate.plan.load import load_plan
from servegate.plan.raw import RawResource
from tests.plan_builders import UNKNOWN, urn

FIXTURES = Path(__file__).parent / "fixtures" / "plans"
RESOURCE_KEYS = {
    "urn",
    "type",
    "name",
    "parent",
    "op",
    "custom",
    "region",
    "provider",
    "props",
    "unknowns",
    "deps",
    "tags",
}


def _inventory_of(path: Path) -> dict[str, Any]:
    plan = load_plan(path)
    return build_inventory(
        plan.resources,
        stack=plan.stack,
        project=plan.project,
        source=plan.source,
        declared={"residency": {"zone": "ca"}},
        stack_region=plan.stack_region or "ca-central-1",
        stack_urn=plan.stack_urn,
        config=plan.config,
    )


def _raw(type_: str, name: str, inputs: dict[str, Any] | None = None, **extra: Any) -> RawResource:
    return RawResource(
        urn=urn(type_, name),
        type=type_,
        name=name,
        custom=True,
        op="create",
        inputs=inputs or {},
        **extra,
    )


def test_the_inventory_has_the_contract_shape() -> None:
    inventory = _inventory_of(FIXTURES / "preview-prod-ca.json")

    assert set(inventory) == {"stack", "declared", "evaluation", "resources", "by_type"}
    # Built without a date, the inventory is judged as of today (UTC).
    assert inventory["evaluation"] == {"as_of": datetime.now(UTC).date().isoformat()}
    assert inventory["stack"] == {
        "project": "llm-serving",
        "name": "prod-ca",
        "source": "preview",
        "urn": "urn:pulumi:prod-ca::llm-serving::pulumi:pulumi:Stack::llm-serving-prod-ca",
        "region": "ca-central-1",
    }
    assert inventory["declared"] == {"residency": {"zone": "ca"}}
    for resource in inventory["resources"]:
        # old_props: what a changed resource is now (update and replace steps only).
        changed = resource["op"] in {"update", "replace", "create-replacement"}
        assert set(resource) == RESOURCE_KEYS | ({"old_props"} if changed else set())
        assert resource["type"] != "pulumi:pulumi:Stack"
    # The replica bucket asks for its own region: the residency check must see it.
    (replica,) = [r for r in inventory["resources"] if r["name"] == "prod-ca-models-replica"]
    assert replica["region"] == "us-east-1"


def test_deleted_resources_are_listed_with_their_op() -> None:
    inventory = _inventory_of(FIXTURES / "preview-prod-ca.json")
    ops = {r["name"]: r["op"] for r in inventory["resources"]}

    assert ops["legacy-weights"] == "delete"
    assert ops["gpu-l4"] == "replace"


def test_unknowns_are_listed_and_the_sentinel_stays_in_props() -> None:
    resource = _raw(
        "kubernetes:apps/v1:Deployment",
        "d",
        {
            "spec": {"template": {"spec": {"containers": [{"image": "x"}, {"image": UNKNOWN}]}}},
            "kmsKeyId": UNKNOWN,
        },
    )

    (entry,) = build_inventory(
        [resource],
        stack="prod-ca",
        project="llm-serving",
        source="offline",
        declared={},
        stack_region=None,
    )["resources"]

    assert entry["unknowns"] == ["spec.template.spec.containers.1.image", "kmsKeyId"]
    assert entry["props"]["kmsKeyId"] == UNKNOWN
    assert entry["props"]["spec"]["template"]["spec"]["containers"][1]["image"] == UNKNOWN


def test_export_secrets_never_reach_the_inventory() -> None:
    secret = "sk-live-9f8e7d"
    assert secret in (FIXTURES / "export-prod-ca.json").read_text()  # really carries it

    serialized = json.dumps(_inventory_of(FIXTURES / "export-prod-ca.json"))

    assert secret not in serialized
    assert "[secret]" in serialized


def test_secrets_in_hand_built_resources_are_scrubbed_too() -> None:
    secret = _raw("kubernetes:core/v1:Secret", "s", {"data": {"token": "c2VjcmV0LXRva2Vu"}})

    serialized = json.dumps(
        build_inventory(
            [secret],
            stack="prod-ca",
            project="llm-serving",
            source="offline",
            declared={},
            stack_region=None,
        )
    )

    assert "c2VjcmV0LXRva2Vu" not in serialized


def test_a_urn_listed_twice_is_refused() -> None:
    twice = [_raw("aws:s3/bucket:Bucket", "b"), _raw("aws:s3/bucket:Bucket", "b")]

    with pytest.raises(GateError, match="lists resource .*::b twice"):
        build_inventory(
            twice,
            stack="prod-ca",
            project="llm-serving",
            source="offline",
            declared={},
            stack_region=None,
        )


TYPES = st.sampled_from(
    [
        "aws:s3/bucket:Bucket",
        "aws:eks/cluster:Cluster",
        "kubernetes:apps/v1:Deployment",
        "pulumi:providers:aws",
        "servegate:index:ServingStack",
        "pulumi:pulumi:Stack",
    ]
)


@given(st.lists(TYPES, max_size=40))
def test_by_type_indexes_every_listed_resource_once_under_its_type(types: list[str]) -> None:
    resources = [_raw(type_, f"r{i}") for i, type_ in enumerate(types)]

    inventory = build_inventory(
        resources,
        stack="prod-ca",
        project="llm-serving",
        source="offline",
        declared={},
        stack_region="ca-central-1",
    )

    listed = inventory["resources"]
    indexes = sorted(i for group in inventory["by_type"].values() for i in group)
    assert indexes == list(range(len(listed)))
    for type_, group in inventory["by_type"].items():
        assert all(listed[i]["type"] == type_ for i in group)
    # Plan order is kept; only the root stack is left out.
    assert [r["name"] for r in listed] == [
        r.name for r in resources if r.type != "pulumi:pulumi:Stack"
    ]
