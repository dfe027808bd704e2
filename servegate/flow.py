"""The data-flow view: where a plan sends requests, weights, logs, payloads and backups.

The policies compute it (``data.evidence.flow`` in policies/evidence/evidence.rego, over the same
helpers the residency rules judge with); the gate asks for it with the rules and keeps the
answer here as data, so the report shows exactly what the rules saw. Rendering lives in
``servegate.report.flow_svg`` and the templates.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

FLOW_QUERY = "data.evidence.flow"
# The bundle module that defines it: a policies directory without it has no view.
FLOW_MODULE = "evidence/evidence.rego"


class PlaceStatus(StrEnum):
    """Compliance of a place, worst last (the order a group of places takes the worst of)."""

    IN_ZONE = "in-zone"
    # Inside the zone by the owner's processing-region annotation only: unverified.
    DECLARED = "declared"
    UNKNOWN = "unknown"
    OUTSIDE_ZONE = "outside-zone"

    @property
    def rank(self) -> int:
        return list(PlaceStatus).index(self)


STATUS_TEXT = {
    PlaceStatus.IN_ZONE: "in zone",
    PlaceStatus.DECLARED: "declared in zone, unverified",
    PlaceStatus.UNKNOWN: "unknown",
    PlaceStatus.OUTSIDE_ZONE: "outside zone",
}


@dataclass(frozen=True)
class Place:
    """Where one endpoint processes or keeps data (the evidence package's place views)."""

    kind: str
    region: str
    text: str
    status: PlaceStatus


def worst(statuses: Iterable[PlaceStatus]) -> PlaceStatus:
    """The worst of some statuses; unknown when there are none (nothing proves the zone)."""
    found = list(statuses)
    return max(found, key=lambda s: s.rank) if found else PlaceStatus.UNKNOWN


@dataclass(frozen=True)
class Hop:
    """One backendRef of a route rule: primary or fallback, with the rules' decision."""

    name: str
    priority: int
    role: str
    backend: str
    schema: str
    model_id: str
    places: tuple[Place, ...]
    connectivity: str
    declares: bool
    allowed: bool

    @property
    def status(self) -> PlaceStatus:
        return worst(p.status for p in self.places)


@dataclass(frozen=True)
class Route:
    """One route entry: model x classification -> hops by priority."""

    route: str
    rule: int
    model: str
    classification: str
    unclassified: bool
    hops: tuple[Hop, ...]

    @property
    def stays_in_zone(self) -> bool:
        return all(h.allowed and h.status is PlaceStatus.IN_ZONE for h in self.hops)


@dataclass(frozen=True)
class Mirror:
    """A RequestMirror filter: a percentage of a route's requests copied to a shadow target."""

    route: str
    rule: int
    name: str
    percent: float
    places: tuple[Place, ...]
    connectivity: str

    @property
    def status(self) -> PlaceStatus:
        return worst(p.status for p in self.places)


@dataclass(frozen=True)
class Store:
    """A place data is kept: a weights store, a log group, a capture bucket, a backup."""

    kind: str
    name: str
    place: Place
    # Who uses it: the model servers loading weights, the release capturing payloads.
    users: tuple[str, ...] = ()
    # Why RES-005 refuses a weights source ("" when it does not).
    problem: str = ""


@dataclass(frozen=True)
class FlowView:
    zone: str
    zone_regions: tuple[str, ...]
    sovereign: bool
    air_gapped: bool
    classifications: tuple[str, ...]
    kept_in_zone: tuple[str, ...]
    most_restrictive: str
    routes: tuple[Route, ...] = ()
    mirrors: tuple[Mirror, ...] = ()
    weights: tuple[Store, ...] = ()
    logs: tuple[Store, ...] = ()
    captures: tuple[Store, ...] = ()
    backups: tuple[Store, ...] = ()

    def kept_routes(self) -> tuple[Route, ...]:
        """The routes of classifications the zone keeps in it (unclassified included)."""
        return tuple(r for r in self.routes if r.classification in self.kept_in_zone)

    @property
    def verdict(self) -> FlowVerdict:
        return flow_verdict(self)


@dataclass(frozen=True)
class FlowVerdict:
    """The one line above the picture."""

    ok: bool
    text: str


def flow_verdict(view: FlowView) -> FlowVerdict:
    """Whether every route of a class the zone keeps in it stays there at every hop, said in
    one line computed from the routes (and the mirrors of those routes' AIGatewayRoutes are
    counted apart: a mirror copies requests of any class)."""
    kept = view.kept_in_zone
    if not kept:
        return FlowVerdict(True, f"Zone {view.zone or '(none)'} keeps no classification in it.")
    rows = view.kept_routes()
    classes = ", ".join(kept)
    leaving = [r for r in rows if not r.stays_in_zone]
    mirrors_out = [m for m in view.mirrors if m.status is not PlaceStatus.IN_ZONE]
    if not leaving and not mirrors_out:
        return FlowVerdict(
            True,
            f"{classes.capitalize()} traffic stays in zone {view.zone}: "
            f"{len(rows)} route{'s' if len(rows) != 1 else ''}, every hop allowed and in the zone.",
        )
    parts = []
    if leaving:
        hops = sum(
            1
            for r in leaving
            for h in r.hops
            if not (h.allowed and h.status is PlaceStatus.IN_ZONE)
        )
        parts.append(
            f"{len(leaving)} of {len(rows)} {classes} routes have {hops} "
            f"hop{'s' if hops != 1 else ''} refused or not proven in zone {view.zone}"
        )
    if mirrors_out:
        parts.append(f"{len(mirrors_out)} mirror target(s) not proven in zone {view.zone}")
    return FlowVerdict(False, "Traffic may leave the zone: " + "; ".join(parts) + ".")


@dataclass(frozen=True)
class StoreRow:
    """A line of the stores table: stores of one kind in one place, counted (a bench plan's
    hundreds of log groups in one region are one line)."""

    data: str
    kind: str
    place: Place
    names: tuple[str, ...]
    users: tuple[str, ...]
    problem: str


STORE_LANES = (
    ("Model weights", "weights"),
    ("Logs and audit trail", "logs"),
    ("Captured payloads", "captures"),
    ("Backups", "backups"),
)


def store_rows(view: FlowView) -> dict[str, tuple[StoreRow, ...]]:
    """Per lane of STORE_LANES, its stores grouped by kind and place, in first-seen order.
    Weights keep one row per store (the bucket or volume is the fact that matters)."""
    rows: dict[str, tuple[StoreRow, ...]] = {}
    for label, attribute in STORE_LANES:
        stores: tuple[Store, ...] = getattr(view, attribute)
        groups: dict[tuple[str, str, Place], list[Store]] = {}
        for store in stores:
            name_key = store.name if attribute == "weights" else ""
            groups.setdefault((store.kind, name_key, store.place), []).append(store)
        rows[label] = tuple(
            StoreRow(
                data=label,
                kind=kind,
                place=place,
                names=tuple(s.name for s in items),
                users=tuple(dict.fromkeys(u for s in items for u in s.users)),
                problem=next((s.problem for s in items if s.problem), ""),
            )
            for (kind, _, place), items in groups.items()
        )
    return rows


# -- from the policies' answer ------------------------------------------------------------


def _place(raw: dict[str, Any]) -> Place:
    return Place(
        kind=str(raw.get("kind", "")),
        region=str(raw.get("region") or ""),
        text=str(raw.get("text", "")),
        status=PlaceStatus(raw.get("status", PlaceStatus.UNKNOWN.value)),
    )


def _places(raw: Any) -> tuple[Place, ...]:
    return tuple(_place(p) for p in raw or ())


def _hop(raw: dict[str, Any]) -> Hop:
    return Hop(
        name=str(raw["name"]),
        priority=int(raw.get("priority", 0)),
        role=str(raw.get("role", "primary")),
        backend=str(raw.get("backend") or raw["name"]),
        schema=str(raw.get("schema") or ""),
        model_id=str(raw.get("model_id") or ""),
        places=_places(raw.get("places")),
        connectivity=str(raw.get("connectivity", "unknown")),
        declares=bool(raw.get("declares")),
        allowed=bool(raw.get("allowed")),
    )


def _route(raw: dict[str, Any]) -> Route:
    hops = sorted((_hop(h) for h in raw.get("hops", ())), key=lambda h: h.priority)
    return Route(
        route=str(raw["route"]),
        rule=int(raw.get("rule", 0)),
        model=str(raw.get("model") or ""),
        classification=str(raw["class"]),
        unclassified=bool(raw.get("unclassified")),
        hops=tuple(hops),
    )


def _mirror(raw: dict[str, Any]) -> Mirror:
    return Mirror(
        route=str(raw["route"]),
        rule=int(raw.get("rule", 0)),
        name=str(raw.get("name", "")),
        percent=float(raw.get("percent", 100)),
        places=_places(raw.get("places")),
        connectivity=str(raw.get("connectivity", "unknown")),
    )


def _grouped(entries: list[tuple[str, str, Place, str, str]]) -> tuple[Store, ...]:
    """Stores aggregated per (kind, name, place): a bench plan's thousand servers reading one
    bucket are one store with its users, never a thousand."""
    groups: dict[tuple[str, str, Place], tuple[list[str], str]] = {}
    for kind, name, place, user, problem in entries:
        users, first_problem = groups.setdefault((kind, name, place), ([], problem))
        if user and user not in users:
            users.append(user)
        if problem and not first_problem:
            groups[(kind, name, place)] = (users, problem)
    return tuple(
        Store(kind=kind, name=name, place=place, users=tuple(users), problem=problem)
        for (kind, name, place), (users, problem) in groups.items()
    )


def flow_of(value: Any) -> FlowView | None:
    """The view from the policies' answer to FLOW_QUERY (None: undefined)."""
    if not isinstance(value, dict):
        return None
    weights = _grouped(
        [
            (
                "model weights",
                str(w["store"]),
                _place(w["place"]),
                str(w["server"]),
                str(w["problem"]),
            )
            for w in value.get("weights", ())
        ]
    )
    logs = _grouped(
        [
            (str(x["kind"]), str(x["name"]), _place(x["place"]), "", "")
            for x in value.get("logs", ())
        ]
    )
    captures = _grouped(
        [
            ("payload capture", str(c["bucket"]), _place(c["place"]), str(c["release"]), "")
            for c in value.get("captures", ())
        ]
    )
    backups = _grouped(
        [
            (str(b["kind"]), str(b["target"]), _place(b["place"]), str(b["name"]), "")
            for b in value.get("backups", ())
        ]
    )
    return FlowView(
        zone=str(value.get("zone") or ""),
        zone_regions=tuple(str(r) for r in value.get("zone_regions", ())),
        sovereign=bool(value.get("sovereign")),
        air_gapped=bool(value.get("air_gapped")),
        classifications=tuple(str(c) for c in value.get("classifications", ())),
        kept_in_zone=tuple(str(c) for c in value.get("kept_in_zone", ())),
        most_restrictive=str(value.get("most_restrictive") or ""),
        routes=tuple(
            sorted(
                (_route(r) for r in value.get("routes", ())),
                key=lambda r: (r.model, r.unclassified, r.classification, r.route, r.rule),
            )
        ),
        mirrors=tuple(_mirror(m) for m in value.get("mirrors", ())),
        weights=weights,
        logs=logs,
        captures=captures,
        backups=backups,
    )
