"""Kubernetes manifests of a stack, as the Kubernetes API would receive them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from servegate.plan.secrets import SECRET

HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
_TOKEN = re.compile(r"^kubernetes:(?P<group>[^/]+)/(?P<version>[^:]+):(?P<kind>.+)$")


@dataclass(frozen=True)
class Manifest:
    urn: str
    body: dict[str, Any]

    @property
    def kind(self) -> str:
        return str(self.body["kind"])

    @property
    def name(self) -> str:
        return str(self.body["metadata"]["name"])

    @property
    def namespace(self) -> str | None:
        value = self.body["metadata"].get("namespace")
        return None if value is None else str(value)


def api_version(type_token: str) -> tuple[str, str] | None:
    match = _TOKEN.match(type_token)
    if not match:
        return None
    group, version = match["group"], match["version"]
    return ("v1" if group == "core" else f"{group}/{version}"), match["kind"]


def manifests(inventory: dict[str, Any]) -> list[Manifest]:
    """Every Kubernetes object of the inventory (Helm releases are charts, not objects)."""
    found = []
    for resource in inventory["resources"]:
        if not resource.get("custom") or resource["type"] == HELM_RELEASE:
            continue
        parsed = api_version(resource["type"])
        if parsed is None:
            continue
        version, kind = parsed
        props = dict(resource["props"])
        body: dict[str, Any] = {"apiVersion": props.pop("apiVersion", version)}
        body["kind"] = props.pop("kind", kind)
        metadata = dict(props.pop("metadata", {}) or {})
        metadata.setdefault("name", resource["name"])
        body["metadata"] = metadata
        body.update(props)
        _redact_whole_secret_fields(body)
        found.append(Manifest(urn=resource["urn"], body=body))
    return found


def _redact_whole_secret_fields(body: dict[str, Any]) -> None:
    # A field whose whole value was secret is "[secret]" in the inventory; render it empty
    # and say so, so the manifest keeps its schema and still carries no secret.
    redacted = [key for key in ("data", "stringData") if body.get(key) == SECRET]
    for key in redacted:
        body[key] = {}
    if redacted:
        annotations = body["metadata"].setdefault("annotations", {})
        annotations["servegate.io/redacted"] = ",".join(redacted)


def helm_releases(inventory: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "name": r["props"].get("name", r["name"]),
            "namespace": r["props"].get("namespace"),
            "chart": r["props"].get("chart"),
            "version": r["props"].get("version"),
            "repository": (r["props"].get("repositoryOpts") or {}).get("repo"),
        }
        for r in inventory["resources"]
        if r["type"] == HELM_RELEASE
    ]


def write_manifests(inventory: dict[str, Any], out_dir: Path) -> list[Path]:
    """One YAML file per object, named `<namespace>/<kind>-<name>.yaml`; Helm releases listed."""
    written = []
    for manifest in manifests(inventory):
        folder = out_dir / (manifest.namespace or "_cluster")
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{manifest.kind.lower()}-{manifest.name}.yaml"
        path.write_text(yaml.safe_dump(manifest.body, sort_keys=False), encoding="utf-8")
        written.append(path)
    releases = helm_releases(inventory)
    if releases:
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / "helm-releases.yaml"
        header = "# Helm releases the stack installs (charts render in-cluster; pinned versions)\n"
        path.write_text(header + yaml.safe_dump(releases, sort_keys=False), encoding="utf-8")
        written.append(path)
    return written
