"""The namespaces servegate creates, each with its Pod Security admission labels.

Every namespace warns and audits at ``restricted``; it enforces ``restricted`` where every pod
it runs complies, else the least permissive level its pods need, with the reason beside it.
The ``-version`` labels pin the Pod Security Standards to the cluster's Kubernetes minor, so an
upgrade of the control plane does not tighten or loosen admission by itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from components import k8s_labels

PSA_PREFIX = "pod-security.kubernetes.io"
Level = Literal["restricted", "baseline", "privileged"]

MODELS = "llm-serving"
GATEWAY = "llm-gateway"
MONITORING = "monitoring"
ENVOY_GATEWAY = "envoy-gateway-system"
AI_GATEWAY = "envoy-ai-gateway-system"
KEDA = "keda"
ARGO_ROLLOUTS = "argo-rollouts"
PAYLOAD_CAPTURE = "payload-capture"


@dataclass(frozen=True)
class NamespaceSpec:
    """A namespace servegate creates and the Pod Security level its pods allow."""

    name: str
    enforce: Level
    reason: str
    """Why this level: what runs there and, below restricted, which pod needs more."""

    def labels(self, kubernetes_version: str) -> dict[str, str]:
        """``app.kubernetes.io/part-of`` plus enforce/warn/audit, pinned to ``v<minor>``."""
        version = f"v{kubernetes_version}"
        labels = {"app.kubernetes.io/part-of": k8s_labels.PART_OF}
        modes: tuple[tuple[str, Level], ...] = (
            ("enforce", self.enforce),
            ("warn", "restricted"),
            ("audit", "restricted"),
        )
        for mode, level in modes:
            labels[f"{PSA_PREFIX}/{mode}"] = level
            labels[f"{PSA_PREFIX}/{mode}-version"] = version
        return labels


NAMESPACES: tuple[NamespaceSpec, ...] = (
    NamespaceSpec(
        MODELS,
        "restricted",
        "vLLM runs non-root with a read-only root filesystem, no capabilities, RuntimeDefault "
        "seccomp; the weights init container likewise (components/vllm.py).",
    ),
    NamespaceSpec(
        GATEWAY,
        "restricted",
        "The rate-limit Redis runs non-root, no capabilities, RuntimeDefault seccomp "
        "(components/gateway.py).",
    ),
    NamespaceSpec(
        ENVOY_GATEWAY,
        "restricted",
        "Envoy Gateway v1.8.3's controller and certgen (charts/gateway-helm/values.tmpl.yaml), "
        "the Envoy proxies and the rate-limit service it creates "
        "(internal/infrastructure/kubernetes/{proxy,ratelimit}/testdata) all set runAsNonRoot, "
        "a non-zero UID, drop ALL, no privilege escalation and RuntimeDefault seccomp.",
    ),
    NamespaceSpec(
        AI_GATEWAY,
        "restricted",
        "Envoy AI Gateway v1.1.0's controller (manifests/charts/ai-gateway-helm/values.yaml): "
        "runAsNonRoot, UID 65532, drop ALL, no privilege escalation, RuntimeDefault seccomp.",
    ),
    NamespaceSpec(
        KEDA,
        "restricted",
        "KEDA chart v2.20.2 (keda/values.yaml): operator, metrics server and webhooks run "
        "non-root with drop ALL, no privilege escalation and RuntimeDefault seccomp.",
    ),
    NamespaceSpec(
        ARGO_ROLLOUTS,
        "restricted",
        "Argo Rollouts chart 2.41.0 (charts/argo-rollouts/values.yaml): the controller runs "
        "runAsNonRoot, read-only root filesystem, drop ALL, no privilege escalation, "
        "RuntimeDefault seccomp.",
    ),
    NamespaceSpec(
        MONITORING,
        # Not even baseline: both exporters below need what baseline forbids.
        "privileged",
        "dcgm-exporter 4.5.3-4.8.2 runs as root with SYS_ADMIN (profiling metrics) and hostPath "
        "volumes (deployment/values.yaml, templates/daemonset.yaml); kube-prometheus-stack's "
        "node exporter (prometheus-node-exporter 4.56.1) uses hostNetwork, hostPID and hostPath. "
        "Prometheus, Grafana and the operator are not the reason; warn and audit still report "
        "every pod short of restricted.",
    ),
)


# Created by PayloadCapture only when a stack captures payloads (not in NAMESPACES).
PAYLOAD_CAPTURE_SPEC = NamespaceSpec(
    PAYLOAD_CAPTURE,
    "restricted",
    "The OpenTelemetry Collector (components/payload_capture.py) runs non-root (UID 10001) with "
    "a read-only root filesystem, drop ALL, no privilege escalation, RuntimeDefault seccomp.",
)


def by_name() -> dict[str, NamespaceSpec]:
    return {ns.name: ns for ns in NAMESPACES}
