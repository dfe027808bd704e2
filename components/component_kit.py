"""What the components share: one-line config problems and the record of what they declare."""

from __future__ import annotations

from typing import TypeVar

import pulumi

from components.config import ConfigError, ConfigProblem

_R = TypeVar("_R", bound=pulumi.Resource)


def problem(key: str, message: str) -> ConfigError:
    """A ConfigError of one problem: ``key`` (the config path) and what is allowed there."""
    return ConfigError([ConfigProblem(key=key, message=message)])


class DeclaresResources:
    """Mixin for a component that keeps every resource it declares in ``declared``.

    Dependents and tests wait on ``declared``; the component sets it to ``[]`` right after
    ``super().__init__`` and passes each child through :meth:`_own`.
    """

    declared: list[pulumi.Resource]

    def _own(self, resource: _R) -> _R:
        self.declared.append(resource)
        return resource
