"""Effective region and provider resolution in the inventory."""

from __future__ import annotations

import json
from typing import Any

from servegate.plan.inventory import build_inventory
from servegate.plan.preview import parse_preview
from tests.plan_builders import UNKNOWN, preview_doc, provider_ref, provider_step, step


def _inventory(
    steps: list[dict[str, Any]],
    stack_region: str | None = "ca-central-1",
    config: dict[str, Any] | None = None,
) -> dict[str, Any]:
    parsed = parse_preview(preview_doc(steps), "plan.json")
    return build_inventory(
        parsed.resources,
        stack="prod-ca",
        project="llm-serving",
        source="preview",
        declared={},
        stack_region=stack_region,
        config=config,
    )


def _resource(inventory: dict[str, Any], name: str) -> dict[str, Any]:
    (found,) = [r for r in inventory["resources"] if r["name"] == name]
    return found


def test_a_resource_region_input_wins_over_its_provider() -> None:
    aws = provider_step("ca", region="ca-central-1")
    bucket = step(
        "create", "aws:s3/bucket:Bucket", "b", {"region": "us-east-1"}, provider=provider_ref(aws)
    )

    assert _resource(_inventory([aws, bucket]), "b")["region"] == "us-east-1"


def test_an_explicit_provider_in_another_region() -> None:
    eu = provider_step("eu", region="eu-west-1", default_tags={"owner": "ml"})
    bucket = step("create", "aws:s3/bucket:Bucket", "b", {}, provider=provider_ref(eu))

    resource = _resource(_inventory([eu, bucket]), "b")

    assert resource["region"] == "eu-west-1"
    assert resource["provider"] == {
        "urn": eu["newState"]["urn"],
        "type": "pulumi:providers:aws",
        "region": "eu-west-1",
        "defaultTags": {"owner": "ml"},
    }


def test_the_default_provider_listed_in_the_plan() -> None:
    default = provider_step("default_7_51_1", region="ap-southeast-2")
    bucket = step("create", "aws:s3/bucket:Bucket", "b", {}, provider=provider_ref(default))
    no_reference = step("create", "aws:s3/bucket:Bucket", "c", {})

    inventory = _inventory([default, bucket, no_reference])

    assert _resource(inventory, "b")["region"] == "ap-southeast-2"
    assert _resource(inventory, "c")["region"] == "ap-southeast-2"


def test_the_stack_region_when_the_default_provider_has_none() -> None:
    default = provider_step("default", region=None)
    bucket = step("create", "aws:s3/bucket:Bucket", "b", {}, provider=provider_ref(default))
    unlisted = step("create", "aws:s3/bucket:Bucket", "c", {})

    inventory = _inventory([default, bucket, unlisted], stack_region="ca-central-1")

    assert _resource(inventory, "default")["region"] == "ca-central-1"
    assert _resource(inventory, "b")["region"] == "ca-central-1"
    assert _resource(inventory, "c")["region"] == "ca-central-1"


def test_unresolvable_regions_are_null() -> None:
    no_region = provider_step("explicit", region=None)
    by_explicit = step(
        "create", "aws:s3/bucket:Bucket", "explicit-b", {}, provider=provider_ref(no_region)
    )
    unknown_own = step("create", "aws:s3/bucket:Bucket", "unknown-b", {"region": UNKNOWN})
    no_stack_region = step("create", "aws:s3/bucket:Bucket", "default-b", {})

    inventory = _inventory(
        [no_region, by_explicit, unknown_own, no_stack_region], stack_region=None
    )

    assert _resource(inventory, "explicit-b")["region"] is None
    assert _resource(inventory, "unknown-b")["region"] is None
    assert _resource(inventory, "unknown-b")["unknowns"] == ["region"]
    assert _resource(inventory, "default-b")["region"] is None


def test_kubernetes_and_component_resources_have_no_region() -> None:
    k8s = provider_step("k8s", package="kubernetes")
    deployment = step(
        "create", "kubernetes:apps/v1:Deployment", "d", {}, provider=provider_ref(k8s)
    )
    component = step("create", "servegate:index:ServingStack", "s", {}, custom=False)

    inventory = _inventory([k8s, deployment, component])

    assert _resource(inventory, "d")["region"] is None
    assert _resource(inventory, "d")["provider"]["type"] == "pulumi:providers:kubernetes"
    assert _resource(inventory, "s")["region"] is None
    assert _resource(inventory, "s")["provider"] is None


def test_effective_tags_merge_resource_tags_over_provider_default_tags() -> None:
    for encoded in (True, False):
        aws = provider_step(
            "p",
            region="ca-central-1",
            json_encoded=encoded,
            default_tags={"owner": "ml", "environment": "prod-ca"},
        )
        bucket = step(
            "create",
            "aws:s3/bucket:Bucket",
            "b",
            {"tags": {"environment": "override", "purpose": "models"}},
            provider=provider_ref(aws),
        )

        inventory = _inventory([aws, bucket])

        assert _resource(inventory, "b")["tags"] == {
            "owner": "ml",
            "environment": "override",
            "purpose": "models",
        }
        # The provider's own props show its default tags decoded, whatever the encoding.
        assert _resource(inventory, "p")["props"]["defaultTags"] == {
            "tags": {"owner": "ml", "environment": "prod-ca"}
        }


def test_stack_default_tags_apply_through_an_unlisted_default_provider() -> None:
    bucket = step("create", "aws:s3/bucket:Bucket", "b", {"tags": {"a": "1"}})
    config = {"aws:defaultTags": json.dumps({"tags": {"owner": "ml"}})}

    inventory = _inventory([bucket], config=config)

    assert _resource(inventory, "b")["tags"] == {"owner": "ml", "a": "1"}
