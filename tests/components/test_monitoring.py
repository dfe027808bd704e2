"""Monitoring on the Pulumi mock engine: charts, SLO rules and dashboards as registered."""

from __future__ import annotations

import json
import re
from typing import Any

import pulumi
import pytest

from components.config import StackSpec, load_stack
from components.monitoring import (
    DCGM_EXPORTER,
    KEDA,
    KUBE_PROMETHEUS_STACK,
    Monitoring,
    MonitoringArgs,
)
from components.slo_rules import BURN_WINDOWS, Objectives
from tests.components.conftest import RecordingMocks
from tests.gateway_metrics import telemetry

RELEASE = "kubernetes:helm.sh/v3:Release"
RULE = "kubernetes:monitoring.coreos.com/v1:PrometheusRule"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
POD_MONITOR = "kubernetes:monitoring.coreos.com/v1:PodMonitor"

# Renamed or dropped by vLLM's v1 engine; a rule or panel on them silently sees nothing.
REMOVED_VLLM_METRICS = (
    "vllm:gpu_cache_usage_perc",
    "vllm:cpu_cache_usage_perc",
    "vllm:num_requests_swapped",
    "vllm:gpu_prefix_cache_hit_rate",
    "vllm:cpu_prefix_cache_hit_rate",
    "vllm:gpu_prefix_cache_queries",
    "vllm:gpu_prefix_cache_hits",
    "vllm:avg_prompt_throughput_toks_per_s",
    "vllm:avg_generation_throughput_toks_per_s",
    "vllm:time_in_queue_requests",
    "vllm:model_forward_time_milliseconds",
    "vllm:model_execute_time_milliseconds",
)


def _create(spec: StackSpec) -> Monitoring:
    return Monitoring(
        "mon",
        MonitoringArgs(
            namespace="monitoring",
            settings=spec.monitoring,
            registry=spec.registry,
            objectives=Objectives.of(spec.sla),
            models=spec.models,
            gateway=telemetry(spec),
        ),
    )


def _settled(monitoring: Monitoring) -> pulumi.Output[list[Any]]:
    """The component's outputs, once every child has been registered with the mocks."""
    return pulumi.Output.all(
        monitoring.dashboards,
        monitoring.prometheus_url,
        monitoring.keda_release.urn,
        monitoring.gpu_exporter_release.urn,
        monitoring.slo_rules.urn,
        monitoring.gateway_scrape.urn,
    )


def _releases(mocks: RecordingMocks) -> dict[str, dict[str, Any]]:
    return {r.inputs["name"]: r.inputs for r in mocks.of_type(RELEASE)}


@pytest.mark.parametrize("stack", ["prod-ca", "dev"])
@pulumi.runtime.test
def test_charts_are_pinned_and_come_from_the_stacks_chart_registry(
    mocks: RecordingMocks, stack: str
) -> pulumi.Output[None]:
    spec = load_stack(stack)
    monitoring = _create(spec)

    def check(_: list[Any]) -> None:
        releases = _releases(mocks)
        expected = {
            "kube-prometheus-stack": KUBE_PROMETHEUS_STACK,
            "dcgm-exporter": DCGM_EXPORTER,
            "keda": KEDA,
        }
        assert set(releases) == set(expected)
        for name, chart in expected.items():
            inputs = releases[name]
            assert re.fullmatch(r"\d+\.\d+\.\d+", inputs["version"]) and (
                inputs["version"] == chart.version
            )
            if spec.registry.charts:
                assert inputs["chart"] == f"{spec.registry.charts}/{chart.chart}"
                assert "repositoryOpts" not in inputs
            else:
                assert inputs["chart"] == chart.chart
                assert inputs["repositoryOpts"]["repo"].startswith("https://")

    return _settled(monitoring).apply(check)


