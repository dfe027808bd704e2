"""In-cluster monitoring: Prometheus and Grafana, the GPU exporter, KEDA, the scrape of the
gateway's proxies, SLO rules and dashboards.

Everything is installed with pinned Helm charts, pulled from the stack's chart registry
(in-region ECR when air-gapped) and with images through its registry mirror.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components import gateway_telemetry as gw
from components import k8s_labels, namespaces, versions
from components.config import ModelSpec, MonitoringSpec, RegistrySpec
from components.dashboards import build_dashboards
from components.gateway_telemetry import GatewayTelemetry
from components.runbooks import DEFAULT_RUNBOOK_BASE
from components.slo_rules import Objectives, build_rule_groups

KUBE_PROMETHEUS_STACK = versions.chart("kube-prometheus-stack")
DCGM_EXPORTER = versions.chart("dcgm-exporter")
DCGM_EXPORTER_IMAGE = versions.image("dcgm-exporter")
KEDA = versions.chart("keda")

KEDA_NAMESPACE = namespaces.KEDA
PROMETHEUS_RELEASE = "kube-prometheus-stack"
PROMETHEUS_PORT = 9090
PROMETHEUS_VOLUME_GIB = 100
GPU_TAINT = "nvidia.com/gpu"
PART_OF = {"app.kubernetes.io/part-of": k8s_labels.PART_OF}


@dataclass(frozen=True)
class MonitoringArgs:
    """Inputs of :class:`Monitoring`."""

    namespace: str
    """Namespace of Prometheus, Grafana, the GPU exporter, rules and dashboards."""
    settings: MonitoringSpec
    """Retention and whether Grafana runs."""
    registry: RegistrySpec
    """Where charts and images come from (the in-region mirror when air-gapped)."""
    objectives: Objectives
    """The SLOs the alerts hold the stack to (from its SLA, or the defaults)."""
    models: Sequence[ModelSpec]
    """Models whose SLOs are watched."""
    gateway: GatewayTelemetry
    """The gateway whose proxies are scraped and whose metrics the SLIs read."""
    replica_usd_per_hour: Mapping[str, float] = field(default_factory=dict)
    """Each priced model's hourly cost of one replica, for the cost-per-token records."""


def prometheus_url(namespace: str) -> str:
    """In-cluster URL of the Prometheus that :class:`Monitoring` installs."""
    return f"http://{PROMETHEUS_RELEASE}-prometheus.{namespace}.svc:{PROMETHEUS_PORT}"


def chart_source(registry: RegistrySpec, chart: versions.ChartPin) -> dict[str, Any]:
    """``chart`` and ``repository_opts`` of a Release: the stack's OCI mirror, else public."""
    return chart.release_source(registry.charts)


def _registry(registry: RegistrySpec, default: str) -> str:
    """Registry host to put in front of a chart's image repository."""
    return registry.images.rstrip("/") if registry.images else default


def kube_prometheus_stack_values(
    settings: MonitoringSpec, registry: RegistrySpec
) -> dict[str, Any]:
    """Values for kube-prometheus-stack."""
    retention_days = settings.prometheus_retention_days
    model_labels = "servegate.io/model,servegate.io/role,servegate.io/track"
    values: dict[str, Any] = {
        "fullnameOverride": PROMETHEUS_RELEASE,
        "commonLabels": PART_OF,
        # EKS runs the control plane; scraping it only yields permanently firing TargetDown.
        "kubeControllerManager": {"enabled": False},
        "kubeScheduler": {"enabled": False},
        "kubeEtcd": {"enabled": False},
        "prometheus": {
            "prometheusSpec": {
                "retention": f"{retention_days}d",
                # Time-based retention must never outgrow the volume.
                "retentionSize": f"{int(PROMETHEUS_VOLUME_GIB * 0.9)}GB",
                # Pick up ServiceMonitors and rules of every release, not only this one's.
                "serviceMonitorSelectorNilUsesHelmValues": False,
                "podMonitorSelectorNilUsesHelmValues": False,
                "ruleSelectorNilUsesHelmValues": False,
                "storageSpec": {
                    "volumeClaimTemplate": {
                        "spec": {
                            "accessModes": ["ReadWriteOnce"],
                            "resources": {"requests": {"storage": f"{PROMETHEUS_VOLUME_GIB}Gi"}},
                        }
                    }
                },
            }
        },
        # The model alerts join pods to models through these labels (kube_pod_labels).
        # The pool utilisation record joins GPUs to pools through the node label.
        "kube-state-metrics": {
            "metricLabelsAllowlist": [f"pods=[{model_labels}]", "nodes=[servegate.io/pool]"]
        },
        "grafana": {
            "enabled": settings.grafana,
            # Empty: the chart generates a password into a cluster Secret, never into the stack.
            "adminPassword": "",
            "sidecar": {
                "dashboards": {"enabled": True, "label": "grafana_dashboard", "labelValue": "1"}
            },
        },
    }
    if registry.images:
        values["global"] = {"imageRegistry": registry.images.rstrip("/")}
    return values


