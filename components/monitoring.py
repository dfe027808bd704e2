"""In-cluster monitoring: Prometheus and Grafana, the GPU exporter, KEDA, SLO rules, dashboards.

Everything is installed with pinned Helm charts, pulled from the stack's chart registry
(in-region ECR when air-gapped) and with images through its registry mirror.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components import k8s_labels, versions
from components.config import ModelSpec, StackSpec
from components.dashboards import build_dashboards
from components.slo_rules import build_rule_groups

KUBE_PROMETHEUS_STACK = versions.chart("kube-prometheus-stack")
DCGM_EXPORTER = versions.chart("dcgm-exporter")
DCGM_EXPORTER_IMAGE = versions.image("dcgm-exporter")
KEDA = versions.chart("keda")

KEDA_NAMESPACE = "keda"
PROMETHEUS_RELEASE = "kube-prometheus-stack"
PROMETHEUS_PORT = 9090
PROMETHEUS_VOLUME_GIB = 100
GPU_TAINT = "nvidia.com/gpu"
PART_OF = {"app.kubernetes.io/part-of": k8s_labels.PART_OF}


@dataclass(frozen=True)
class MonitoringArgs:
    """Inputs of :class:`Monitoring`."""

    spec: StackSpec
    """The validated stack: retention, registry mirrors, SLA."""
    namespace: str
    """Namespace of Prometheus, Grafana, the GPU exporter, rules and dashboards."""
    models: Sequence[ModelSpec]
    """Models whose SLOs are watched (usually ``spec.models``)."""


def prometheus_url(namespace: str) -> str:
    """In-cluster URL of the Prometheus that :class:`Monitoring` installs."""
    return f"http://{PROMETHEUS_RELEASE}-prometheus.{namespace}.svc:{PROMETHEUS_PORT}"


def chart_source(spec: StackSpec, chart: versions.ChartPin) -> dict[str, Any]:
    """``chart`` and ``repository_opts`` of a Release: the stack's OCI mirror, else public."""
    return chart.release_source(spec.registry.charts)


def _registry(spec: StackSpec, default: str) -> str:
    """Registry host to put in front of a chart's image repository."""
    return spec.registry.images.rstrip("/") if spec.registry.images else default


def kube_prometheus_stack_values(spec: StackSpec) -> dict[str, Any]:
    """Values for kube-prometheus-stack."""
    retention_days = spec.monitoring.prometheus_retention_days
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
        "kube-state-metrics": {"metricLabelsAllowlist": [f"pods=[{model_labels}]"]},
        "grafana": {
            "enabled": spec.monitoring.grafana,
            # Empty: the chart generates a password into a cluster Secret, never into the stack.
            "adminPassword": "",
            "sidecar": {
                "dashboards": {"enabled": True, "label": "grafana_dashboard", "labelValue": "1"}
            },
        },
    }
    if spec.registry.images:
        values["global"] = {"imageRegistry": spec.registry.images.rstrip("/")}
    return values


def dcgm_exporter_values(spec: StackSpec) -> dict[str, Any]:
    """Values for NVIDIA's dcgm-exporter: on GPU nodes only, scraped by Prometheus."""
    return {
        "image": {
            "repository": spec.image(DCGM_EXPORTER_IMAGE.image),
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


def keda_values(spec: StackSpec) -> dict[str, Any]:
    """Values for KEDA, whose ScaledObjects scale the model servers."""
    registry = _registry(spec, "ghcr.io")
    return {
        "image": {
            component: {"registry": registry, "repository": f"kedacore/{repository}"}
            for component, repository in (
                ("keda", "keda"),
                ("metricsApiServer", "keda-metrics-apiserver"),
                ("webhooks", "keda-admission-webhooks"),
            )
        },
        "additionalLabels": PART_OF,
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

    def __init__(
        self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("servegate:index:Monitoring", name, None, opts)
        spec = args.spec
        child = pulumi.ResourceOptions(parent=self)

        self.prometheus_release = k8s.helm.v3.Release(
            f"{name}-kube-prometheus-stack",
            k8s.helm.v3.ReleaseArgs(
                name=PROMETHEUS_RELEASE,
                namespace=args.namespace,
                create_namespace=True,
                version=KUBE_PROMETHEUS_STACK.version,
                values=kube_prometheus_stack_values(spec),
                **chart_source(spec, KUBE_PROMETHEUS_STACK),
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
                values=dcgm_exporter_values(spec),
                **chart_source(spec, DCGM_EXPORTER),
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
                values=keda_values(spec),
                **chart_source(spec, KEDA),
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
            spec={"groups": build_rule_groups(spec, args.models)},
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
            for dashboard in (build_dashboards(spec) if spec.monitoring.grafana else [])
        ]

        # Derived from the created objects, so the outputs resolve once those exist.
        self.dashboards = pulumi.Output.all(*(cm.metadata.name for cm in config_maps)).apply(list)
        self.prometheus_url = self.prometheus_release.name.apply(
            lambda _: prometheus_url(args.namespace)
        )
        self.register_outputs(
            {"dashboards": self.dashboards, "prometheus_url": self.prometheus_url}
        )