@pulumi.runtime.test
def test_air_gapped_images_come_through_the_registry_mirror(
    mocks: RecordingMocks,
) -> pulumi.Output[None]:
    spec = load_stack("prod-ca")
    assert spec.residency.air_gapped and spec.registry.images
    mirror = spec.registry.images
    monitoring = _create(spec)

    def check(_: list[Any]) -> None:
        releases = _releases(mocks)
        stack_values = releases["kube-prometheus-stack"]["values"]
        assert stack_values["global"]["imageRegistry"] == mirror
        dcgm = releases["dcgm-exporter"]["values"]
        assert dcgm["image"]["repository"].startswith(f"{mirror}/")
        keda_images = releases["keda"]["values"]["image"]
        assert {image["registry"] for image in keda_images.values()} == {mirror}

    return _settled(monitoring).apply(check)


@pulumi.runtime.test
def test_prometheus_retention_selectors_and_gpu_exporter_placement(
    mocks: RecordingMocks,
) -> pulumi.Output[None]:
    spec = load_stack("prod-ca")
    monitoring = _create(spec)

    def check(args: list[Any]) -> None:
        url = args[1]
        releases = _releases(mocks)
        prom = releases["kube-prometheus-stack"]["values"]["prometheus"]["prometheusSpec"]
        assert prom["retention"] == f"{spec.monitoring.prometheus_retention_days}d"
        # Without these, Prometheus ignores the vLLM ServiceMonitors of other releases.
        assert prom["serviceMonitorSelectorNilUsesHelmValues"] is False
        assert prom["ruleSelectorNilUsesHelmValues"] is False
        sidecar = releases["kube-prometheus-stack"]["values"]["grafana"]["sidecar"]
        assert sidecar["dashboards"]["label"] == "grafana_dashboard"
        assert sidecar["dashboards"]["labelValue"] == "1"
        dcgm = releases["dcgm-exporter"]["values"]
        assert dcgm["nodeSelector"] == {"servegate.io/role": "gpu"}
        assert {"key": "nvidia.com/gpu", "operator": "Equal", "value": "true",
                "effect": "NoSchedule"} in dcgm["tolerations"]  # fmt: skip
        assert dcgm["serviceMonitor"]["enabled"] is True
        assert url == "http://kube-prometheus-stack-prometheus.monitoring.svc:9090"

    return _settled(monitoring).apply(check)


@pulumi.runtime.test
def test_prometheus_rule_has_burn_rate_alerts_for_every_model(
    mocks: RecordingMocks,
) -> pulumi.Output[None]:
    spec = load_stack("prod-ca")
    monitoring = _create(spec)

    def check(_: list[Any]) -> None:
        [rule] = mocks.of_type(RULE)
        alerts = [r for g in rule.inputs["spec"]["groups"] for r in g["rules"] if "alert" in r]
        for model in spec.models:
            for slo in ("availability", "latency"):
                burns = [
                    a for a in alerts
                    if a["labels"].get("model") == model.name and a["labels"].get("slo") == slo
                ]  # fmt: skip
                windows = {a["labels"]["burn_window"] for a in burns}
                assert windows == {f"{b.long}-{b.short}" for b in BURN_WINDOWS}, (model, slo)
                assert {a["labels"]["severity"] for a in burns} == {"page", "ticket"}
        assert rule.inputs["apiVersion"] == "monitoring.coreos.com/v1"

    return _settled(monitoring).apply(check)


@pulumi.runtime.test
def test_a_stack_without_sla_pages_nobody(mocks: RecordingMocks) -> pulumi.Output[None]:
    spec = load_stack("dev")
    assert spec.sla is None
    monitoring = _create(spec)

    def check(_: list[Any]) -> None:
        [rule] = mocks.of_type(RULE)
        alerts = [r for g in rule.inputs["spec"]["groups"] for r in g["rules"] if "alert" in r]
        assert any(a["labels"].get("slo") == "availability" for a in alerts)
        assert {a["labels"]["severity"] for a in alerts} == {"ticket"}

    return _settled(monitoring).apply(check)


@pulumi.runtime.test
def test_no_removed_vllm_metric_names_anywhere(mocks: RecordingMocks) -> pulumi.Output[None]:
    monitoring = _create(load_stack("prod-ca"))

    def check(_: list[Any]) -> None:
        everything = json.dumps([r.inputs for r in mocks.resources])
        assert "vllm:" in everything
        for name in REMOVED_VLLM_METRICS:
            assert name not in everything

    return _settled(monitoring).apply(check)


