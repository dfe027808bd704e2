"""Custom resources validated the way the Kubernetes API server validates them.

A CRD's ``openAPIV3Schema`` is a *structural schema* (OpenAPI v3.0 with Kubernetes
extensions). The API server, on create, prunes ``null`` from fields that are not
``nullable``, applies ``default``s, and then validates; with strict field validation an
unknown field is an error. :func:`to_json_schema` turns the structural schema into a
JSON Schema (draft 4, whose boolean ``exclusiveMinimum`` is OpenAPI v3.0's) that says
the same, and :class:`CrdValidator` adds what JSON Schema has no word for:

- unknown fields: an object schema is closed (``additionalProperties: false``) unless it
  says ``x-kubernetes-preserve-unknown-fields: true``; ``anyOf``/``allOf``/``oneOf``/``not``
  branches only constrain values, so they stay open;
- ``x-kubernetes-int-or-string``: an integer or a string;
- ``x-kubernetes-embedded-resource``: ``apiVersion``, ``kind`` and ``metadata`` allowed;
- ``x-kubernetes-list-type``: ``set`` items unique, ``map`` items unique by their
  ``x-kubernetes-list-map-keys``;
- ``x-kubernetes-validations``: each CEL rule evaluated with ``self`` (rules on
  ``oldSelf`` are transition rules, which the API server only runs on update);
- ``format``: the string formats the API server checks (others are ignored, as there);
- the root ``metadata``: checked as ObjectMeta (known fields, DNS names, label syntax).
"""

from __future__ import annotations

import base64
import copy
import datetime
import ipaddress
import json
import re
from collections.abc import Callable, Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import celpy
import jsonschema
import re2
from celpy import celtypes
from celpy.adapter import json_to_cel
from celpy.evaluation import CELEvalError
from jsonschema import Draft4Validator, FormatChecker
from jsonschema.exceptions import ValidationError

VENDORED = Path(__file__).resolve().parent / "vendor" / "crds"
_JUNCTORS = ("allOf", "anyOf", "oneOf")

# ObjectMeta fields a client may send (k8s.io/apimachinery/pkg/apis/meta/v1 ObjectMeta).
OBJECT_META_FIELDS = frozenset(
    {
        "name",
        "generateName",
        "namespace",
        "selfLink",
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "labels",
        "annotations",
        "ownerReferences",
        "finalizers",
        "managedFields",
    }
)
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_LABEL_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
# kube-openapi's duration: Go units plus d and w, e.g. "300s", "1h30m".
_DURATION = re.compile(r"^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h|d|w))+$")
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_MAC = re.compile(r"^([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}$")
_UUID = re.compile(r"^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$", re.I)


def schema_path(api_version: str, kind: str, chart: str, chart_version: str) -> Path:
    """Where the schema of ``kind`` at ``api_version`` installed by a chart release lives."""
    group, _, version = api_version.rpartition("/")
    return VENDORED / chart / chart_version / group / f"{kind}-{version}.json"


# --- structural schema -> JSON Schema -------------------------------------------------


def to_json_schema(node: Mapping[str, Any], *, junctor: bool = False) -> dict[str, Any]:
    """The JSON Schema saying what the structural schema ``node`` accepts."""
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "properties":
            out[key] = {name: to_json_schema(sub, junctor=junctor) for name, sub in value.items()}
        elif key in ("items", "additionalProperties", "not") and isinstance(value, Mapping):
            out[key] = to_json_schema(value, junctor=junctor or key == "not")
        elif key in _JUNCTORS:
            out[key] = [to_json_schema(sub, junctor=True) for sub in value]
        elif key in ("default", "nullable", "type"):
            continue
        else:
            out[key] = value
    kind = node.get("type")
    if kind is not None and not node.get("x-kubernetes-int-or-string"):
        out["type"] = [kind, "null"] if node.get("nullable") else kind
    if node.get("x-kubernetes-embedded-resource"):
        out.setdefault("properties", {}).update(
            apiVersion={"type": "string"},
            kind={"type": "string"},
            metadata={"type": "object"},
        )
    closed = not junctor and not node.get("x-kubernetes-preserve-unknown-fields")
    if closed and (kind == "object" or "properties" in node) and "additionalProperties" not in node:
        out["additionalProperties"] = False
    return out


# --- what the API server does before validating ---------------------------------------


def prune_nulls_and_default(schema: Mapping[str, Any], value: Any) -> Any:
    """``value`` with nulls of non-nullable fields dropped and schema defaults filled in."""
    if isinstance(value, dict):
        properties: Mapping[str, Any] = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for name in [n for n, v in value.items() if v is None]:
            sub = properties.get(name) or (extra if isinstance(extra, Mapping) else None)
            if sub is not None and not sub.get("nullable"):
                del value[name]  # an unknown field stays, to be refused as unknown
        for name, sub in properties.items():
            if name not in value and "default" in sub:
                value[name] = copy.deepcopy(sub["default"])
        for name, item in value.items():
            sub = properties.get(name) or (extra if isinstance(extra, Mapping) else None)
            if sub is not None:
                value[name] = prune_nulls_and_default(sub, item)
    elif isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        value[:] = [prune_nulls_and_default(schema["items"], item) for item in value]
    return value


