"""Builders of plan documents in the Pulumi engine's formats, for tests.

``step(...)`` makes one ``pulumi preview --json`` step; ``preview_doc(steps)`` wraps steps
into a preview document (root stack step, config, changeSummary) and ``export_doc(steps)``
turns the same steps into a ``pulumi stack export`` document. URNs follow the engine: the
root stack is left out of the type chain; a parent's qualified type prefixes its children's.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from servegate.plan.unknowns import UNKNOWN

STACK = "prod-ca"
PROJECT = "llm-serving"
SIG = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17"
ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7"
RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
DELETING_OPS = {
    "delete",
    "delete-replaced",
    "discard",
    "discard-replaced",
    "remove-pending-replace",
}


def stack_urn(*, stack: str = STACK, project: str = PROJECT) -> str:
    return f"urn:pulumi:{stack}::{project}::pulumi:pulumi:Stack::{project}-{stack}"


def urn(
    type_: str, name: str, *, parent: str | None = None, stack: str = STACK, project: str = PROJECT
) -> str:
    """The URN the engine gives resource ``name`` of ``type_`` under ``parent``."""
    qualified = type_
    if parent is not None and parent != stack_urn(stack=stack, project=project):
        qualified = parent.split("::")[2] + "$" + type_
    return f"urn:pulumi:{stack}::{project}::{qualified}::{name}"


def provider_ref(provider_step: Mapping[str, Any]) -> str:
    """The provider reference (``urn::id``) resources use to name a provider step's provider."""
    state = provider_step.get("newState") or provider_step["oldState"]
    return f"{state['urn']}::{state.get('id') or UNKNOWN}"


def step(
    op: str,
    type_: str,
    name: str,
    inputs: Mapping[str, Any] | None = None,
    *,
    provider: str | None = None,
    parent: str | None = None,
    deps: Mapping[str, Sequence[str]] | None = None,
    custom: bool = True,
    old_inputs: Mapping[str, Any] | None = None,
    resource_id: str | None = None,
    stack: str = STACK,
    project: str = PROJECT,
) -> dict[str, Any]:
    """A preview step: ``newState`` unless deleting, ``oldState`` for every op that had one."""
    top_level_provider = type_.startswith("pulumi:providers:") and parent is None
    parent_urn = None if top_level_provider else parent or stack_urn(stack=stack, project=project)
    resource_urn = urn(type_, name, parent=parent, stack=stack, project=project)

    def state(properties: Mapping[str, Any] | None, with_id: bool) -> dict[str, Any]:
        body: dict[str, Any] = {"urn": resource_urn, "custom": custom, "type": type_}
        if with_id and custom:
            body["id"] = resource_id or f"{name}-id"
        body["inputs"] = dict(properties or {})
        if parent_urn is not None:
            body["parent"] = parent_urn
        if provider is not None:
            body["provider"] = provider
        if deps:
            body["propertyDependencies"] = {key: list(value) for key, value in deps.items()}
        return body

    result: dict[str, Any] = {"op": op, "urn": resource_urn, "provider": provider or ""}
    if op not in {"create", "create-replacement", "read", "import"}:
        result["oldState"] = state(old_inputs if old_inputs is not None else inputs, True)
    if op not in DELETING_OPS:
        result["newState"] = state(inputs, op not in {"create", "create-replacement"})
    return result


def provider_step(
    name: str,
    *,
    package: str = "aws",
    region: str | None = None,
    default_tags: Mapping[str, str] | None = None,
    op: str = "create",
    json_encoded: bool = True,
    parent: str | None = None,
    stack: str = STACK,
    project: str = PROJECT,
) -> dict[str, Any]:
    """A provider's step; object inputs JSON-encoded as the engine passes them."""
    inputs: dict[str, Any] = {"version": "7.51.1"}
    if region is not None:
        inputs["region"] = region
    if default_tags is not None:
        tags: Any = {"tags": dict(default_tags)}
        inputs["defaultTags"] = _json(tags) if json_encoded else tags
    return step(
        op,
        f"pulumi:providers:{package}",
        name,
        inputs,
        parent=parent,
        resource_id=f"{name}-0000-1111",
        stack=stack,
        project=project,
    )


def preview_doc(
    steps: Sequence[Mapping[str, Any]],
    *,
    stack: str = STACK,
    project: str = PROJECT,
    config: Mapping[str, Any] | None = None,
    show_sames: bool = True,
) -> dict[str, Any]:
    """A ``pulumi preview --json`` document; without ``show_sames`` unchanged steps are left
    out (and only counted in changeSummary), as the CLI does."""
    root_urn = stack_urn(stack=stack, project=project)
    root_state = {"urn": root_urn, "custom": False, "type": "pulumi:pulumi:Stack"}
    root = {
        "op": "same",
        "urn": root_urn,
        "provider": "",
        "oldState": root_state,
        "newState": root_state,
    }
    listed = [root, *steps]
    summary = Counter(str(s["op"]) for s in listed)
    if not show_sames:
        listed = [root, *(s for s in steps if s["op"] != "same")]
    return {
        "config": dict(config if config is not None else {"aws:region": "ca-central-1"}),
        "steps": listed,
        "diagnostics": [],
        "duration": 1_000_000,
        "changeSummary": dict(summary),
    }


def export_doc(
    steps: Sequence[Mapping[str, Any]],
    *,
    stack: str = STACK,
    project: str = PROJECT,
    version: int = 3,
    pending: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """A ``pulumi stack export`` document of the steps' future states (``oldState`` of
    deleting steps gets ``delete: true``); ``pending`` steps become pending operations."""
    resources: list[dict[str, Any]] = [
        {
            "urn": stack_urn(stack=stack, project=project),
            "custom": False,
            "type": "pulumi:pulumi:Stack",
        }
    ]
    for each in steps:
        if each["op"] in DELETING_OPS:
            resources.append({**each["oldState"], "delete": True})
        else:
            resources.append(_deployed(each["newState"]))
    return {
        "version": version,
        "deployment": {
            "manifest": {"time": "2026-11-20T14:02:11Z", "magic": "", "version": "v3.272.0"},
            "secrets_providers": {"type": "passphrase", "state": {"salt": "v1:x:v1:y:z"}},
            "resources": resources,
            "pending_operations": [
                {"resource": _deployed(each["newState"]), "type": "creating"} for each in pending
            ],
            "metadata": {},
        },
    }


def export_secret(value: Any, *, plaintext: bool = False) -> dict[str, Any]:
    """A stack export's secret value (``--show-secrets`` gives the plaintext form)."""
    if plaintext:
        return {SIG: SECRET_SIG, "plaintext": _json(value)}
    return {SIG: SECRET_SIG, "ciphertext": "v1:QUJDREVGR0g=:" + str(len(str(value)))}


def asset(path: str) -> dict[str, Any]:
    return {SIG: ASSET_SIG, "hash": "0" * 64, "path": path}


def archive(path: str) -> dict[str, Any]:
    return {SIG: ARCHIVE_SIG, "hash": "0" * 64, "path": path}


def resource_reference(target_urn: str) -> dict[str, Any]:
    return {SIG: RESOURCE_SIG, "urn": target_urn, "id": "some-id", "packageVersion": "7.51.1"}


def _deployed(state: Mapping[str, Any]) -> dict[str, Any]:
    deployed = dict(state)
    if deployed.get("custom"):
        deployed.setdefault("id", f"{deployed['urn'].rsplit('::', 1)[-1]}-id")
    deployed["outputs"] = dict(deployed.get("inputs", {}))
    return deployed


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))
