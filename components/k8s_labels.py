"""Kubernetes labels every in-cluster component sets (docs/conventions.md, "Labels").

Policies select objects by these labels, so they are built here once rather than spelled
out in each component.
"""

from __future__ import annotations

from typing import Literal

PART_OF = "servegate"
MODEL_SERVER_APP = "vllm"
GATEWAY_APP = "model-gateway"

Track = Literal["stable", "canary", "shadow"]
"""A model server's track: the served version, its canary, or a shadow that only receives
mirrored copies of requests (its responses are discarded)."""

TRACK_LABEL = "servegate.io/track"
SERIES_TRACK_LABEL = "track"
"""The label the model's ServiceMonitor copies the Service's track onto every vLLM series."""

ROLLOUT_POD_TEMPLATE_HASH = "rollouts-pod-template-hash"
"""Label Argo Rollouts puts on each ReplicaSet it creates and on that ReplicaSet's pods
(DefaultRolloutUniqueLabelKey, pkg/apis/rollouts/v1alpha1/types.go at argoproj/argo-rollouts
v1.9.1): during a canary step the new ReplicaSet's pods, the canary, carry its value."""


def scraped_label(pod_label: str) -> str:
    """The target label Prometheus Operator makes of a ServiceMonitor's ``podTargetLabels``
    entry: every character not allowed in a Prometheus label name becomes ``_``
    (sanitizeLabelName, pkg/prometheus/promcfg.go of prometheus-operator)."""
    return "".join(c if c.isascii() and (c.isalnum() or c == "_") else "_" for c in pod_label)


def common(app: str) -> dict[str, str]:
    """Labels on every object: which application it is and that servegate manages it."""
    return {"app.kubernetes.io/name": app, "app.kubernetes.io/part-of": PART_OF}


def model_server(model: str, track: Track) -> dict[str, str]:
    """Labels of a model server's Deployment, pods, Service, PDB and autoscaler."""
    return {
        **common(MODEL_SERVER_APP),
        "servegate.io/role": "model-server",
        "servegate.io/model": model,
        TRACK_LABEL: track,
    }


def model_server_selector(model: str, track: Track) -> dict[str, str]:
    """The immutable subset of :func:`model_server` that selects one track's pods."""
    return {
        "app.kubernetes.io/name": MODEL_SERVER_APP,
        "servegate.io/model": model,
        TRACK_LABEL: track,
    }


def model_selector(model: str) -> dict[str, str]:
    """Selects every track of one model (its ServiceMonitor scrapes stable and canary)."""
    return {"app.kubernetes.io/name": MODEL_SERVER_APP, "servegate.io/model": model}


def gateway() -> dict[str, str]:
    """Labels of every gateway object."""
    return {**common(GATEWAY_APP), "servegate.io/role": "gateway"}


def gpu_node_selector(pool: str, gpu: str) -> dict[str, str]:
    """The pod nodeSelector matching a GPU node group's labels exactly."""
    return {"servegate.io/pool": pool, "servegate.io/gpu": gpu}
