"""``pulumi stack export`` documents (the engine's ``UntypedDeployment``, versions 1-3)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from servegate.errors import GateError
from servegate.plan.ops import precedence
from servegate.plan.parsed import ParsedPlan
from servegate.plan.raw import RawResource
from servegate.plan.states import resource_from_state, root_stack_urn
from servegate.plan.urns import ROOT_STACK_TYPE

SUPPORTED_VERSIONS = (1, 2, 3)


def parse_export(doc: Mapping[str, Any], file: str) -> ParsedPlan:
    """The deployed resources of a stack export, all with op ``same``.

    A resource marked ``delete`` is an old copy waiting to be deleted after a replacement:
    it is dropped when its replacement is listed, else kept with op ``delete-replaced``.
    Resources of interrupted operations (``pending_operations``) that the state does not
    list may exist in the cloud, so they are judged too.
    """
    version = doc.get("version")
    if version not in SUPPORTED_VERSIONS:
        raise GateError(
            f"{file}: stack export version {version!r} is not supported "
            f"(one of {', '.join(map(str, SUPPORTED_VERSIONS))})"
        )
    deployment = doc.get("deployment")
    if not isinstance(deployment, dict):
        raise GateError(f"{file}: deployment is not an object")
    states = deployment.get("resources") or []
    if not isinstance(states, list):
        raise GateError(f"{file}: deployment.resources is not a list")

    listed: list[RawResource] = []
    # Where each URN's live (not pending-deletion) state is: the engine keeps one per URN.
    live: dict[str, int] = {}
    stack_urn: str | None = None
    for index, state in enumerate(states):
        where = f"deployment.resources[{index}]"
        if not isinstance(state, dict):
            raise GateError(f"{file}: {where} is not an object")
        if state.get("type") == ROOT_STACK_TYPE:
            stack_urn = root_stack_urn(state.get("urn"), where, file)
            continue
        deleting = state.get("delete", False)
        if not isinstance(deleting, bool):
            # A string "false" is truthy: read loosely, a live resource would go unjudged.
            raise GateError(f"{file}: {where}.delete is not true or false")
        resource = resource_from_state(
            state, op="delete-replaced" if deleting else "same", where=where, file=file
        )
        if not deleting:
            if resource.urn in live:
                raise GateError(
                    f"{file}: deployment.resources[{live[resource.urn]}] and {where} are both "
                    f"the live state of {resource.urn[:300]}; a stack holds one per URN"
                )
            live[resource.urn] = index
        listed.append(resource)
    for index, operation in enumerate(_pending(deployment, file)):
        where = f"deployment.pending_operations[{index}].resource"
        listed.append(resource_from_state(operation, op="same", where=where, file=file))

    chosen: dict[str, RawResource] = {}
    for resource in listed:
        previous = chosen.get(resource.urn)
        if previous is None or precedence(resource.op) > precedence(previous.op):
            chosen[resource.urn] = resource
    return ParsedPlan(resources=list(chosen.values()), stack_urn=stack_urn)


def _pending(deployment: Mapping[str, Any], file: str) -> list[Mapping[str, Any]]:
    operations = deployment.get("pending_operations") or []
    if not isinstance(operations, list):
        raise GateError(f"{file}: deployment.pending_operations is not a list")
    states: list[Mapping[str, Any]] = []
    for index, operation in enumerate(operations):
        state = operation.get("resource") if isinstance(operation, dict) else None
        if not isinstance(state, dict):
            raise GateError(f"{file}: deployment.pending_operations[{index}] has no resource")
        states.append(state)
    return states
