"""Synthetic `pulumi preview --json` documents of any size, replicated from a real offline plan.

The base is the offline run of a stack (prod-ca by default) written as a preview document,
exactly what `servegate preview` judges. Its resource steps are copied K times; copy ``i``
suffixes every resource name with ``-r{i}`` and remaps every reference to a copied URN
(parent, provider references ``<urn>::<id>``, propertyDependencies, any input holding a URN)
so each copy is a consistent stack of its own. Kubernetes namespaces get the same suffix:
otherwise the copies' Kubernetes objects would share namespace/name keys and every join on
them (PDB selectors, gateway targets, autoscaler targets) would collapse to one copy's
work, understating what a real 10k-resource plan costs. The root stack step, the config and
the policy data are kept once.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from servegate.plan.urns import ROOT_STACK_TYPE

NAMESPACE_TYPE = "kubernetes:core/v1:Namespace"


def base_document(stack: str, project_dir: Path) -> dict[str, Any]:
    """The stack's offline run as a preview document (runs the Pulumi program offline)."""
    from components.config import load_stack, read_stack_config, stack_file
    from servegate.plan.emit import preview_document
    from servegate.run import offline_run

    run = offline_run(load_stack(stack, project_dir), project_dir)
    return preview_document(run, read_stack_config(stack_file(stack, project_dir)))


def resource_steps(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The document's steps other than the root stack's."""
    return [step for step in doc["steps"] if _step_type(step) != ROOT_STACK_TYPE]


def copies_for(target: int, per_copy: int) -> int:
    """How many copies of ``per_copy`` resources reach at least ``target`` resources."""
    return max(1, math.ceil(target / per_copy))


def replicate(doc: Mapping[str, Any], copies: int) -> dict[str, Any]:
    """``doc`` with its resource steps repeated ``copies`` times, each copy consistent."""
    root_steps = [step for step in doc["steps"] if _step_type(step) == ROOT_STACK_TYPE]
    replicated: list[dict[str, Any]] = list(root_steps)
    for index in range(copies):
        replicated.extend(replicated_steps(doc, index))
    summary = {"create": copies * len(resource_steps(doc)), "same": len(root_steps)}
    return {**doc, "steps": replicated, "changeSummary": summary}


def replicated_steps(doc: Mapping[str, Any], index: int) -> list[dict[str, Any]]:
    """Copy ``index`` of the document's resource steps (names suffixed ``-r{index}``)."""
    steps = resource_steps(doc)
    urns = {step["urn"] for step in steps}
    namespaces = {
        step["newState"]["inputs"]["metadata"]["name"]
        for step in steps
        if _step_type(step) == NAMESPACE_TYPE
    }
    rename = _renamer(urns, namespaces, f"-r{index}")
    return [rename(step, None) for step in steps]


def synthetic_document(base: Mapping[str, Any], resources: int) -> dict[str, Any]:
    """At least ``resources`` resources (whole copies of ``base``, so the count rounds up)."""
    return replicate(base, copies_for(resources, len(resource_steps(base))))


def _step_type(step: Mapping[str, Any]) -> str:
    state = step.get("newState") or step.get("oldState") or {}
    return str(state.get("type", ""))


def _renamer(urns: set[str], namespaces: set[str], suffix: str) -> Callable[[Any, str | None], Any]:
    """A deep copy function that suffixes copied URNs, provider references and namespaces."""

    def rename_string(value: str, key: str | None) -> str:
        if value in urns:
            return value + suffix
        # Provider references are "<provider urn>::<provider id>".
        head, separator, tail = value.rpartition("::")
        if separator and head in urns:
            return f"{head}{suffix}::{tail}{suffix}"
        if key in {"namespace", "matchNames", "name"} and value in namespaces:
            return value + suffix
        return value

    def rename(value: Any, key: str | None) -> Any:
        if isinstance(value, str):
            return rename_string(value, key)
        if isinstance(value, list):
            return [rename(item, key) for item in value]
        if isinstance(value, dict):
            return {name: rename(item, name) for name, item in value.items()}
        return value

    return rename
