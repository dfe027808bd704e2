"""``pulumi preview --json --show-sames`` documents (the engine's ``PreviewDigest``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from servegate.errors import GateError
from servegate.plan.ops import DELETING_OPS, STEP_OPS, is_valid_combination, precedence
from servegate.plan.parsed import ParsedPlan
from servegate.plan.raw import RawResource
from servegate.plan.secrets import scrub_properties
from servegate.plan.states import resource_from_state, root_stack_urn
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
    # What a changed resource is now (its step's oldState inputs), for rules that judge the
    # change itself (SLA-024: capacity only, rollback).
    olds: dict[str, dict[str, Any]] = {}
    # Every step of each URN: (index, op, resource), to refuse combinations the engine
    # never produces (the second state would go unjudged).
    listed: dict[str, list[tuple[int, str, RawResource]]] = {}
    stack_urn: str | None = None
    listed_same = 0
    for index, step in enumerate(steps):
        where = f"steps[{index}]"
        if not isinstance(step, dict):
            raise GateError(f"{file}: {where} is not an object")
        op = step.get("op")
        if not isinstance(op, str) or op not in STEP_OPS:
            raise GateError(
                f"{file}: {where}.op {str(op)[:60]!r} is not a Pulumi step op "
                f"(one of {', '.join(sorted(STEP_OPS))})"
            )
        step_urn = _optional_text(step.get("urn"), f"{where}.urn", file)
        step_provider = _optional_text(step.get("provider"), f"{where}.provider", file)
        listed_same += op == "same"
        key, state = _state_of(step, op, where, file)
        if step_urn is not None and "urn" in state and state["urn"] != step_urn:
            raise GateError(
                f"{file}: {where}.urn {step_urn[:200]} differs from its {key}.urn: "
                "which resource the step describes is ambiguous"
            )
        if state.get("type") == ROOT_STACK_TYPE:
            stack_urn = root_stack_urn(state.get("urn") or step_urn, f"{where}.{key}", file)
            continue
        if "urn" not in state and step_urn is not None:
            state = {**state, "urn": step_urn}
        resource = resource_from_state(
            state, op=op, where=f"{where}.{key}", file=file, provider=step_provider
        )
        listed.setdefault(resource.urn, []).append((index, op, resource))
        old_inputs = _old_inputs(step, op, resource.type)
        if old_inputs is not None:
            olds.setdefault(resource.urn, old_inputs)
        previous = chosen.get(resource.urn)
        if previous is None or precedence(op) > precedence(previous.op):
            chosen[resource.urn] = resource
    for urn, urn_steps in listed.items():
        if len(urn_steps) > 1:
            _check_one_resource(urn, urn_steps, file)

    unchanged = summary.get("same", 0)
    if unchanged > listed_same:
        raise GateError(
            f"{file}: the preview leaves out unchanged resources (changeSummary.same is "
            f"{unchanged}, {listed_same} listed); re-run `pulumi preview --json --show-sames`"
        )
    return ParsedPlan(
        resources=[
            replace(r, old_inputs=olds[r.urn]) if r.urn in olds else r for r in chosen.values()
        ],
        config=config,
        stack_urn=stack_urn,
        change_summary=summary,
    )


def _check_one_resource(urn: str, urn_steps: list[tuple[int, str, RawResource]], file: str) -> None:
    """Several steps of one URN must be one replacement (or old copies being deleted)."""
    ops = [op for _, op, _ in urn_steps]
    described = ", ".join(f"steps[{index}] ({op})" for index, op, _ in urn_steps)
    if not is_valid_combination(ops):
        raise GateError(
            f"{file}: {described} all describe {urn[:300]}: only a replacement (replace with "
            "create-replacement, delete-replaced) may list one URN in several steps"
        )
    # The steps of one replacement share its new state; two different ones cannot both be
    # judged as one resource.
    futures = [(i, op, r) for i, op, r in urn_steps if op not in DELETING_OPS]
    first = futures[0][2] if futures else None
    for index, op, resource in futures[1:]:
        if first is not None and replace(resource, op=first.op) != first:
            raise GateError(
                f"{file}: steps[{futures[0][0]}] ({futures[0][1]}) and steps[{index}] ({op}) "
                f"give {urn[:300]} different new states; a replacement's steps share one"
            )


_CHANGING_OPS = frozenset({"update", "replace", "create-replacement"})


def _old_inputs(step: Mapping[str, Any], op: str, type_token: str) -> dict[str, Any] | None:
    """The scrubbed inputs of a changing step's ``oldState``, if it has them."""
    old = step.get("oldState")
    if op not in _CHANGING_OPS or not isinstance(old, dict):
        return None
    inputs = old.get("inputs")
    return scrub_properties(type_token, inputs) if isinstance(inputs, dict) else None


def _optional_text(value: Any, where: str, file: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise GateError(f"{file}: {where} is not a string")
    return value


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
