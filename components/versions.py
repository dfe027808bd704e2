"""The pinned Helm charts and images the components deploy, read from one table.

``components/data/versions.yaml`` holds each pin with where it was checked upstream, so an
upgrade is one reviewed data change and every component picks it up.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from components import yaml_data

VERSIONS_FILE = Path(__file__).resolve().parent / "data" / "versions.yaml"


@dataclass(frozen=True)
class ChartPin:
    """A Helm chart at a pinned version, with the public repository it is published in."""

    key: str
    chart: str
    repository: str
    version: str

    @property
    def is_oci(self) -> bool:
        return self.repository.startswith("oci://")

    def release_source(self, charts_mirror: str | None) -> dict[str, Any]:
        """``chart`` (and ``repository_opts``) of a Helm Release of this chart.

        From ``charts_mirror`` (the stack's ``registry.charts``, an ``oci://`` base, in-region
        when air-gapped) when set, else from the public repository.
        """
        if charts_mirror:
            return {"chart": f"{charts_mirror.rstrip('/')}/{self.chart}"}
        if self.is_oci:
            return {"chart": f"{self.repository.rstrip('/')}/{self.chart}"}
        # Imported here: the config check reads this module and must stay quick to load.
        import pulumi_kubernetes as k8s

        return {
            "chart": self.chart,
            "repository_opts": k8s.helm.v3.RepositoryOptsArgs(repo=self.repository),
        }


@dataclass(frozen=True)
class ImagePin:
    """A container image at a pinned tag."""

    key: str
    image: str
    tag: str
    digest: str | None = None
    """``sha256:<hex>`` of the tag's image index, where one could be checked (the row says how)."""

    @property
    def reference(self) -> str:
        """``image:tag[@digest]``, as public (put it through ``StackSpec.image`` to pull via a
        mirror); the digest, when pinned, is what the runtime pulls."""
        pinned = f"{self.image}:{self.tag}"
        return f"{pinned}@{self.digest}" if self.digest else pinned


def _table() -> dict[str, Any]:
    with VERSIONS_FILE.open(encoding="utf-8") as handle:
        raw: dict[str, Any] = yaml_data.safe_load(handle)
    return raw


@cache
def charts() -> dict[str, ChartPin]:
    """Every pinned chart by its key in the table."""
    return {
        key: ChartPin(
            key=key,
            chart=str(row["chart"]),
            repository=str(row["repository"]),
            version=str(row["version"]),
        )
        for key, row in _table()["charts"].items()
    }


@cache
def images() -> dict[str, ImagePin]:
    """Every pinned image by its key in the table."""
    return {
        key: ImagePin(
            key=key,
            image=str(row["image"]),
            tag=str(row["tag"]),
            digest=str(row["digest"]) if row.get("digest") else None,
        )
        for key, row in _table()["images"].items()
    }


@dataclass(frozen=True)
class AddonPin:
    """An EKS add-on's pinned version and the configuration values the stack gives it."""

    name: str
    version: str
    configuration: dict[str, str]


def eks_addon(name: str) -> AddonPin:
    """The pinned EKS add-on ``name`` (a KeyError names a row missing from versions.yaml)."""
    row = _table()["eks_addons"][name]
    return AddonPin(
        name=name,
        version=str(row["version"]),
        configuration={str(k): str(v) for k, v in row.get("configuration", {}).items()},
    )


def kubernetes_version() -> str:
    """The EKS Kubernetes version new stacks pin."""
    return str(_table()["apis"]["kubernetes"]["version"])


def chart(key: str) -> ChartPin:
    """The pinned chart ``key`` (a KeyError names a row missing from versions.yaml)."""
    return charts()[key]


def image(key: str) -> ImagePin:
    """The pinned image ``key`` (a KeyError names a row missing from versions.yaml)."""
    return images()[key]


@dataclass(frozen=True)
class ActionPin:
    """A GitHub Action pinned to the commit of a release tag."""

    repo: str
    tag: str
    commit: str

    def uses(self, path: str = "") -> str:
        """``uses:`` text: the commit, with the tag as a comment for people."""
        return f"{self.repo}{path}@{self.commit} # {self.tag}"


@cache
def github_actions() -> dict[str, ActionPin]:
    """The Actions the generated GitHub workflow uses, by key in the table's ``ci`` section."""
    return {
        key: ActionPin(repo=str(row["repo"]), tag=str(row["tag"]), commit=str(row["commit"]))
        for key, row in _table()["ci"]["github_actions"].items()
    }


@cache
def pulumi_cli() -> str:
    """The Pulumi CLI version the generated pipelines install."""
    return str(_table()["ci"]["pulumi_cli"]["version"])
