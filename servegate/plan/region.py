"""The effective AWS region of a resource: where it is really created.

Residency checks read it, so resolving it wrongly is a residency hole: a value that cannot
be resolved is ``None`` (residency fails closed on sovereign stacks), never a guess.
Order: the resource's own ``region`` input (pulumi-aws v7 accepts one per resource), else
its provider's region (an explicit provider's ``region`` input; a default provider's, or
the stack's ``aws:region`` it reads). An explicit provider without ``region`` takes it from
the deployment's environment, which the plan does not show: unresolvable.
Only ``aws`` resources have a region; Kubernetes objects live in their cluster.
"""

from __future__ import annotations

from typing import Any

from servegate.plan.providers import ProviderView, known_string, package_of


def effective_region(
    type_token: str, props: dict[str, Any], provider: ProviderView | None
) -> str | None:
    """The region ``aws`` resource ``type_token`` with ``props`` lands in; None otherwise."""
    if package_of(type_token) != "aws" or type_token.startswith("pulumi:"):
        return None
    own = props.get("region")
    if own is not None:
        # An unknown or secret region is unresolvable, not "use the provider's".
        return known_string(own)
    return provider.region if provider is not None else None
