"""Reading Pulumi URNs and provider references.

A URN is ``urn:pulumi:<stack>::<project>::<qualified type>::<name>``; the qualified type
chains the parent types with ``$``. A provider reference is ``<provider urn>::<provider id>``.
"""

from __future__ import annotations

ROOT_STACK_TYPE = "pulumi:pulumi:Stack"
_PREFIX = "urn:pulumi:"


def is_urn(value: object) -> bool:
    """Whether ``value`` looks like a Pulumi URN (prefix and four ``::`` parts)."""
    return isinstance(value, str) and value.startswith(_PREFIX) and len(value.split("::", 3)) == 4


def stack_of(urn: str) -> str:
    """The stack name a URN belongs to."""
    return urn[len(_PREFIX) :].split("::", 1)[0]


def project_of(urn: str) -> str:
    """The project name a URN belongs to."""
    return urn.split("::", 3)[1]


def type_of(urn: str) -> str:
    """The resource type token (the last element of the qualified type)."""
    return urn.split("::", 3)[2].rsplit("$", 1)[-1]


def name_of(urn: str) -> str:
    """The resource's logical name (may itself contain ``::``)."""
    return urn.split("::", 3)[3]


def stack_urn(stack: str, project: str) -> str:
    """The root stack URN the Pulumi engine gives a stack."""
    return f"{_PREFIX}{stack}::{project}::{ROOT_STACK_TYPE}::{project}-{stack}"


def provider_urn(reference: str) -> str:
    """The provider URN of a provider reference (the id after the last ``::`` dropped)."""
    urn, _, _ = reference.rpartition("::")
    return urn if is_urn(urn) else reference
