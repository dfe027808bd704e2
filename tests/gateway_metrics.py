"""The gateway telemetry of a stack as ServingStack wires it (stack name = ServingStack name)."""

from __future__ import annotations

from components.config import StackSpec
from components.gateway_telemetry import GatewayTelemetry
from components.serving_stack import gateway_telemetry


def telemetry(spec: StackSpec) -> GatewayTelemetry:
    return gateway_telemetry(spec.stack, spec)
