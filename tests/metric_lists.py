"""Vendored upstream metric lists (tests/vendor/metrics/) and the series a PromQL query reads.

A list file has one metric a line, ``<name> <type> <labels> [buckets=<bounds>]``, as
Prometheus stores it; a ``histogram`` line stands for its ``_bucket`` (label ``le``),
``_sum`` and ``_count`` series. ``label_*`` in the labels stands for any label with that
prefix (kube-state-metrics' allow-listed pod labels). Comment lines give the provenance.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

VENDOR = Path(__file__).parent / "vendor" / "metrics"
HISTOGRAM_SERIES = ("_bucket", "_sum", "_count")
TARGET_LABELS = frozenset(
    {"job", "namespace", "pod", "container", "service", "endpoint", "instance"}
)
"""Labels Prometheus Operator's ServiceMonitor/PodMonitor scrapes add to every series."""


@dataclass(frozen=True)
class Metric:
    name: str
    type: str
    labels: frozenset[str]
    buckets: tuple[float, ...] = ()

    def allows(self, label: str, series: str) -> bool:
        if label in self.labels or label in TARGET_LABELS:
            return True
        if label == "le" and series.endswith("_bucket"):
            return True
        return any(p.endswith("*") and label.startswith(p[:-1]) for p in self.labels)


def load(file_name: str) -> dict[str, Metric]:
    """The metrics of one vendored list, by name."""
    metrics = {}
    for line in (VENDOR / file_name).read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, kind, *rest = line.split()
        labels = frozenset(rest[0].split(",")) if rest and "=" not in rest[0] else frozenset()
        buckets: tuple[float, ...] = ()
        for field in rest:
            if field.startswith("buckets="):
                buckets = tuple(float(b) for b in field.removeprefix("buckets=").split(","))
        metrics[name] = Metric(name, kind, labels, buckets)
    return metrics


def resolve(series: str, metrics: dict[str, Metric]) -> Metric | None:
    """The listed metric a stored series name belongs to, if any."""
    if series in metrics and metrics[series].type != "histogram":
        return metrics[series]
    for suffix in HISTOGRAM_SERIES:
        family = metrics.get(series.removesuffix(suffix)) if series.endswith(suffix) else None
        if family is not None and family.type == "histogram":
            return family
    return None


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_RANGE = re.compile(r"\[[^\]]*\]")
_GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_SELECTOR = re.compile(r"([a-zA-Z_:][a-zA-Z0-9_:]*)?\s*\{([^}]*)\}")
_MATCHER = re.compile(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)")
_IDENT = re.compile(r"(?<![\w:.$])([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()")
_KEYWORDS = frozenset(
    {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless",
     "bool", "offset", "inf", "nan",
     # aggregation operators, which may stand before their "by (...)" clause
     "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values",
     "bottomk", "topk", "quantile", "limitk", "limit_ratio"}
)  # fmt: skip


def series_read(expr: str) -> list[tuple[str, frozenset[str]]]:
    """(series name, label names it is matched on) for every selector in a PromQL query."""
    found: list[tuple[str, frozenset[str]]] = []
    text = _STRING.sub('""', expr)
    text = _RANGE.sub("", text)
    text = _GROUPING.sub(r"\1", text)

    def selector(match: re.Match[str]) -> str:
        labels = frozenset(_MATCHER.findall(match[2]))
        if match[1]:
            found.append((match[1], labels))
        return " "

    text = _SELECTOR.sub(selector, text)
    for name in _IDENT.findall(text):
        if name not in _KEYWORDS:
            found.append((name, frozenset()))
    return found
