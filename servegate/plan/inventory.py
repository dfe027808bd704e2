"""The normalized inventory: the one document every engine and report reads.

Its shape is docs/design.md's "Normalized inventory" plus docs/conventions.md's extras.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from servegate.errors import GateError
from servegate.plan import urns
from servegate.plan.gc_pause import gc_paused
from servegate.plan.providers import (
    ProviderIndex,
    ProviderView,
    decode_provider_inputs,
    is_provider,
)
from servegate.plan.raw import RawResource
from servegate.plan.region import effective_region
from servegate.plan.secrets import has_secret_payload, scrub_properties
from servegate.plan.unknowns import scan_properties, unknown_paths


def evaluation(as_of: date) -> dict[str, str]:
    """``input.evaluation``: the date the policies judge at (support windows, expiries)."""
    return {"as_of": as_of.isoformat()}


def build_inventory(
    resources: Sequence[RawResource],
    *,
    stack: str,
    project: str,
    source: str,
    declared: Mapping[str, Any],
    stack_region: str | None,
    stack_urn: str | None = None,
    config: Mapping[str, Any] | None = None,
    as_of: date | None = None,
) -> dict[str, Any]:
    """The inventory of ``resources`` (plan order kept, root stack left out).

    ``config`` is the stack config (``aws:defaultTags`` of a default provider the plan
    does not list). Secrets are checked for again here, whatever built the resources
    (the sources in servegate.plan have scrubbed them already).
    """
    providers = ProviderIndex(resources, stack_region=stack_region, config=config or {})
    entries: list[dict[str, Any]] = []
    by_type: dict[str, list[int]] = {}
    seen: set[str] = set()
    with gc_paused():
        for resource in resources:
            if resource.type == urns.ROOT_STACK_TYPE:
                continue
            if resource.urn in seen:
                raise GateError(f"the plan lists resource {resource.urn} twice")
            seen.add(resource.urn)
            by_type.setdefault(resource.type, []).append(len(entries))
            entries.append(_entry(resource, providers))
    return {
        "stack": {
            "project": project,
            "name": stack,
            "source": source,
            "urn": stack_urn or urns.stack_urn(stack, project),
            "region": stack_region,
        },
        "declared": dict(declared),
        "evaluation": evaluation(as_of or datetime.now(UTC).date()),
        "resources": entries,
        "by_type": by_type,
    }


def _entry(resource: RawResource, providers: ProviderIndex) -> dict[str, Any]:
    props = resource.inputs
    # One walk finds both the unknowns and any special value left unscrubbed (the sources
    # scrub already; this is the second line), so large plans are read once.
    unknowns, special = scan_properties(props)
    if special or has_secret_payload(resource.type):
        props = scrub_properties(resource.type, props)
        unknowns = unknown_paths(props)
    if is_provider(resource.type):
        props = decode_provider_inputs(props)
        region = providers.own_view(resource).region
        provider = None
    else:
        provider = providers.view_for(resource)
        region = effective_region(resource.type, props, provider)
    entry = {
        "urn": resource.urn,
        "type": resource.type,
        "name": resource.name,
        "parent": resource.parent,
        "op": resource.op,
        "custom": resource.custom,
        "region": region,
        "provider": provider.as_json() if provider is not None else None,
        "props": props,
        "unknowns": unknowns,
        "deps": {key: list(targets) for key, targets in resource.deps.items()},
        "tags": _effective_tags(resource.type, props, provider),
    }
    if resource.old_inputs is not None:
        entry["old_props"] = scrub_properties(resource.type, resource.old_inputs)
    return entry


def _effective_tags(
    type_token: str, props: Mapping[str, Any], provider: ProviderView | None
) -> dict[str, Any]:
    if not type_token.startswith("aws:"):
        return {}
    tags = dict(provider.default_tags) if provider is not None else {}
    own = props.get("tags")
    if isinstance(own, dict):
        tags.update(own)
    return tags
