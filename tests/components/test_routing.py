"""Route planning per model name and classification (components.routing)."""

from __future__ import annotations

from components.config import load_stack
from components.routing import RouteRule, plan_routes

CLASSES = ("public", "internal", "confidential", "regulated")


def _plan(floors: dict[str, str]) -> dict[tuple[str, str | None], RouteRule]:
    spec = load_stack("prod-ca")
    rules = plan_routes(spec.models, spec.external_backends, spec.routes, CLASSES, floors)
    return {(rule.model, rule.classification): rule for rule in rules}


def test_a_client_may_claim_its_mapped_class_and_anything_stricter_never_less() -> None:
    rules = _plan({"team-a": "public", "team-b": "internal"})
    claim = {
        cls: rules[("titan-text-express", cls)].claimants
        for cls in CLASSES
        if ("titan-text-express", cls) in rules
    }
    # confidential and regulated go where the catch-all goes: no rule of their own.
    assert claim == {"public": ("team-a",), "internal": ("team-a", "team-b")}


def test_the_most_restrictive_class_never_needs_a_rule_of_its_own() -> None:
    spec = load_stack("prod-ca")
    # An external backend taking every class: each class but the strictest differs from the
    # catch-all only if its backends do; the strictest always routes like the catch-all.
    wide = spec.external_backends[0].model_copy(update={"classifications": list(CLASSES)})
    rules = plan_routes(spec.models, [wide], spec.routes, CLASSES, {"team-a": "internal"})
    by_class = {r.classification: r for r in rules if r.model == "titan-text-express"}
    assert set(by_class) == {None}
    assert [h.backend for h in by_class[None].hops] == ["bedrock-ca", "llama-8b"]


def test_without_a_client_map_only_the_catch_all_is_reachable() -> None:
    rules = _plan({})
    assert {cls for (model, cls) in rules if model == "titan-text-express"} == {None}
    catch_all = rules[("titan-text-express", None)]
    assert [h.backend for h in catch_all.hops] == ["llama-8b"]


def test_a_backend_receives_only_the_classes_it_declares_and_keeps_the_chain_order() -> None:
    rules = _plan({"team-a": "public"})
    public = rules[("titan-text-express", "public")]
    catch_all = rules[("titan-text-express", None)]
    assert [(h.backend, h.priority) for h in public.hops] == [("bedrock-ca", 0), ("llama-8b", 1)]
    assert [(h.backend, h.priority) for h in catch_all.hops] == [("llama-8b", 0)]


def test_the_catch_alls_of_self_hosted_models_come_first_in_model_order() -> None:
    spec = load_stack("prod-ca")
    rules = plan_routes(spec.models, spec.external_backends, spec.routes, CLASSES, {})
    assert [(r.model, r.classification) for r in rules[:2]] == [
        (m.served_model_name, None) for m in spec.models
    ]
