"""Components get the parts of the spec they read, never the whole StackSpec."""

from __future__ import annotations

import dataclasses

import pytest

from components.audit import AuditTrailArgs
from components.config import load_stack
from components.network import SovereignNetworkArgs


@pytest.mark.parametrize("args_type", [SovereignNetworkArgs, AuditTrailArgs])
def test_args_hold_no_stack_spec(args_type: type) -> None:
    spec = load_stack("prod-ca")
    args = args_type.of(spec)
    for field in dataclasses.fields(args_type):
        assert "StackSpec" not in str(field.type), field.name
        assert getattr(args, field.name) is not spec


def test_the_args_carry_what_the_spec_declares() -> None:
    spec = load_stack("dev")
    network = SovereignNetworkArgs.of(spec)
    assert (network.region, network.network.cidr) == ("ca-central-1", "10.10.0.0/16")
    assert (network.air_gapped, network.internet_facing_gateway) == (False, True)
    assert network.flow_log_retention_days >= spec.audit.log_retention_days
    trail = AuditTrailArgs.of(spec)
    assert (trail.region, trail.data_classification) == ("ca-central-1", "internal")
    assert trail.audit == spec.audit
