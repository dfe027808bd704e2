"""Kubernetes labels every in-cluster component sets (docs/conventions.md, "Labels").

Policies select objects by these labels, so they are built here once rather than spelled
out in each component.
"""

from __future__ import annotations

from typing import Literal

PART_OF = "servegate"
MODEL_SERVER_APP = "vllm"
GATEWAY_APP = "model-gateway"

Track = Literal["stable", "canary"]


def common(app: str) -> dict[str, str]:
    """Labels on every object: which application it is and that servegate manages it."""
    return {"app.kubernetes.io/name": app, "app.kubernetes.io/part-of": PART_OF}


def model_server(model: str, track: Track) -> dict[str, str]:
    """Labels of a model server's Deployment, pods, Service, PDB and autoscaler."""
    return {
        **common(MODEL_SERVER_APP),
        "servegate.io/role": "model-server",
        "servegate.io/model": model,
        "servegate.io/track": track,
    }


def model_server_selector(model: str, track: Track) -> dict[str, str]:
    """The immutable subset of :func:`model_server` that selects one track's pods."""
    return {
        "app.kubernetes.io/name": MODEL_SERVER_APP,
        "servegate.io/model": model,
        "servegate.io/track": track,
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
