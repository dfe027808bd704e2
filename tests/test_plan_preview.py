"""Parsing `pulumi preview --json` documents."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from servegate.errors import GateError
from servegate.plan.preview import parse_preview
from tests.plan_builders import UNKNOWN, preview_doc, provider_ref, provider_step, step, urn

FORMATS = Path("/work/shared/formats")
EXAMPLE = FORMATS / "preview.example.json"


@pytest.mark.skipif(not EXAMPLE.exists(), reason="shared format examples not present")
def test_shared_example_parses_without_the_root_stack() -> None:
    parsed = parse_preview(json.loads(EXAMPLE.read_text()), "preview.example.json")

    assert parsed.stack_urn is not None and parsed.stack_urn.endswith("::llm-serving-prod-ca")
    assert [r.type for r in parsed.resources] == [
        "pulumi:providers:aws",
        "aws:s3/bucket:Bucket",
        "kubernetes:apps/v1:Deployment",
    ]
    deployment = parsed.resources[2]
    # An update is judged on its new state, not the old one.
    assert deployment.op == "update"
    assert deployment.inputs["spec"]["replicas"] == 3
    assert parsed.config["aws:region"] == "ca-central-1"


def test_property_dependencies_become_deps_and_step_provider_is_the_fallback() -> None:
    aws = provider_step("default_7_51_1", region="ca-central-1")
    bucket_urn = urn("aws:s3/bucket:Bucket", "models")
    versioning = step(
        "create",
        "aws:s3/bucketVersioning:BucketVersioning",
        "models",
        {"bucket": UNKNOWN},
        deps={"bucket": [bucket_urn], "versioningConfiguration": []},
    )
    # The engine writes the reference on the step; a state may leave it out.
    versioning["provider"] = provider_ref(aws)

    parsed = parse_preview(preview_doc([aws, versioning]), "plan.json")

    resource = parsed.resources[1]
    assert resource.deps == {"bucket": [bucket_urn]}
    assert resource.provider == provider_ref(aws)


def test_deleted_resources_are_kept_with_their_op_and_old_inputs() -> None:
    gone = step("delete", "aws:s3/bucket:Bucket", "old", {"bucket": "old-bucket"})

    parsed = parse_preview(preview_doc([gone]), "plan.json")

    (resource,) = parsed.resources
    assert resource.op == "delete"
    assert resource.inputs == {"bucket": "old-bucket"}


def test_replacement_steps_give_one_resource_with_the_new_state() -> None:
    old_inputs = {"instanceTypes": ["g5.xlarge"]}
    new_inputs = {"instanceTypes": ["g6.xlarge"]}
    steps = [
        step(op, "aws:eks/nodeGroup:NodeGroup", "gpu", new_inputs, old_inputs=old_inputs)
        for op in ("create-replacement", "replace", "delete-replaced")
    ]

    parsed = parse_preview(preview_doc(steps), "plan.json")

    (resource,) = parsed.resources
    assert resource.op == "replace"
    assert resource.inputs == new_inputs


def test_unknowns_and_preview_secrets_are_kept_as_printed() -> None:
    bucket = step("create", "aws:s3/bucket:Bucket", "b", {"bucket": UNKNOWN, "tags": "[secret]"})

    (resource,) = parse_preview(preview_doc([bucket]), "plan.json").resources

    assert resource.inputs == {"bucket": UNKNOWN, "tags": "[secret]"}


def test_a_preview_without_show_sames_is_refused() -> None:
    same = step("same", "aws:s3/bucket:Bucket", "unchanged", {"bucket": "x"})
    changed = step("update", "aws:s3/bucket:Bucket", "changed", {"bucket": "y"})

    with pytest.raises(GateError) as caught:
        parse_preview(preview_doc([same, changed], show_sames=False), "plan.json")

    message = str(caught.value)
    assert message.startswith("plan.json: ")
    assert "--show-sames" in message
    assert "\n" not in message


def test_a_preview_with_show_sames_is_accepted() -> None:
    same = step("same", "aws:s3/bucket:Bucket", "unchanged", {"bucket": "x"})

    parsed = parse_preview(preview_doc([same], show_sames=True), "plan.json")

    assert [r.op for r in parsed.resources] == ["same"]


def test_an_unknown_op_is_refused() -> None:
    odd = step("create", "aws:s3/bucket:Bucket", "b", {})
    odd["op"] = "obliterate"

    with pytest.raises(GateError, match=r"plan.json: steps\[1\]\.op 'obliterate'"):
        parse_preview(preview_doc([odd]), "plan.json")


def test_a_changed_resource_keeps_its_old_inputs_scrubbed() -> None:
    secret = {
        "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
        "value": "s3cr3t",
    }
    doc = preview_doc(
        [
            step(
                "update",
                "kubernetes:apps/v1:Deployment",
                "vllm",
                {"spec": {"replicas": 3}},
                old_inputs={"spec": {"replicas": 2}, "token": secret},
            ),
            step("same", "kubernetes:core/v1:Service", "vllm", {"spec": {}}),
            step("create", "kubernetes:core/v1:ConfigMap", "new", {"data": {}}),
        ]
    )
    resources = {r.type: r for r in parse_preview(doc, "plan.json").resources}
    changed = resources["kubernetes:apps/v1:Deployment"]
    assert changed.old_inputs == {"spec": {"replicas": 2}, "token": "[secret]"}
    assert "s3cr3t" not in json.dumps(changed.old_inputs)
    assert resources["kubernetes:core/v1:Service"].old_inputs is None
    assert resources["kubernetes:core/v1:ConfigMap"].old_inputs is None
