"""The compliance data the traffic-residency rules read (RES-012 .. RES-018): each file's shape
and its cross-references to zones.yaml, so a typo in compliance data fails here, not as a rule
that silently never fires."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.catalog import POLICY_DATA

REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")


def _load(name: str) -> Any:
    return yaml.safe_load((POLICY_DATA / name).read_text())


def _zones() -> dict[str, list[str]]:
    zones: dict[str, list[str]] = _load("zones.yaml")["zones"]
    return zones


@pytest.mark.parametrize("name", ["external_endpoints.yaml", "bedrock_inference_profiles.yaml"])
def test_each_file_names_its_sources_and_the_date_they_were_read(name: str) -> None:
    text = (POLICY_DATA / name).read_text()
    assert "https://" in text
    assert "read 2026-12-01" in text
    assert isinstance(_load(name)["verified"], bool)


def test_classifications_are_ordered_and_kept_per_sovereign_zone() -> None:
    data = _load("classifications.yaml")
    order = data["order"]
    assert len(order) == len(set(order)) >= 2
    sovereign = {zone for zone, flag in _load("zones.yaml")["sovereign"].items() if flag}
    assert set(data["in_zone"]) == sovereign
    for kept in data["in_zone"].values():
        assert set(kept) <= set(order)
        # The most restrictive class (the one unclassified requests get) is always kept.
        assert order[-1] in kept


def test_external_endpoints_have_a_known_place() -> None:
    data = _load("external_endpoints.yaml")
    for pattern in data["regional"]:
        assert pattern["prefix"].endswith(".") and pattern["suffix"].startswith(".")
        assert pattern["service"]
    zones = _zones()
    for hostname, entry in data["endpoints"].items():
        assert hostname == hostname.lower() and "." in hostname and "*" not in hostname
        assert entry["provider"] and entry["area"] and "https://" in entry["source"]
        assert entry["zone"] is None or entry["zone"] in zones, hostname
        if entry["region"] is not None:
            # A regional endpoint's zone is the zone holding its region.
            holding = [zone for zone, regions in zones.items() if entry["region"] in regions]
            assert holding == ([entry["zone"]] if entry["zone"] else []), hostname
    for entry in data["declared_only"]:
        assert entry["suffix"].startswith(".") and entry["service"]
    # No hostname is both fixed and one that must declare its region.
    suffixes = tuple(entry["suffix"] for entry in data["declared_only"])
    assert not [h for h in data["endpoints"] if h.endswith(suffixes)]


def test_api_openai_com_processes_in_the_united_states() -> None:
    entry = _load("external_endpoints.yaml")["endpoints"]["api.openai.com"]
    assert entry["zone"] == "us"


def test_inference_profile_geographies_list_regions() -> None:
    data = _load("bedrock_inference_profiles.yaml")
    for prefix, geography in data["geographies"].items():
        assert re.fullmatch(r"[a-z]+(-[a-z]+)?", prefix), prefix
        assert isinstance(geography["verified"], bool)
        destinations = geography["destinations"]
        if destinations == "any":
            continue
        assert destinations and all(REGION.match(region) for region in destinations), prefix
        assert len(destinations) == len(set(destinations))
    assert data["geographies"]["global"]["destinations"] == "any"
    assert not set(data["unverified"]) & set(data["geographies"])


def test_no_geography_fits_a_sovereign_zone_unless_every_destination_is_in_it() -> None:
    """What RES-017 concludes from the data for the shipped zones: no profile prefix keeps
    a ca or eu request in its zone (eu. reaches London and Zurich)."""
    zones = _zones()
    geographies = _load("bedrock_inference_profiles.yaml")["geographies"]
    for zone in ("ca", "eu"):
        inside = [
            prefix
            for prefix, geography in geographies.items()
            if geography["destinations"] != "any"
            and set(geography["destinations"]) <= set(zones[zone])
        ]
        assert inside == [], zone


def test_the_data_files_are_in_the_policy_bundle() -> None:
    from servegate.policy.bundle import load_bundle

    params = load_bundle(Path(POLICY_DATA).parent).data["params"]
    assert {"external_endpoints", "bedrock_inference_profiles", "classifications"} <= set(params)
