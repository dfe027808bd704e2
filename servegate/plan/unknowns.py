"""Values not known until apply.

Pulumi writes them as a sentinel string. The sentinel stays in the inventory's ``props``
(policies compare against it) and every place holding it is listed in ``unknowns``.

Paths are dotted; list elements are numeric segments: ``spec.template.spec.containers.0.image``.
That is the form ``lib.inventory.is_unknown`` splits on ``.``. Map keys are used as they
are, so a key that itself contains a dot (a Kubernetes label) reads as several segments.
"""

from __future__ import annotations

from typing import Any

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
# The key Pulumi's special values (secrets, assets, archives, resource references) carry.
SIG_KEY = "4dabf18193072939515e22adb298388d"


def unknown_paths(properties: dict[str, Any]) -> list[str]:
    """Dotted paths of every unknown value in ``properties``, in document order."""
    return scan_properties(properties)[0]


def scan_properties(properties: dict[str, Any]) -> tuple[list[str], bool]:
    """The unknown values' paths, and whether a special value (secret, asset, archive,
    resource reference) is anywhere in ``properties``: both in one walk."""
    found: list[str] = []
    special = _walk(properties, [], found)
    return found, special


def _walk(container: dict[str, Any] | list[Any], parts: list[str], found: list[str]) -> bool:
    # Only containers are visited by a call and paths are joined only for hits: this runs
    # over every property of every resource.
    if isinstance(container, dict):
        special = SIG_KEY in container
        items: Any = container.items()
    else:
        special = False
        items = enumerate(container)
    for key, item in items:
        if isinstance(item, str):
            if item == UNKNOWN:
                found.append(".".join([*parts, str(key)]))
        elif isinstance(item, (dict, list)):
            parts.append(str(key))
            special = _walk(item, parts, found) or special
            parts.pop()
    return special