@pulumi.runtime.test
def test_dashboards_are_labelled_config_maps_of_valid_json(
    mocks: RecordingMocks,
) -> pulumi.Output[None]:
    monitoring = _create(load_stack("prod-ca"))

    def check(args: list[Any]) -> None:
        uids = args[0]
        maps = mocks.of_type(CONFIG_MAP)
        assert len(maps) == len(uids) == 3
        seen = set()
        for config_map in maps:
            labels = config_map.inputs["metadata"]["labels"]
            assert labels["grafana_dashboard"] == "1"
            assert labels["app.kubernetes.io/part-of"] == "servegate"
            [(key, text)] = config_map.inputs["data"].items()
            dashboard = json.loads(text)
            assert key == f"{dashboard['uid']}.json"
            assert dashboard["panels"] and all(p["targets"] for p in dashboard["panels"])
            seen.add(dashboard["uid"])
        assert seen == set(uids)

    return _settled(monitoring).apply(check)


@pulumi.runtime.test
def test_no_dashboards_when_grafana_is_off(mocks: RecordingMocks) -> pulumi.Output[None]:
    spec = load_stack("dev")
    spec = spec.model_copy(
        update={"monitoring": spec.monitoring.model_copy(update={"grafana": False})}
    )
    monitoring = _create(spec)

    def check(args: list[Any]) -> None:
        assert args[0] == []
        assert mocks.of_type(CONFIG_MAP) == []
        grafana = _releases(mocks)["kube-prometheus-stack"]["values"]["grafana"]
        assert grafana["enabled"] is False

    return _settled(monitoring).apply(check)


@pulumi.runtime.test
def test_prometheus_scrapes_the_gateway_proxies_of_this_stack(
    mocks: RecordingMocks,
) -> pulumi.Output[None]:
    spec = load_stack("prod-ca")
    gateway = telemetry(spec)
    monitoring = _create(spec)

    def check(_: list[Any]) -> None:
        [monitor] = mocks.of_type(POD_MONITOR)
        body = monitor.inputs
        assert body["apiVersion"] == "monitoring.coreos.com/v1"
        # Prometheus Operator names the targets' job "<namespace>/<name>": the SLIs select it.
        metadata = body["metadata"]
        assert f"{metadata['namespace']}/{metadata['name']}" == gateway.job
        monitor_spec = body["spec"]
        assert monitor_spec["namespaceSelector"] == {"matchNames": ["envoy-gateway-system"]}
        labels = monitor_spec["selector"]["matchLabels"]
        assert labels["app.kubernetes.io/component"] == "proxy"
        assert labels["gateway.envoyproxy.io/owning-gateway-name"] == gateway.gateway_name
        assert labels["gateway.envoyproxy.io/owning-gateway-namespace"] == "llm-gateway"
        endpoints = {(e["port"], e["path"]) for e in monitor_spec["podMetricsEndpoints"]}
        assert endpoints == {("metrics", "/stats/prometheus"), ("aigw-admin", "/metrics")}
        # kube-prometheus-stack's Prometheus must pick up PodMonitors of any release.
        prom = _releases(mocks)["kube-prometheus-stack"]["values"]["prometheus"]
        assert prom["prometheusSpec"]["podMonitorSelectorNilUsesHelmValues"] is False

    return _settled(monitoring).apply(check)


@pulumi.runtime.test
def test_availability_slis_read_the_gateway_not_vllm(mocks: RecordingMocks) -> pulumi.Output[None]:
    spec = load_stack("prod-ca")
    monitoring = _create(spec)

    def check(_: list[Any]) -> None:
        [rule] = mocks.of_type(RULE)
        records = [r for g in rule.inputs["spec"]["groups"] for r in g["rules"] if "record" in r]
        availability = [r for r in records if r.get("labels", {}).get("slo") == "availability"]
        assert availability
        for record in availability:
            assert "envoy_" in record["expr"] and "vllm:" not in record["expr"]
        latency = [r for r in records if r.get("labels", {}).get("slo") == "latency"]
        assert latency and all("gen_ai_server_" in r["expr"] for r in latency)

    return _settled(monitoring).apply(check)
