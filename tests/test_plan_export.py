"""Parsing `pulumi stack export` documents."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from servegate.errors import GateError
from servegate.plan.export import parse_export
from tests.plan_builders import (
    archive,
    asset,
    export_doc,
    export_secret,
    provider_step,
    resource_reference,
    step,
    urn,
)

EXAMPLE = Path("/work/shared/formats/stack-export.example.json")


@pytest.mark.skipif(not EXAMPLE.exists(), reason="shared format examples not present")
def test_shared_example_parses() -> None:
    parsed = parse_export(json.loads(EXAMPLE.read_text()), "stack-export.example.json")

    assert parsed.stack_urn is not None and parsed.stack_urn.endswith("::llm-serving-prod-ca")
    assert [r.type for r in parsed.resources] == [
        "pulumi:providers:aws",
        "kubernetes:core/v1:Secret",
        "aws:cloudtrail/trail:Trail",
    ]
    assert {r.op for r in parsed.resources} == {"same"}
    # The example's Secret carries its payload as an encrypted secret object.
    assert parsed.resources[1].inputs["stringData"] == "[secret]"
    assert "v1:AAAABBBBCCCC" not in json.dumps([r.inputs for r in parsed.resources])


@pytest.mark.parametrize("plaintext", [False, True], ids=["ciphertext", "plaintext"])
def test_secret_objects_become_the_secret_marker(plaintext: bool) -> None:
    aws = provider_step("default_7_51_1", region="ca-central-1")
    bucket = step(
        "same",
        "aws:s3/bucket:Bucket",
        "b",
        {"tags": {"token": export_secret("hunter2-token", plaintext=plaintext)}},
    )

    parsed = parse_export(export_doc([aws, bucket]), "state.json")

    assert parsed.resources[1].inputs["tags"] == {"token": "[secret]"}
    assert "hunter2-token" not in json.dumps([r.inputs for r in parsed.resources])


def test_assets_archives_and_resource_references_are_readable() -> None:
    target = urn("aws:kms/key:Key", "key")
    function = step(
        "same",
        "aws:lambda/function:Function",
        "fn",
        {
            "code": archive("./fn.zip"),
            "policy": asset("./p.json"),
            "key": resource_reference(target),
        },
    )

    (resource,) = parse_export(export_doc([function]), "state.json").resources

    assert resource.inputs["code"]["archive"]["path"] == "./fn.zip"
    assert resource.inputs["policy"]["asset"]["path"] == "./p.json"
    assert resource.inputs["key"] == target


def test_old_copies_waiting_for_deletion_give_way_to_their_replacement() -> None:
    live = step("same", "aws:eks/nodeGroup:NodeGroup", "gpu", {"instanceTypes": ["g6.xlarge"]})
    old = step("delete-replaced", "aws:eks/nodeGroup:NodeGroup", "gpu", {"instanceTypes": ["x"]})
    orphan = step("delete", "aws:s3/bucket:Bucket", "orphan", {"bucket": "orphan"})

    parsed = parse_export(export_doc([old, live, orphan]), "state.json")

    assert [(r.name, r.op) for r in parsed.resources] == [
        ("gpu", "same"),
        ("orphan", "delete-replaced"),
    ]
    assert parsed.resources[0].inputs == {"instanceTypes": ["g6.xlarge"]}


def test_resources_of_interrupted_operations_are_judged_too() -> None:
    listed = step("same", "aws:s3/bucket:Bucket", "listed", {})
    creating = step("create", "aws:s3/bucket:Bucket", "half-created", {"bucket": "h"})

    parsed = parse_export(export_doc([listed], pending=[creating]), "state.json")

    assert [r.name for r in parsed.resources] == ["listed", "half-created"]


@pytest.mark.parametrize("version", [1, 2, 3])
def test_supported_versions(version: int) -> None:
    parsed = parse_export(
        export_doc([step("same", "aws:s3/bucket:Bucket", "b", {})], version=version), "state.json"
    )
    assert len(parsed.resources) == 1


def test_an_unsupported_version_is_refused() -> None:
    with pytest.raises(GateError, match=r"^state.json: stack export version 4 is not supported"):
        parse_export(export_doc([], version=4), "state.json")
