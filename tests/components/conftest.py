"""Pulumi mock engine for component tests.

Each test gets fresh mocks (set before any resource is created) that record every
registered resource, so a test can assert on children as well as on outputs.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pulumi
import pytest

from servegate.gate_env import AUDIT_LOG_ENV
from servegate.plan import offline


class RecordingMocks(pulumi.runtime.Mocks):
    """Outputs echo inputs; ids and ARNs are derived from names."""

    def __init__(self) -> None:
        self.resources: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.resources.append(args)
        outputs = dict(args.inputs)
        resource_id = f"{args.name}-id"
        if args.typ == "aws:iam/role:Role":
            # Components read the account id from an IAM role ARN (no runtime lookups).
            outputs.setdefault("arn", f"arn:aws:iam::123456789012:role/{args.name}")
        if args.typ.startswith("aws:"):
            outputs.setdefault("arn", f"arn:aws:mock:::{args.name}")
        if args.typ == "aws:eks/cluster:Cluster":
            outputs.setdefault("endpoint", f"https://{args.name}.eks.example")
            outputs.setdefault("certificateAuthority", {"data": "Y2VydA=="})
            outputs.setdefault(
                "identities", [{"oidcs": [{"issuer": "https://oidc.eks.example/id/X"}]}]
            )
        if args.typ == "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
            outputs.setdefault("url", "oidc.eks.example/id/X")
        if args.typ == "aws:s3/bucket:Bucket":
            outputs.setdefault("bucket", f"{args.name}-bucket")
        if args.typ == "aws:ec2/launchTemplate:LaunchTemplate":
            outputs.setdefault("latestVersion", 1)
        offline.add_reported_outputs(args.typ, args.name, outputs)
        return resource_id, outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        return {}

    def of_type(self, token: str) -> list[pulumi.runtime.MockResourceArgs]:
        return [r for r in self.resources if r.typ == token]


_MOCKS = RecordingMocks()
pulumi.runtime.set_mocks(_MOCKS, project="llm-serving", stack="test", preview=False)


@pytest.fixture(autouse=True)
def _audit_log_outside_the_checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """ServingStack enforces the policies in the program and logs its verdict: keep it here."""
    monkeypatch.setenv(AUDIT_LOG_ENV, str(tmp_path / "audit.jsonl"))


@pytest.fixture
def mocks() -> Iterator[RecordingMocks]:
    """Fresh recording mocks for one test."""
    fresh = RecordingMocks()
    pulumi.runtime.set_mocks(fresh, project="llm-serving", stack="test", preview=False)
    yield fresh
