"""Resource states (the engine's ``ResourceV3`` shape) as raw resources.

Both ``pulumi preview --json`` (``newState``/``oldState`` of a step) and ``pulumi stack
export`` (``deployment.resources[]``) serialize resources in this shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from servegate.errors import GateError
from servegate.plan import urns
from servegate.plan.raw import RawResource
from servegate.plan.secrets import scrub_properties


def resource_from_state(
    state: Mapping[str, Any], *, op: str, where: str, file: str, provider: str | None = None
) -> RawResource:
    """The raw resource a state describes; ``where`` locates the state in ``file``.

    ``provider`` is used when the state itself names no provider reference.
    """
    urn = state.get("urn")
    if not isinstance(urn, str) or not urns.is_urn(urn):
        raise GateError(f"{file}: {where} has no valid urn (expected urn:pulumi:...)")
    type_token = state.get("type")
    if not isinstance(type_token, str) or not type_token:
        raise GateError(f"{file}: {where} ({urn}) has no type")
    inputs = state.get("inputs")
    if inputs is None:
        inputs = {}
    if not isinstance(inputs, dict):
        raise GateError(f"{file}: {where}.inputs is not an object")
    custom = state.get("custom", False)
    if not isinstance(custom, bool):
        raise GateError(f"{file}: {where}.custom is not true or false")
    return RawResource(
        urn=urn,
        type=type_token,
        name=urns.name_of(urn),
        custom=custom,
        op=op,
        inputs=scrub_properties(type_token, inputs),
        parent=_optional_str(state.get("parent"), f"{where}.parent", file),
        provider=_optional_str(state.get("provider"), f"{where}.provider", file) or provider,
        deps=_dependencies(state.get("propertyDependencies"), where, file),
    )


def root_stack_urn(value: Any, where: str, file: str) -> str:
    """The root stack's URN, which names the plan's stack and project: it must be one."""
    if not urns.is_urn(value):
        raise GateError(
            f"{file}: {where} (the root stack) has no valid urn (expected urn:pulumi:...)"
        )
    urn: str = value
    return urn


def _optional_str(value: Any, where: str, file: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise GateError(f"{file}: {where} is not a string")
    return value


def _dependencies(value: Any, where: str, file: str) -> dict[str, list[str]]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise GateError(f"{file}: {where}.propertyDependencies is not an object")
    deps: dict[str, list[str]] = {}
    for key, targets in value.items():
        if not isinstance(targets, list) or not all(isinstance(t, str) for t in targets):
            raise GateError(f"{file}: {where}.propertyDependencies.{key} is not a list of URNs")
        if targets:
            deps[key] = list(targets)
    return deps
