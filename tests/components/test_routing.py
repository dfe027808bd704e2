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
    claim = {cls: rules[("titan-text-express", cls)].claimants for cls in CLASSES}
    assert claim == {
        "public": ("team-a",),
        "internal": ("team-a", "team-b"),
        "confidential": ("team-a", "team-b"),
        # Claiming the most restrictive class never lowers a request: anyone may.
        "regulated": None,
    }


def test_without_a_client_map_only_the_catch_all_and_the_strictest_class_are_reachable() -> None:
    rules = _plan({})
    assert {cls for (model, cls) in rules if model == "titan-text-express"} == {None, "regulated"}
    catch_all = rules[("titan-text-express", None)]
    assert [h.backend for h in catch_all.hops] == ["llama-8b"]


def test_a_backend_receives_only_the_classes_it_declares_and_keeps_the_chain_order() -> None:
    rules = _plan({"team-a": "public"})
    public = rules[("titan-text-express", "public")]
    confidential = rules[("titan-text-express", "confidential")]
    assert [(h.backend, h.priority) for h in public.hops] == [("bedrock-ca", 0), ("llama-8b", 1)]
    assert [(h.backend, h.priority) for h in confidential.hops] == [("llama-8b", 0)]


def test_the_catch_alls_of_self_hosted_models_come_first_in_model_order() -> None:
    spec = load_stack("prod-ca")
    rules = plan_routes(spec.models, spec.external_backends, spec.routes, CLASSES, {})
    assert [(r.model, r.classification) for r in rules[:2]] == [
        (m.served_model_name, None) for m in spec.models
    ]
