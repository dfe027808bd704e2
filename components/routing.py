"""Which backends serve each model name for each data classification, as plain data.

A request's classification is the ``x-data-classification`` header, honoured only when the
authenticated client (the client-id header the gateway's auth sets) is allowed to claim that
class: ``gateway.clientClassifications`` maps a client to the lowest class it may claim. A
request matching no classified rule (no header, an unknown class, or a claim below the
client's floor) falls to the model's catch-all rule, which routes it as the stack's most
restrictive class. So a header can only ever make a request more restrictive than its
client's mapping, and never less.

A backend receives a class only when it may: a self-hosted model receives every class of the
stack, an external backend the classes it declares. Each rule lists the backends of its model's
chain (``routes[]``, or the default chain) that may receive its class, in chain order: the
first is tried first (priority 0), each later one is a fallback. A class whose backends are the
catch-all's gets no rule of its own (its requests reach the same backends through the
catch-all), which keeps the route within Envoy AI Gateway's rule limit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from components.config import ExternalBackendSpec, ModelSpec, RouteSpec

MAX_RULES = 15
"""AIGatewayRoute ``spec.rules`` maxItems in Envoy AI Gateway v1.1.0 (its CRD, vendored)."""


@dataclass(frozen=True)
class Hop:
    """One backend of a rule's fallback chain."""

    backend: str
    """A ``models[].name`` (self-hosted) or an ``externalBackends[].name``."""
    external: bool
    priority: int
    """Envoy AI Gateway's backendRef priority: 0 is tried first, higher ones are fallbacks."""
    model_override: str | None
    """The model id the backend is asked for, when it differs from the name clients send."""


@dataclass(frozen=True)
class RouteRule:
    """One AIGatewayRoute rule: a model name and a classification, or the model's catch-all."""

    model: str
    """The model name clients send (matched on the ``x-ai-eg-model`` header)."""
    classification: str | None
    """The claimed class it matches; None for the catch-all (routed as the most restrictive)."""
    routed_as: str
    """The class whose backends it lists."""
    claimants: tuple[str, ...] | None
    """Client ids whose claim of ``classification`` is honoured; None for the catch-all. (The
    most restrictive class always routes like the catch-all, so it never has a rule.)"""
    hops: tuple[Hop, ...]


def default_chains(
    models: Sequence[ModelSpec],
    backends: Sequence[ExternalBackendSpec],
    routes: Sequence[RouteSpec],
) -> dict[str, tuple[str, ...]]:
    """Model name -> backend names, first choice first: ``routes[]`` as declared; any other
    model name by its self-hosted model, then each external backend serving it. The
    self-hosted models' names come first, in ``models`` order."""
    declared = {route.model: tuple(route.backends) for route in routes}
    names = [m.served_model_name for m in models]
    names += [route.model for route in routes] + [n for b in backends for n in b.models]
    chains: dict[str, tuple[str, ...]] = {}
    for name in dict.fromkeys(names):
        chains[name] = declared.get(name) or tuple(
            [m.name for m in models if m.served_model_name == name]
            + [b.name for b in backends if name in b.models]
        )
    return chains


def plan_routes(
    models: Sequence[ModelSpec],
    backends: Sequence[ExternalBackendSpec],
    routes: Sequence[RouteSpec],
    classifications: Sequence[str],
    client_floors: Mapping[str, str],
) -> tuple[RouteRule, ...]:
    """Every rule of the gateway's route: first the catch-all of each model name (self-hosted
    models' names first, in ``models`` order, so rule ``i`` is model ``i``'s as the SLO
    metrics expect), then one rule per model name and classification."""
    self_hosted = {m.name: m for m in models}
    external = {b.name: b for b in backends}
    most_restrictive = classifications[-1]

    def hops(model: str, chain: Sequence[str], cls: str) -> tuple[Hop, ...]:
        chosen: list[Hop] = []
        for name in chain:
            if name in external:
                backend = external[name]
                if cls in backend.classifications:
                    chosen.append(Hop(name, True, len(chosen), backend.models[model]))
            elif name in self_hosted:
                served = self_hosted[name].served_model_name
                chosen.append(Hop(name, False, len(chosen), None if served == model else served))
        return tuple(chosen)

    def claimants(cls: str) -> tuple[str, ...]:
        rank = classifications.index(cls)
        return tuple(
            sorted(c for c, floor in client_floors.items() if classifications.index(floor) <= rank)
        )

    chains = default_chains(models, backends, routes)
    rules: list[RouteRule] = []
    catch_alls: dict[str, tuple[Hop, ...]] = {}
    for model, chain in chains.items():
        catch_alls[model] = hops(model, chain, most_restrictive)
        if catch_alls[model]:
            rules.append(RouteRule(model, None, most_restrictive, None, catch_alls[model]))
    for model, chain in chains.items():
        for cls in classifications:
            allowed = claimants(cls)
            chosen = hops(model, chain, cls)
            # A class routed like the catch-all needs no rule of its own: its requests fall
            # to the catch-all (Envoy AI Gateway v1.1.0 allows only MAX_RULES per route).
            if chosen and allowed != () and chosen != catch_alls[model]:
                rules.append(RouteRule(model, cls, cls, allowed, chosen))
    return tuple(rules)
