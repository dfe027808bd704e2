"""Which provider manages each resource, with the provider's region and default tags.

A resource names its provider by reference (``<provider urn>::<id>``). Without one it uses
its package's default provider, which the engine lists as ``pulumi:providers:<pkg>::default``
(or ``default_<version>``) and the offline mock engine does not list at all.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from servegate.plan import urns
from servegate.plan.raw import RawResource
from servegate.plan.secrets import SECRET
from servegate.plan.unknowns import UNKNOWN

PROVIDER_PREFIX = "pulumi:providers:"


@dataclass(frozen=True)
class ProviderView:
    """What the inventory tells about a resource's provider."""

    urn: str | None
    type: str
    region: str | None
    default_tags: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The inventory's ``provider`` object."""
        return {
            "urn": self.urn,
            "type": self.type,
            "region": self.region,
            "defaultTags": self.default_tags,
        }


def is_provider(type_token: str) -> bool:
    """Whether a type token is a provider resource's."""
    return type_token.startswith(PROVIDER_PREFIX)


def package_of(type_token: str) -> str:
    """The package a type token belongs to (``aws``, ``kubernetes``, ...)."""
    if is_provider(type_token):
        return type_token[len(PROVIDER_PREFIX) :]
    return type_token.split(":", 1)[0]


def decode_provider_inputs(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Provider inputs with JSON-encoded objects and lists decoded.

    The engine (and the generated SDKs) pass a provider's object-valued inputs as JSON
    strings, e.g. ``defaultTags: "{\\"tags\\":{...}}"``; mocks may pass them as objects.
    """
    decoded: dict[str, Any] = {}
    for key, value in inputs.items():
        if isinstance(value, str) and value[:1] in ("{", "["):
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        decoded[key] = value
    return decoded


def is_default_provider(urn: str) -> bool:
    """Whether ``urn`` is an engine-created default provider (top level, ``default...``)."""
    qualified_type = urn.split("::", 3)[2]
    name = urns.name_of(urn)
    return "$" not in qualified_type and (name == "default" or name.startswith("default_"))


def known_string(value: Any) -> str | None:
    """``value`` when it is a real, non-empty string (not unknown, not a secret)."""
    if isinstance(value, str) and value and value not in (UNKNOWN, SECRET):
        return value
    return None


class ProviderIndex:
    """Provider views for the resources of one plan."""

    def __init__(
        self,
        resources: Sequence[RawResource],
        *,
        stack_region: str | None,
        config: Mapping[str, Any],
    ) -> None:
        self._stack_region = stack_region
        self._config = config
        self._views: dict[str, ProviderView] = {}
        self._defaults: dict[str, ProviderView] = {}
        for resource in resources:
            if is_provider(resource.type):
                view = self._view_of(resource)
                self._views[resource.urn] = view
                if is_default_provider(resource.urn):
                    self._defaults.setdefault(package_of(resource.type), view)

    def own_view(self, provider: RawResource) -> ProviderView:
        """The view of a provider resource itself."""
        return self._views.get(provider.urn) or self._view_of(provider)

    def view_for(self, resource: RawResource) -> ProviderView | None:
        """The provider managing ``resource``; None for components and providers."""
        if not resource.custom or is_provider(resource.type):
            return None
        if resource.provider:
            urn = urns.provider_urn(resource.provider)
            return self._views.get(urn) or self._unlisted(urn)
        package = package_of(resource.type)
        return self._defaults.get(package) or self._implicit_default(package)

    def _view_of(self, provider: RawResource) -> ProviderView:
        inputs = decode_provider_inputs(provider.inputs)
        region = known_string(inputs.get("region"))
        if region is None and is_default_provider(provider.urn):
            region = self._package_region(package_of(provider.type))
        return ProviderView(
            urn=provider.urn,
            type=provider.type,
            region=region,
            default_tags=_tags_of(inputs.get("defaultTags")),
        )

    def _unlisted(self, urn: str) -> ProviderView:
        # A provider the plan does not list: only a default provider's region is inferable.
        type_token = urns.type_of(urn)
        region = None
        if is_default_provider(urn):
            region = self._package_region(package_of(type_token))
        return ProviderView(urn=urn, type=type_token, region=region)

    def _implicit_default(self, package: str) -> ProviderView:
        # The default provider reads the stack's `<package>:` config.
        default_tags: dict[str, Any] = {}
        if package == "aws":
            default_tags = _tags_of(self._config.get("aws:defaultTags"))
        return ProviderView(
            urn=None,
            type=PROVIDER_PREFIX + package,
            region=self._package_region(package),
            default_tags=default_tags,
        )

    def _package_region(self, package: str) -> str | None:
        return self._stack_region if package == "aws" else None


def _tags_of(default_tags: Any) -> dict[str, Any]:
    if isinstance(default_tags, str):
        try:
            default_tags = json.loads(default_tags)
        except ValueError:
            return {}
    if isinstance(default_tags, dict) and isinstance(default_tags.get("tags"), dict):
        return dict(default_tags["tags"])
    return {}