# --- the Kubernetes keywords ----------------------------------------------------------


def _int_or_string(validator: Any, enabled: Any, instance: Any, schema: Any) -> Iterator[Any]:
    if enabled and (isinstance(instance, bool) or not isinstance(instance, int | str)):
        yield ValidationError(f"{instance!r} is neither an integer nor a string")


def _list_type(validator: Any, list_type: Any, instance: Any, schema: Any) -> Iterator[Any]:
    if not isinstance(instance, list):
        return
    if list_type == "set":
        seen = [json.dumps(item, sort_keys=True) for item in instance]
        for entry in sorted({s for s in seen if seen.count(s) > 1}):
            yield ValidationError(f"duplicate entry {entry} in a list-type set")
    elif list_type == "map":
        names = schema.get("x-kubernetes-list-map-keys", [])
        keys = [
            json.dumps({n: item.get(n) for n in names}, sort_keys=True)
            for item in instance
            if isinstance(item, dict)  # a non-object item is refused by "type"
        ]
        for duplicate in sorted({k for k in keys if keys.count(k) > 1}):
            yield ValidationError(f"duplicate entry {duplicate} in a list-type map")


@cache
def _regex(pattern: str) -> Any:
    return re2.compile(pattern)


def _pattern(validator: Any, pattern: Any, instance: Any, schema: Any) -> Iterator[Any]:
    # The API server matches with Go's RE2 (which takes e.g. a "(?i)" after "^").
    if isinstance(instance, str) and _regex(pattern).search(instance) is None:
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _lower_ascii(text: celtypes.StringType) -> celtypes.StringType:
    return celtypes.StringType(text.lower())


def _split(text: celtypes.StringType, separator: celtypes.StringType) -> celtypes.ListType:
    return celtypes.ListType([celtypes.StringType(part) for part in text.split(separator)])


# Kubernetes' CEL string library beyond standard CEL, as far as the vendored rules use it.
_CEL_FUNCTIONS: dict[str, Any] = {"lowerAscii": _lower_ascii, "split": _split}
_CEL = celpy.Environment()


@cache
def cel_program(rule: str) -> celpy.Runner:
    return _CEL.program(_CEL.compile(rule), functions=_CEL_FUNCTIONS)


def _cel_rules(validator: Any, rules: Any, instance: Any, schema: Any) -> Iterator[Any]:
    for rule in rules:
        expression = rule["rule"]
        if re.search(r"\boldSelf\b", expression):
            continue  # a transition rule: the API server evaluates it on update only
        try:
            result = cel_program(expression).evaluate({"self": json_to_cel(instance)})
        except CELEvalError as error:
            yield ValidationError(f"rule {expression!r} could not be evaluated: {error.args[0]}")
            continue
        if not (isinstance(result, celtypes.BoolType) and bool(result)):
            message = rule.get("message") or f"failed rule: {expression}"
            yield ValidationError(str(message))


# --- formats the API server checks (kube-openapi strfmt) -------------------------------

FORMATS = FormatChecker(formats=())


def _format(name: str) -> Callable[[Callable[[str], bool]], Callable[[str], bool]]:
    def register(check: Callable[[str], bool]) -> Callable[[str], bool]:
        def accepts(instance: object) -> bool:
            return not isinstance(instance, str) or bool(check(instance))

        FORMATS.checks(name, raises=(ValueError, TypeError))(accepts)
        return check

    return register


@_format("byte")
def _is_base64(text: str) -> bool:
    return base64.b64decode(text, validate=True) is not None


@_format("date-time")
def _is_date_time(text: str) -> bool:
    # RFC 3339: a full date, a time and an offset ("2026-12-01" alone is a date, not this).
    if not _DATE_TIME.match(text):
        return False
    return datetime.datetime.fromisoformat(text.upper().replace("Z", "+00:00")) is not None


@_format("date")
def _is_date(text: str) -> bool:
    return datetime.date.fromisoformat(text) is not None


@_format("ipv4")
def _is_ipv4(text: str) -> bool:
    return ipaddress.IPv4Address(text) is not None


@_format("ipv6")
def _is_ipv6(text: str) -> bool:
    return ipaddress.IPv6Address(text) is not None


@_format("cidr")
def _is_cidr(text: str) -> bool:
    return ipaddress.ip_network(text, strict=False) is not None


@_format("hostname")
def _is_hostname(text: str) -> bool:
    labels_fit = all(len(label) <= 63 for label in text.split("."))
    return len(text) <= 253 and labels_fit and _DNS_SUBDOMAIN.match(text.lower()) is not None


@_format("duration")
def _is_duration(text: str) -> bool:
    return _DURATION.match(text) is not None


@_format("mac")
def _is_mac(text: str) -> bool:
    return _MAC.match(text) is not None