def dcgm_exporter_values(registry: RegistrySpec) -> dict[str, Any]:
    """Values for NVIDIA's dcgm-exporter: on GPU nodes only, scraped by Prometheus."""
    return {
        "image": {
            "repository": registry.image(DCGM_EXPORTER_IMAGE.image),
            "tag": DCGM_EXPORTER_IMAGE.tag,
        },
        "nodeSelector": {"servegate.io/role": "gpu"},
        "tolerations": [
            {"key": GPU_TAINT, "operator": "Equal", "value": "true", "effect": "NoSchedule"}
        ],
        # The exporter labels each GPU with the pod using it; keep those labels rather than
        # letting the exporter's own target labels rename them to exported_pod.
        "serviceMonitor": {"enabled": True, "honorLabels": True},
    }


def keda_values(registry: RegistrySpec) -> dict[str, Any]:
    """Values for KEDA, whose ScaledObjects scale the model servers."""
    host = _registry(registry, "ghcr.io")
    return {
        "image": {
            component: {"registry": host, "repository": f"kedacore/{repository}"}
            for component, repository in (
                ("keda", "keda"),
                ("metricsApiServer", "keda-metrics-apiserver"),
                ("webhooks", "keda-admission-webhooks"),
            )
        },
        "additionalLabels": PART_OF,
    }


def gateway_pod_monitor_spec(gateway: GatewayTelemetry) -> dict[str, Any]:
    """PodMonitor scraping the stack's gateway proxies: Envoy's stats and the AI Gateway's.

    Envoy Gateway only annotates the proxy pods (prometheus.io/*), which the Prometheus
    Operator ignores; without this scrape the gateway SLIs would have no data.
    """
    return {
        "namespaceSelector": {"matchNames": [gateway.proxy_namespace]},
        "selector": {
            "matchLabels": {
                **gw.PROXY_POD_LABELS,
                gw.OWNING_GATEWAY_NAME_LABEL: gateway.gateway_name,
                gw.OWNING_GATEWAY_NAMESPACE_LABEL: gateway.gateway_namespace,
            }
        },
        "podMetricsEndpoints": [
            {"port": gw.ENVOY_METRICS_PORT, "path": gw.ENVOY_METRICS_PATH, "interval": "30s"},
            {
                "port": gw.AI_GATEWAY_METRICS_PORT,
                "path": gw.AI_GATEWAY_METRICS_PATH,
                "interval": "30s",
            },
        ],
    }


