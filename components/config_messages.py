"""Validation errors worded for the person editing a stack file.

Pydantic's messages speak of Python: "valid dictionary or instance of ReplicaSpec", "valid
string" for an unquoted ``1.35``. These say what to write instead, in the stack file's own
key names (the camelCase aliases), and suggest the nearest known key for a typo.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

_MAPPING_ERRORS = frozenset(
    {"model_type", "model_attributes_type", "dict_type", "dataclass_type", "is_instance_of"}
)
_SCALAR_NAMES = {
    "string_type": "a string",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
}


def keys_of(model: type[BaseModel]) -> list[str]:
    """The keys a stack file uses for a model's fields (their aliases)."""
    return [field.alias or name for name, field in model.model_fields.items()]


def unknown_key(key: str, allowed: Sequence[str]) -> str:
    """``is not a known key; did you mean 'diskGiB'? (allowed: ...)``."""
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    if not close:
        # Case slips (diskgib, DiskGiB) score low on the ratio but are plainly the same key.
        close = [name for name in allowed if name.lower() == key.lower()][:1]
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"is not a known key{hint} (allowed: {', '.join(allowed)})"


def describe(
    error: Mapping[str, Any],
    root: type[BaseModel],
    root_keys: Sequence[str],
    class_names: frozenset[str],
) -> str:
    """One pydantic error as ``<what is wrong and what is allowed>`` (the key is added by the
    caller). ``root_keys`` are the keys allowed at the top level; ``class_names`` the model
    class names that must never reach a user."""
    loc = tuple(error["loc"])
    kind = str(error["type"])
    value = error.get("input")
    message = str(error["msg"]).removeprefix("Value error, ")
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        owner = model_at(root, loc[:-1])
        allowed = root_keys if len(loc) == 1 or owner is None else keys_of(owner)
        return unknown_key(str(loc[-1]), allowed)
    if value is None and kind not in {"value_error", "assertion_error"}:
        # `key:` with nothing after it: YAML reads null.
        field = _field(model_at(root, loc[:-1]), loc[-1])
        optional = field is not None and not field.is_required()
        return "has no value: write one" + (
            ", or remove the key for the default" if optional else ""
        )
    if kind in _MAPPING_ERRORS:
        owner = model_at(root, loc)
        keys = f" ({', '.join(keys_of(owner))})" if owner is not None else ""
        return f"{_shown(value)} must be a mapping of keys{keys}"
    if kind == "string_type" and isinstance(value, int | float | bool):
        text = str(value).lower() if isinstance(value, bool) else str(value)
        key = f"{loc[-1]}: " if isinstance(loc[-1], str) else ""
        return f'write it as a string, e.g. {key}"{text}"'
    if kind in _SCALAR_NAMES:
        return f"{_shown(value)} must be {_SCALAR_NAMES[kind]}"
    if kind == "too_short":
        least = int(error.get("ctx", {}).get("min_length", 1))
        return f"needs at least {least} entr{'y' if least == 1 else 'ies'}"
    if kind == "list_type":
        return f"{_shown(value)} must be a list, e.g. [a, b] or one '- item' per line"
    if kind == "literal_error":
        text = f"{_shown(value)} is not allowed; {message[0].lower()}{message[1:]}"
    elif kind in {"value_error", "assertion_error"}:
        text = message
    else:
        text = f"{_shown(value)}: {message[0].lower()}{message[1:]}"
    return _without_class_names(text, class_names)


def _shown(value: Any) -> str:
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _without_class_names(text: str, class_names: frozenset[str]) -> str:
    # A safety net for pydantic messages not handled above: never show a Python class.
    for name in class_names:
        text = text.replace(f"instance of {name}", "mapping").replace(name, "mapping")
    return text


def model_at(root: type[BaseModel], loc: Sequence[int | str]) -> type[BaseModel] | None:
    """The model a location's value must be (``("gpuPools", 0)`` -> GpuPoolSpec), if any."""
    annotation: Any = root
    for part in loc:
        if isinstance(part, int):
            annotation = _item_type(annotation)
            continue
        field = _field(_model_of(annotation), part)
        if field is None:
            return None
        annotation = field.annotation
    return _model_of(annotation)


def _field(model: type[BaseModel] | None, key: int | str) -> FieldInfo | None:
    """A model's field by its stack-file key (alias) or Python name."""
    if model is None:
        return None
    return next((f for name, f in model.model_fields.items() if key in {name, f.alias}), None)


def _members(annotation: Any) -> tuple[Any, ...]:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _members(typing.get_args(annotation)[0])
    if origin is typing.Union or origin is types.UnionType:
        return tuple(m for arg in typing.get_args(annotation) for m in _members(arg))
    return (annotation,)


def _model_of(annotation: Any) -> type[BaseModel] | None:
    for member in _members(annotation):
        if isinstance(member, type) and issubclass(member, BaseModel):
            return member
    return None


def _item_type(annotation: Any) -> Any:
    for member in _members(annotation):
        if typing.get_origin(member) is list:
            return typing.get_args(member)[0]
    return None
