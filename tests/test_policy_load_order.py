"""The engines load each area's own file before its one-rule files (a regorus quirk)."""

from __future__ import annotations

from components import catalog
from servegate.policy.bundle import _load_order as load_order
from servegate.policy.bundle import load_bundle


def test_each_area_file_comes_first_in_its_folder() -> None:
    assert sorted(["audit/aud_010_x.rego", "audit/audit.rego"], key=load_order) == [
        "audit/audit.rego",
        "audit/aud_010_x.rego",
    ]
    assert sorted(
        ["sla/sla_014_fit_test.rego", "sla/sla_test.rego", "lib/inventory.rego"], key=load_order
    ) == ["lib/inventory.rego", "sla/sla_test.rego", "sla/sla_014_fit_test.rego"]


def test_the_bundle_hands_the_engines_modules_in_load_order() -> None:
    bundle = load_bundle(catalog.PROJECT_ROOT / "policies")
    for modules in (bundle.modules, bundle.test_modules):
        assert list(modules) == sorted(modules, key=load_order)
    audit = [name for name in bundle.modules if name.startswith("audit/")]
    assert audit[0] == "audit/audit.rego" and len(audit) > 1
