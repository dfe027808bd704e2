"""Every series a rule, dashboard panel or KEDA trigger of a shipped stack reads exists upstream.

Names and labels are checked against the vendored metric lists (tests/vendor/metrics/) of
the versions the stack pins: vLLM by the model servers' image tag, Envoy AI Gateway and
dcgm-exporter by their chart versions. Envoy's own stats and kube-state-metrics' pod metrics
are stable across their major versions, so one list each covers them. A rule on a name
that does not exist never fires; this test is what keeps the SLOs from going silently blind.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from components import canary_analysis, k8s_labels, runbooks
from components import gateway_telemetry as gw
from components.slo_rules import Objectives
from servegate.k8s_manifests import helm_releases, manifests
from tests import stacks
from tests.metric_lists import VENDOR, Metric, load, resolve, series_read

BUILT_IN = frozenset({"ALERTS", "up"})
"""Series Prometheus writes itself: alert state and the scrape health of every target."""
"""Series Prometheus writes itself (labels: alertname, alertstate and the alert's labels)."""


def _version(release_version: str) -> str:
    return release_version.removeprefix("v")


def _chart_version(inventory: dict[str, Any], chart: str) -> str:
    [version] = {
        str(r["version"])
        for r in helm_releases(inventory)
        if str(r["chart"]).rstrip("/").rsplit("/", 1)[-1] == chart
    }
    return _version(version)


def _vllm_versions(stack: str) -> set[str]:
    images = {
        container["image"]
        for m in manifests(stacks.inventory(stack))
        if m.kind == "Deployment"
        and m.body["metadata"].get("labels", {}).get("servegate.io/role") == "model-server"
        for container in m.body["spec"]["template"]["spec"]["containers"]
        if container["name"] == "vllm"
    }
    assert images
    # The tag of each reference, with any @sha256 digest after it dropped.
    return {_version(image.split("@", 1)[0].rsplit(":", 1)[1]) for image in images}


def _lists(stack: str) -> dict[str, str]:
    """The vendored list file of each project, for the versions ``stack`` pins."""
    inventory = stacks.inventory(stack)
    [vllm] = _vllm_versions(stack)
    return {
        "vllm": f"vllm-{vllm}.txt",
        "envoy-ai-gateway": f"envoy-ai-gateway-{_chart_version(inventory, 'ai-gateway-helm')}.txt",
        "dcgm-exporter": f"dcgm-exporter-{_chart_version(inventory, 'dcgm-exporter')}.txt",
        "envoy": "envoy-1.x.txt",
        "kube-state-metrics": "kube-state-metrics-2.x.txt",
    }


def _metrics(stack: str) -> dict[str, Metric]:
    files = _lists(stack)
    missing = [name for name in files.values() if not (VENDOR / name).exists()]
    assert not missing, (
        f"no vendored metric list for the pinned version: {missing}; vendor it from the "
        "release (see the provenance lines of the existing lists)"
    )
    merged: dict[str, Metric] = {}
    for name in files.values():
        merged.update(load(name))
    return merged


def _rule_groups(stack: str) -> list[dict[str, Any]]:
    return [
        group
        for m in manifests(stacks.inventory(stack))
        if m.kind == "PrometheusRule"
        for group in m.body["spec"]["groups"]
    ]


def _records(stack: str) -> dict[str, frozenset[str]]:
    """Recorded series name -> the labels its rules give it (the SLO rules keep no others)."""
    records: dict[str, set[str]] = {}
    for group in _rule_groups(stack):
        for rule in group["rules"]:
            if "record" in rule:
                records.setdefault(rule["record"], set()).update(rule.get("labels", {}))
    return {name: frozenset(labels) for name, labels in records.items()}


def _queries(stack: str) -> Iterator[tuple[str, str]]:
    """(where, PromQL) for every rule, dashboard target and variable, and KEDA trigger."""
    for group in _rule_groups(stack):
        for rule in group["rules"]:
            yield f"rule {group['name']}/{rule.get('record') or rule['alert']}", rule["expr"]
    for m in manifests(stacks.inventory(stack)):
        if m.kind == "ConfigMap" and "grafana_dashboard" in m.body["metadata"].get("labels", {}):
            for text in m.body["data"].values():
                dashboard = json.loads(text)
                for panel in dashboard["panels"]:
                    for target in panel["targets"]:
                        yield f"dashboard {dashboard['uid']}/{panel['title']}", target["expr"]
                for variable in dashboard["templating"]["list"]:
                    query = variable["query"]["query"]
                    assert query.startswith("label_values(")
                    metric = query.removeprefix("label_values(").split(",")[0]
                    yield f"dashboard {dashboard['uid']} variable {variable['name']}", metric
        if m.kind == "AnalysisTemplate":
            for metric in m.body["spec"]["metrics"]:
                yield (
                    f"AnalysisTemplate {m.name}/{metric['name']}",
                    metric["provider"]["prometheus"]["query"],
                )
        if m.kind == "ScaledObject":
            for trigger in m.body["spec"]["triggers"]:
                if trigger["type"] == "prometheus":
                    yield f"ScaledObject {m.name}", trigger["metadata"]["query"]
    for book in runbooks.RUNBOOKS.values():
        for check in book.checks:
            if check.kind == "promql":
                yield f"runbook {book.alert}", check.command


def _pod_target_labels(stack: str) -> frozenset[str]:
    """Pod labels the stack's ServiceMonitors copy onto scraped series, as Prometheus
    Operator names them (invalid characters become ``_``), and the labels they relabel in."""
    monitors = [m for m in manifests(stacks.inventory(stack)) if m.kind == "ServiceMonitor"]
    copied = {
        k8s_labels.scraped_label(label)
        for m in monitors
        for label in m.body["spec"].get("podTargetLabels", [])
    }
    # Labels an endpoint's relabelings write (the model's track, components/vllm.py).
    written = {
        relabel["targetLabel"]
        for m in monitors
        for endpoint in m.body["spec"].get("endpoints", [])
        for relabel in endpoint.get("relabelings", [])
        if "targetLabel" in relabel
    }
    return frozenset(copied | written)


def problems(
    expr: str,
    metrics: dict[str, Metric],
    records: dict[str, frozenset[str]],
    scraped: frozenset[str] = frozenset(),
) -> list[str]:
    """What in ``expr`` reads a series or label that does not exist (``scraped``: target
    labels the scrape adds beyond the standard ones)."""
    found = []
    for series, labels in series_read(expr):
        if series in BUILT_IN:
            continue
        if series in records:
            unknown = labels - records[series]
        else:
            metric = resolve(series, metrics)
            if metric is None:
                found.append(f"{series}: no such metric")
                continue
            unknown = {
                label
                for label in labels
                if label not in scraped and not metric.allows(label, series)
            }
        found += [f"{series}: no label {label}" for label in sorted(unknown)]
    return found


@pytest.mark.parametrize("stack", stacks.SHIPPED)
def test_every_series_read_exists_at_the_pinned_versions(stack: str) -> None:
    metrics, records = _metrics(stack), _records(stack)
    queries = list(_queries(stack))
    kinds = {where.split()[0] for where, _ in queries}
    assert {"rule", "dashboard", "ScaledObject", "runbook"} <= kinds
    scraped = _pod_target_labels(stack)
    wrong = [
        f"{where}: {p}"
        for where, expr in queries
        for p in problems(expr, metrics, records, scraped)
    ]
    assert wrong == []


@pytest.mark.parametrize("stack", stacks.SHIPPED)
def test_latency_slis_interpolate_on_the_pinned_histogram_buckets(stack: str) -> None:
    metrics = load(_lists(stack)["envoy-ai-gateway"])
    assert metrics[gw.REQUEST_DURATION].buckets == gw.REQUEST_DURATION_BUCKETS
    assert metrics[gw.TIME_TO_FIRST_TOKEN].buckets == gw.TIME_TO_FIRST_TOKEN_BUCKETS


def test_canary_analysis_reads_vllm_histograms_on_the_pinned_buckets() -> None:
    metrics = load(_lists("prod-ca")["vllm"])
    for sli in canary_analysis.canary_latency_slis(Objectives.of(None)):
        assert metrics[sli.metric].type == "histogram"
        assert metrics[sli.metric].buckets == sli.buckets
    # The canary hash reaches the series only through the ServiceMonitor's podTargetLabels.
    assert canary_analysis.CANARY_POD_LABEL in _pod_target_labels("prod-ca")
    kinds = {where.split()[0] for where, _ in _queries("prod-ca")}
    assert "AnalysisTemplate" in kinds


def test_a_misspelt_metric_or_label_is_caught() -> None:
    metrics = load("vllm-0.33.0.txt") | load("envoy-ai-gateway-1.1.0.txt")
    records = {"servegate:availability_error_ratio:rate5m": frozenset({"model", "slo"})}
    # Removed from vLLM's v1 engine; a rule on it would never fire.
    assert problems("avg(vllm:gpu_cache_usage_perc)", metrics, {}) == [
        "vllm:gpu_cache_usage_perc: no such metric"
    ]
    # The AI Gateway's model label is gen_ai_original_model/gen_ai_request_model.
    assert problems(
        f'sum(rate({gw.REQUEST_DURATION}_count{{model_name="x", job="j"}}[5m]))', metrics, {}
    ) == [f"{gw.REQUEST_DURATION}_count: no label model_name"]
    # le only on buckets; a histogram's family name is not itself a series.
    assert problems(f'{gw.REQUEST_DURATION}_sum{{le="1.0"}}', metrics, {}) == [
        f"{gw.REQUEST_DURATION}_sum: no label le"
    ]
    assert problems(gw.REQUEST_DURATION, metrics, {}) == [f"{gw.REQUEST_DURATION}: no such metric"]
    assert problems('servegate:availability_error_ratio:rate5m{sli="x"}', metrics, records) == [
        "servegate:availability_error_ratio:rate5m: no label sli"
    ]
    assert problems('sum by (pod) (vllm:num_requests_waiting{model_name="m"})', metrics, {}) == []