@_format("uuid")
def _is_uuid(text: str) -> bool:
    return _UUID.match(text) is not None


_KubernetesValidator = jsonschema.validators.extend(
    Draft4Validator,
    {
        "pattern": _pattern,
        "x-kubernetes-int-or-string": _int_or_string,
        "x-kubernetes-list-type": _list_type,
        "x-kubernetes-validations": _cel_rules,
    },
)


# --- ObjectMeta -----------------------------------------------------------------------


def metadata_errors(metadata: Any, *, namespaced: bool = True) -> list[str]:
    """What the API server's ObjectMeta validation rejects in ``metadata``."""
    if not isinstance(metadata, dict):
        return ["metadata: must be an object"]
    errors = [
        f"metadata.{key}: unknown field" for key in sorted(set(metadata) - OBJECT_META_FIELDS)
    ]
    name = metadata.get("name")
    if not isinstance(name, str) or len(name) > 253 or not _DNS_SUBDOMAIN.match(name):
        errors.append(f"metadata.name: {name!r} is not a DNS-1123 subdomain")
    namespace = metadata.get("namespace")
    if namespace is not None and not namespaced:
        errors.append("metadata.namespace: the kind is cluster-scoped")
    if namespace is not None and (
        not isinstance(namespace, str) or not _DNS_LABEL.match(namespace)
    ):
        errors.append(f"metadata.namespace: {namespace!r} is not a DNS-1123 label")
    for key, value in (metadata.get("labels") or {}).items():
        if not _qualified_name(key):
            errors.append(f"metadata.labels: {key!r} is not a qualified name")
        if not isinstance(value, str) or len(value) > 63 or not _LABEL_VALUE.match(value):
            errors.append(f"metadata.labels.{key}: {value!r} is not a label value")
    for key, value in (metadata.get("annotations") or {}).items():
        if not _qualified_name(key.lower()):
            errors.append(f"metadata.annotations: {key!r} is not a qualified name")
        if not isinstance(value, str):
            errors.append(f"metadata.annotations.{key}: must be a string")
    return errors


def _qualified_name(key: str) -> bool:
    prefix, _, name = key.rpartition("/")
    if prefix and (len(prefix) > 253 or not _DNS_SUBDOMAIN.match(prefix)):
        return False
    return 0 < len(name) <= 63 and _LABEL_NAME.match(name) is not None


# --- the validator --------------------------------------------------------------------


class CrdValidator:
    """Validates objects of one CRD version against its structural schema."""

    def __init__(self, structural: Mapping[str, Any]) -> None:
        self._structural = structural
        properties = dict(structural.get("properties", {}))
        # The API server checks metadata as ObjectMeta (metadata_errors); a CRD schema may
        # only narrow name and generateName.
        narrowed = properties.get("metadata", {}).get("properties", {})
        properties["metadata"] = {
            "type": "object",
            "x-kubernetes-preserve-unknown-fields": True,
            "properties": {k: v for k, v in narrowed.items() if k in ("name", "generateName")},
        }
        properties["apiVersion"] = {"type": "string"}
        properties["kind"] = {"type": "string"}
        converted = to_json_schema({**structural, "properties": properties})
        self._validator = _KubernetesValidator(converted, format_checker=FORMATS)

    @classmethod
    def from_file(cls, path: Path) -> CrdValidator:
        return cls(json.loads(path.read_text(encoding="utf-8")))

    def errors(self, obj: Mapping[str, Any], *, namespaced: bool = True) -> list[str]:
        """Every reason the API server would refuse ``obj``, as ``path: message`` lines."""
        candidate = prune_nulls_and_default(self._structural, copy.deepcopy(dict(obj)))
        found = metadata_errors(candidate.get("metadata"), namespaced=namespaced)
        for error in sorted(self._validator.iter_errors(candidate), key=lambda e: e.json_path):
            found.append(f"{_dotted(error.absolute_path)}: {error.message}")
        return found


def fragment_errors(structural: Mapping[str, Any], value: Any, where: str) -> list[str]:
    """What the API server refuses in ``value`` at a field whose schema is ``structural``."""
    candidate = prune_nulls_and_default(structural, copy.deepcopy(value))
    checker = _KubernetesValidator(to_json_schema(structural), format_checker=FORMATS)
    found = []
    for error in sorted(checker.iter_errors(candidate), key=lambda e: e.json_path):
        rest = _dotted(error.absolute_path) if error.absolute_path else ""
        separator = "." if rest and not rest.startswith("[") else ""
        found.append(f"{where}{separator}{rest}: {error.message}")
    return found


def subschema(structural: Mapping[str, Any], dotted: str) -> Mapping[str, Any]:
    """The schema of the field at ``dotted`` (e.g. ``spec.storage``)."""
    node = structural
    for part in dotted.split("."):
        node = node["properties"][part]
    return node


def _dotted(path: Any) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(root)"


@cache
def validator(path: Path) -> CrdValidator:
    return CrdValidator.from_file(path)
