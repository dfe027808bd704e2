"""The shape of the payload-capture compliance data (policies/data/pii_patterns.yaml)."""

from __future__ import annotations

import re2

from components import catalog


def test_every_pattern_has_a_source_examples_and_compiles_as_re2() -> None:
    table = catalog._pii_table()
    names = [row["name"] for row in table["patterns"]]
    assert len(names) == len(set(names))
    for row in table["patterns"]:
        assert row["source"].strip(), row["name"]
        assert row["verified"] in (True, False), row["name"]
        assert row["examples"], row["name"]
        pattern = re2.compile(row["regex"])
        for example in row["examples"]:
            assert pattern.search(example), (row["name"], example)


def test_the_required_kinds_of_personal_data_are_listed() -> None:
    names = {p.name for p in catalog.pii_patterns()}
    assert {"email", "payment-card", "iban", "ca-sin"} <= names
    assert any(name.startswith("phone") for name in names)
    eu = {row.get("country") for row in catalog._pii_table()["patterns"]} - {None}
    assert eu, "at least one EU national identifier"


def test_every_sovereign_zone_has_a_capture_maximum_and_the_default_fits() -> None:
    limits = catalog.payload_capture_limits()
    sovereign = {zone for zone, flag in catalog.zone_sovereignty().items() if flag}
    assert sovereign <= set(limits["max_retention_days"])
    assert set(limits["max_retention_days"]) <= set(catalog.zones())
    for days in limits["max_retention_days"].values():
        assert limits["default_retention_days"] <= days
    assert set(limits["requires_redaction"]) <= set(catalog.classification_order())
