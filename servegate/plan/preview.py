"""``pulumi preview --json --show-sames`` documents (the engine's ``PreviewDigest``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from servegate.errors import GateError
from servegate.plan.ops import DELETING_OPS, STEP_OPS, precedence
from servegate.plan.parsed import ParsedPlan
from servegate.plan.raw import RawResource
from servegate.plan.states import resource_from_state
from servegate.plan.urns import ROOT_STACK_TYPE


def parse_preview(doc: Mapping[str, Any], file: str) -> ParsedPlan:
    """The resources a preview's steps describe, one per URN, in step order.

    A step's ``newState`` is its resource's future state; a deleted resource has only
    ``oldState`` and keeps its deleting op so policies can skip it.
    """
    steps = doc.get("steps")
    if not isinstance(steps, list):
        raise GateError(f"{file}: steps is not a list")
    config = _object(doc.get("config"), "config", file)
    summary = _change_summary(doc.get("changeSummary"), file)

    chosen: dict[str, RawResource] = {}
    stack_urn: str | None = None
    listed_same = 0
    for index, step in enumerate(steps):
        where = f"steps[{index}]"
        if not isinstance(step, dict):
            raise GateError(f"{file}: {where} is not an object")
        op = step.get("op")
        if op not in STEP_OPS:
            raise GateError(
                f"{file}: {where}.op {op!r} is not a Pulumi step op "
                f"(one of {', '.join(sorted(STEP_OPS))})"
            )
        listed_same += op == "same"
        key, state = _state_of(step, op, where, file)
        if state.get("type") == ROOT_STACK_TYPE:
            stack_urn = state.get("urn") or step.get("urn")
            continue
        if "urn" not in state and isinstance(step.get("urn"), str):
            state = {**state, "urn": step["urn"]}
        resource = resource_from_state(
            state,
            op=op,
            where=f"{where}.{key}",
            file=file,
            provider=step.get("provider") if isinstance(step.get("provider"), str) else None,
        )
        previous = chosen.get(resource.urn)
        if previous is None or precedence(op) > precedence(previous.op):
            chosen[resource.urn] = resource

    unchanged = summary.get("same", 0)
    if unchanged > listed_same:
        raise GateError(
            f"{file}: the preview leaves out unchanged resources (changeSummary.same is "
            f"{unchanged}, {listed_same} listed); re-run `pulumi preview --json --show-sames`"
        )
    return ParsedPlan(
        resources=list(chosen.values()),
        config=config,
        stack_urn=stack_urn,
        change_summary=summary,
    )


def _state_of(
    step: Mapping[str, Any], op: str, where: str, file: str
) -> tuple[str, Mapping[str, Any]]:
    order = ("oldState", "newState") if op in DELETING_OPS else ("newState", "oldState")
    for key in order:
        state = step.get(key)
        if state is None:
            continue
        if not isinstance(state, dict):
            raise GateError(f"{file}: {where}.{key} is not an object")
        return key, state
    raise GateError(f"{file}: {where} has neither newState nor oldState")


def _object(value: Any, where: str, file: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise GateError(f"{file}: {where} is not an object")
    return dict(value)


def _change_summary(value: Any, file: str) -> dict[str, int]:
    summary = _object(value, "changeSummary", file)
    for op, count in summary.items():
        if not isinstance(count, int) or isinstance(count, bool):
            raise GateError(f"{file}: changeSummary.{op} is not a count")
    return summary