def _labels(name: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    return {**k8s_labels.common(name), **(extra or {})}


class Monitoring(pulumi.ComponentResource):
    """Prometheus + Grafana, dcgm-exporter, KEDA, the SLO PrometheusRule and dashboards."""

    dashboards: pulumi.Output[list[str]]
    """Uids of the dashboards Grafana loads."""
    prometheus_url: pulumi.Output[str]
    """In-cluster Prometheus URL (KEDA's prometheus triggers query it)."""
    prometheus_release: k8s.helm.v3.Release
    """kube-prometheus-stack; ServiceMonitors and PrometheusRules need its CRDs first."""
    keda_release: k8s.helm.v3.Release
    """KEDA; ScaledObjects need its CRDs first."""
    gpu_exporter_release: k8s.helm.v3.Release
    """dcgm-exporter."""
    slo_rules: k8s.apiextensions.CustomResource
    """The PrometheusRule with the SLO, model-health and GPU rule groups."""
    gateway_scrape: k8s.apiextensions.CustomResource
    """The PodMonitor scraping the gateway proxies the SLIs are measured on."""

    def __init__(
        self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("servegate:index:Monitoring", name, None, opts)
        registry = args.registry
        child = pulumi.ResourceOptions(parent=self)

        self.prometheus_release = k8s.helm.v3.Release(
            f"{name}-kube-prometheus-stack",
            k8s.helm.v3.ReleaseArgs(
                name=PROMETHEUS_RELEASE,
                namespace=args.namespace,
                create_namespace=True,
                version=KUBE_PROMETHEUS_STACK.version,
                values=kube_prometheus_stack_values(args.settings, registry),
                **chart_source(registry, KUBE_PROMETHEUS_STACK),
            ),
            opts=child,
        )
        after_crds = pulumi.ResourceOptions(parent=self, depends_on=[self.prometheus_release])
        self.gpu_exporter_release = k8s.helm.v3.Release(
            f"{name}-dcgm-exporter",
            k8s.helm.v3.ReleaseArgs(
                name="dcgm-exporter",
                namespace=args.namespace,
                version=DCGM_EXPORTER.version,
                values=dcgm_exporter_values(registry),
                **chart_source(registry, DCGM_EXPORTER),
            ),
            opts=after_crds,
        )
        self.keda_release = k8s.helm.v3.Release(
            f"{name}-keda",
            k8s.helm.v3.ReleaseArgs(
                name="keda",
                namespace=KEDA_NAMESPACE,
                create_namespace=True,
                version=KEDA.version,
                values=keda_values(registry),
                **chart_source(registry, KEDA),
            ),
            opts=child,
        )

        self.slo_rules = k8s.apiextensions.CustomResource(
            f"{name}-slo-rules",
            api_version="monitoring.coreos.com/v1",
            kind="PrometheusRule",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name="servegate-slo",
                namespace=args.namespace,
                labels=_labels("servegate-slo"),
            ),
            spec={
                "groups": build_rule_groups(
                    args.objectives,
                    args.models,
                    args.gateway,
                    args.settings.runbook_base_url or DEFAULT_RUNBOOK_BASE,
                    args.replica_usd_per_hour,
                )
            },
            opts=after_crds,
        )
        self.gateway_scrape = k8s.apiextensions.CustomResource(
            f"{name}-gateway-scrape",
            api_version="monitoring.coreos.com/v1",
            kind="PodMonitor",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=args.gateway.scrape_name,
                namespace=args.gateway.scrape_namespace,
                labels=_labels(args.gateway.scrape_name),
            ),
            spec=gateway_pod_monitor_spec(args.gateway),
            opts=after_crds,
        )

        config_maps = [
            k8s.core.v1.ConfigMap(
                f"{name}-dashboard-{dashboard.uid}",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=dashboard.uid,
                    namespace=args.namespace,
                    labels=_labels("grafana-dashboard", {"grafana_dashboard": "1"}),
                ),
                data={f"{dashboard.uid}.json": json.dumps(dashboard.model, sort_keys=True)},
                opts=after_crds,
            )
            for dashboard in (
                build_dashboards(args.objectives, args.gateway, args.models)
                if args.settings.grafana
                else []
            )
        ]

        # Derived from the created objects, so the outputs resolve once those exist.
        self.dashboards = pulumi.Output.all(*(cm.metadata.name for cm in config_maps)).apply(list)
        self.prometheus_url = self.prometheus_release.name.apply(
            lambda _: prometheus_url(args.namespace)
        )
        self.register_outputs(
            {"dashboards": self.dashboards, "prometheus_url": self.prometheus_url}
        )
