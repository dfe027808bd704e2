"""The data-flow picture: an inline SVG drawn from a FlowView, no script and no network.

One lane per kind of data (requests, model weights, logs and the audit trail, captured
payloads, backups): the lane's source on the left, an arrow to each place the data goes on
the right, every node filled by its compliance status and naming its region and status in
words (colour is never the only cue). Nodes are aggregated per backend or store and capped
per lane, so a 10k-resource plan draws no more than a small one.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

from servegate.flow import STATUS_TEXT, FlowView, PlaceStatus, store_rows, worst

# status -> (fill, stroke): light fills so the black labels stay readable.
COLOURS = {
    PlaceStatus.IN_ZONE: ("#e3f4e4", "#2e7d32"),
    PlaceStatus.DECLARED: ("#fff4d6", "#b26a00"),
    PlaceStatus.UNKNOWN: ("#ececec", "#616161"),
    PlaceStatus.OUTSIDE_ZONE: ("#fde2e1", "#c62828"),
}
# A node that is no endpoint (a lane's source, "no payload capture").
NEUTRAL = ("#eef2f8", "#37474f")
# Places per lane drawn as nodes; the rest become one "+N more" node (worst status).
MAX_NODES = 12
LABEL_LIMIT = 80

WIDTH = 980
SOURCE_X, SOURCE_W = 16, 250
TARGET_X, TARGET_W = 400, 564
NODE_H, GAP, LANE_HEAD, LEGEND_H = 50, 10, 26, 40


@dataclass(frozen=True)
class Node:
    """One box of the picture."""

    kind: str
    title: str
    detail: str
    status: PlaceStatus | None
    edge: str = ""
    dashed: bool = False


@dataclass(frozen=True)
class Lane:
    name: str
    source: Node
    targets: tuple[Node, ...]
    # Arrow from the target to the source (weights flow into the cluster).
    inbound: bool = False


def _status_words(status: PlaceStatus | None) -> str:
    return "" if status is None else STATUS_TEXT[status]


def _short(text: str) -> str:
    return text if len(text) <= LABEL_LIMIT else text[: LABEL_LIMIT - 1] + "…"


def _capped(nodes: list[Node], kind: str) -> tuple[Node, ...]:
    if len(nodes) <= MAX_NODES:
        return tuple(nodes)
    rest = nodes[MAX_NODES - 1 :]
    statuses = [n.status for n in rest if n.status is not None]
    more = Node(
        kind=kind,
        title=f"+{len(rest)} more",
        detail="listed in the tables below",
        status=worst(statuses),
    )
    return (*nodes[: MAX_NODES - 1], more)


def request_nodes(view: FlowView) -> list[Node]:
    """One node per backend the routes reach, with the classes routed to it, then mirrors."""
    backends: dict[str, tuple[Node, list[str]]] = {}
    for route in view.routes:
        for hop in route.hops:
            place = ", ".join(dict.fromkeys(p.text for p in hop.places)) or "unknown"
            node = Node(
                kind="backend",
                title=hop.backend,
                detail=f"{place} · {hop.connectivity}",
                status=hop.status,
            )
            _, classes = backends.setdefault(hop.backend, (node, []))
            if route.classification not in classes:
                classes.append(route.classification)
    order = {c: i for i, c in enumerate(view.classifications)}
    nodes = [
        Node(
            kind=n.kind,
            title=n.title,
            detail=n.detail,
            status=n.status,
            edge=", ".join(sorted(classes, key=lambda c: order.get(c, len(order)))),
        )
        for n, classes in backends.values()
    ]
    for mirror in view.mirrors:
        place = ", ".join(dict.fromkeys(p.text for p in mirror.places)) or "unknown"
        nodes.append(
            Node(
                kind="mirror",
                title=f"{mirror.name} (mirror of {mirror.route})",
                detail=f"{place} · {mirror.connectivity}",
                status=mirror.status,
                edge=f"mirror {mirror.percent:g}%",
                dashed=True,
            )
        )
    return nodes


def lanes(view: FlowView) -> tuple[Lane, ...]:
    """The picture's lanes, each with its nodes, from the view."""

    grouped = store_rows(view)

    def stores(kind: str, label: str, edge: str) -> list[Node]:
        nodes = []
        for row in grouped[label]:
            users = f" · {len(row.users)} user{'s' if len(row.users) != 1 else ''}"
            if kind == "weights":
                title = row.names[0]
            elif len(row.names) == 1:
                title = f"{row.kind}: {row.names[0]}"
            else:
                title = f"{len(row.names)} × {row.kind}"
            nodes.append(
                Node(
                    kind=kind,
                    title=title,
                    detail=row.place.text + (users if row.users else ""),
                    status=row.place.status,
                    edge=edge,
                )
            )
        return nodes

    def none(kind: str, text: str) -> list[Node]:
        return [Node(kind=kind, title=text, detail="nothing in the plan", status=None)]

    zone = f"zone {view.zone}" if view.zone else "no zone"
    requests = request_nodes(view) or none("backend", "no gateway routes")
    weights = stores("weights", "Model weights", "loads from") or none(
        "weights", "no model weights"
    )
    logs = stores("logs", "Logs and audit trail", "writes to") or none("logs", "no log stores")
    captures = stores("capture", "Captured payloads", "exports to") or none(
        "capture", "no payload capture"
    )
    backups = stores("backup", "Backups", "copies to") or none("backup", "no backups")
    return (
        Lane(
            "Requests",
            Node("source", "Request entry", f"the gateway · {zone}", None),
            _capped(requests, "backend"),
        ),
        Lane(
            "Model weights",
            Node("source", "Model servers", "this cluster", None),
            _capped(weights, "weights"),
            inbound=True,
        ),
        Lane(
            "Logs and audit trail",
            Node("source", "Stack logs", "cluster, gateway, network, API calls", None),
            _capped(logs, "logs"),
        ),
        Lane(
            "Captured payloads",
            Node("source", "Payload capture", "sampled, redacted spans", None),
            _capped(captures, "capture"),
        ),
        Lane(
            "Backups",
            Node("source", "Stack data", "buckets and volumes", None),
            _capped(backups, "backup"),
        ),
    )


def _box(node: Node, x: int, y: int, w: int) -> str:
    fill, stroke = NEUTRAL if node.status is None else COLOURS[node.status]
    words = _status_words(node.status)
    tooltip = f"{node.title}: {node.detail}" + (f" ({words})" if words else "")
    status_attr = node.status.value if node.status is not None else "none"
    second = node.detail + (f" · {words}" if words else "")
    return (
        f'<g class="flow-node" data-kind="{escape(node.kind)}" data-status="{status_attr}"'
        f' data-name="{escape(node.title)}">'
        f"<title>{escape(tooltip)}</title>"
        f'<rect x="{x}" y="{y}" width="{w}" height="{NODE_H}" rx="6" fill="{fill}"'
        f' stroke="{stroke}" stroke-width="2"/>'
        f'<text x="{x + 10}" y="{y + 20}" font-size="13" font-weight="bold" fill="#111">'
        f"{escape(_short(node.title))}</text>"
        f'<text x="{x + 10}" y="{y + 38}" font-size="12" fill="#222">'
        f"{escape(_short(second))}</text>"
        "</g>"
    )


def _edge(lane: Lane, node: Node, y_source: int, y_target: int) -> str:
    x1, x2 = SOURCE_X + SOURCE_W, TARGET_X
    y1, y2 = y_source + NODE_H // 2, y_target + NODE_H // 2
    if lane.inbound:
        x1, x2, y1, y2 = x2, x1, y2, y1
    middle = (x1 + x2) // 2
    # (The arrow head sits just before the box it points at.)
    end = x2 + 4 if lane.inbound else x2 - 4
    stroke = "#555" if node.status is None else COLOURS[node.status][1]
    dash = ' stroke-dasharray="6 4"' if node.dashed else ""
    label = ""
    if node.edge:
        label = (
            f'<text x="{TARGET_X - 10}" y="{y_target + 12}" font-size="11" text-anchor="end"'
            f' fill="#333">{escape(_short(node.edge))}</text>'
        )
    return (
        f'<path class="flow-edge" d="M{x1},{y1} C{middle},{y1} {middle},{y2} {end},{y2}"'
        f' fill="none" stroke="{stroke}" stroke-width="2"{dash} marker-end="url(#flow-arrow)"/>'
        f"{label}"
    )


def _legend() -> str:
    parts = []
    x = SOURCE_X
    for status in PlaceStatus:
        fill, stroke = COLOURS[status]
        parts.append(
            f'<g class="flow-legend-item" data-status="{status.value}">'
            f'<rect x="{x}" y="10" width="18" height="18" rx="3" fill="{fill}" stroke="{stroke}"'
            ' stroke-width="2"/>'
            f'<text x="{x + 24}" y="24" font-size="12" fill="#111">'
            f"{escape(STATUS_TEXT[status])}</text>"
            "</g>"
        )
        x += 24 + 8 * len(STATUS_TEXT[status]) + 30
    return '<g id="flow-legend">' + "".join(parts) + "</g>"


def describe(view: FlowView) -> str:
    """The picture as sentences (the SVG's <desc>)."""
    sentences = []
    for lane in lanes(view):
        targets = "; ".join(
            f"{n.title} ({n.detail}{', ' + _status_words(n.status) if n.status else ''})"
            for n in lane.targets
        )
        sentences.append(f"{lane.name}: {targets}.")
    return " ".join(sentences)


def render_svg(view: FlowView, stack: str) -> Markup:
    """The whole picture as one <svg> element."""
    body: list[str] = [_legend()]
    y = LEGEND_H
    for lane in lanes(view):
        body.append(
            f'<text class="flow-lane" x="{SOURCE_X}" y="{y + 17}" font-size="14" font-weight="bold"'
            f' fill="#1a237e">{escape(lane.name)}</text>'
        )
        y += LANE_HEAD
        n = len(lane.targets)
        lane_h = n * NODE_H + (n - 1) * GAP
        y_source = y + (lane_h - NODE_H) // 2
        group = [f'<g class="flow-lane-group" data-lane="{escape(lane.name)}">']
        for i, node in enumerate(lane.targets):
            y_target = y + i * (NODE_H + GAP)
            if node.status is not None:  # "no payload capture" is no destination
                group.append(_edge(lane, node, y_source, y_target))
            group.append(_box(node, TARGET_X, y_target, TARGET_W))
        group.append(_box(lane.source, SOURCE_X, y_source, SOURCE_W))
        group.append("</g>")
        body.append("".join(group))
        y += lane_h + 2 * GAP
    height = y
    title = f"Data flow of stack {stack}"
    return Markup(
        f'<svg id="flow-diagram" xmlns="http://www.w3.org/2000/svg" role="img"'
        f' aria-labelledby="flow-title flow-desc" viewBox="0 0 {WIDTH} {height}"'
        f' width="{WIDTH}" height="{height}" font-family="sans-serif">'
        f'<title id="flow-title">{escape(title)}</title>'
        f'<desc id="flow-desc">{escape(describe(view))}</desc>'
        '<defs><marker id="flow-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7"'
        ' markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#444"/>'
        "</marker></defs>" + "".join(body) + "</svg>"
    )
