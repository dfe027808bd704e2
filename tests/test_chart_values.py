"""Every Helm value a stack sets is a key of that chart's values.yaml at the pinned version.

Helm ignores a key no template reads, so a misspelt or renamed value silently does nothing
(a mirror registry not used, a selector not applied). The chart's own values.yaml, vendored
at the pinned version under tests/vendor/charts, is the list of keys it reads; a value under
a subchart's name is checked against that subchart's values.yaml too.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from servegate.k8s_manifests import HELM_RELEASE
from tests import stacks
from tests.crd_validation import fragment_errors, schema_path, subschema

VENDORED = Path(__file__).resolve().parent / "vendor" / "charts"
STACKS = stacks.SHIPPED

# Free-form maps: what is under them is copied into a Kubernetes field (or a config file) as
# is, so it has no keys of its own in values.yaml. A name matches that key in any chart;
# "chart:dotted.path" matches one place of one chart.
FREE_FORM = (
    "labels",
    "annotations",
    "podAnnotations",
    "podLabels",
    "commonLabels",  # kube-prometheus-stack: labels on every object
    "additionalLabels",  # keda: labels on every object
    "nodeSelector",
    "tolerations",
    "affinity",
    "resources",
    "extraArgs",
    "extraEnv",  # cluster-autoscaler: environment variable names
    "securityContext",
    "podSecurityContext",
    # The Collector's whole configuration (receivers, processors, exporters, pipelines), which
    # the chart writes verbatim as its config file (templates/_config.tpl at 0.170.0); its keys
    # are the Collector components', checked by tests/test_payload_redaction.py.
    "opentelemetry-collector:alternateConfig",
)
# A value that is a whole configuration file of the application (Envoy Gateway's chart writes
# config.envoyGateway verbatim as its EnvoyGateway configuration, which it decodes without
# refusing unknown keys) is checked against that file's API reference instead: a vendored
# "<values path>.json" beside the chart's values.yaml (python -m tests.vendor.vendor api-doc).

# Values a chart copies into a field of a custom resource it renders: checked against that
# field's schema in the CRD the same chart version installs (tests/vendor/crds).
COPIED_INTO_CRD = {
    "kube-prometheus-stack:prometheus.prometheusSpec.storageSpec": (
        "monitoring.coreos.com/v1",
        "Prometheus",
        "spec.storage",
    ),
}

# Keys a chart's values.yaml documents only as a comment (its templates read them, no
# default is set). Accepted only where the vendored values.yaml does have that comment.
COMMENTED_OUT = (
    # grafana's templates/_config.tpl reads .Values.adminPassword; values.yaml has
    # "# adminPassword: strongpassword" (kube-prometheus-stack 88.x dropped its default).
    "kube-prometheus-stack:grafana.adminPassword",
)


@cache
def _provenance() -> dict[str, dict[str, Any]]:
    rows = yaml.safe_load((VENDORED / "PROVENANCE.yaml").read_text(encoding="utf-8"))
    return {row["file"]: row for row in rows}


@cache
def values_text(chart: str, version: str) -> str:
    """The raw values.yaml of the chart and of its vendored subcharts."""
    texts = [(VENDORED / chart / version / "values.yaml").read_text(encoding="utf-8")]
    for subchart, pin in _provenance()[f"{chart}/{version}/values.yaml"]["subcharts"].items():
        texts += [p.read_text(encoding="utf-8") for p in _subchart_files(subchart, pin)]
    return "\n".join(texts)


def _subchart_files(subchart: str, pin: str) -> list[Path]:
    return [
        p / "values.yaml" for p in (VENDORED / subchart).glob("*") if fnmatch.fnmatch(p.name, pin)
    ]


def _commented_out(chart: str, version: str, path: str) -> bool:
    if f"{chart}:{path}" not in COMMENTED_OUT:
        return False
    key = re.escape(path.rsplit(".", 1)[-1])
    return re.search(rf"^\s*#\s*{key}:", values_text(chart, version), re.MULTILINE) is not None


@cache
def chart_values(chart: str, version: str) -> dict[str, Any] | None:
    """The chart's values.yaml at ``version``, with its subcharts' under their names."""
    path = VENDORED / chart / version / "values.yaml"
    if not path.exists():
        return None
    values: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    row = _provenance()[f"{chart}/{version}/values.yaml"]
    for subchart, pin in row["subcharts"].items():
        vendored = sorted(
            (path.parent.name for path in _subchart_files(subchart, pin)),
            key=lambda v: [int(x) if x.isdigit() else 0 for x in v.split(".")],
        )
        if not vendored:
            continue
        sub = chart_values(subchart, vendored[-1]) or {}
        values[subchart] = _merged(sub, values.get(subchart) or {})
        values["global"] = _merged(sub.get("global") or {}, values.get("global") or {})
    return values


def _merged(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merged(merged[key], value)
        else:
            merged[key] = value
    return merged


def _free_form(chart: str, path: str) -> bool:
    named = f"{chart}:{path}"
    return path.rsplit(".", 1)[-1] in FREE_FORM or named in FREE_FORM or named in COPIED_INTO_CRD


@cache
def api_docs(chart: str, version: str) -> dict[str, dict[str, Any]]:
    """Values path -> vendored API reference of the configuration file it holds."""
    return {
        row["appliesTo"]: json.loads((VENDORED / name).read_text(encoding="utf-8"))
        for name, row in _provenance().items()
        if "appliesTo" in row and (row["chart"], row["chartVersion"]) == (chart, version)
    }


_SCALAR_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "boolean": (bool,),
    "integer": (int,),
    "float": (int, float),
}


def api_errors(types: dict[str, Any], spec: dict[str, Any], value: Any, where: str) -> list[str]:
    """What of ``value`` its configuration type (``spec``, see tests/vendor/vendor.py) lacks."""
    if "list" in spec:
        if not isinstance(value, list):
            return [f"{where}: must be a list"]
        return [
            e
            for i, item in enumerate(value)
            for e in api_errors(types, spec["list"], item, f"{where}[{i}]")
        ]
    if "map" in spec:
        if not isinstance(value, dict):
            return [f"{where}: must be a map"]
        return [
            e
            for k, item in value.items()
            for e in api_errors(types, spec["map"], item, f"{where}.{k}")
        ]
    if "scalar" in spec:
        expected = _SCALAR_TYPES[spec["scalar"]]
        ok = isinstance(value, expected) and (bool in expected or not isinstance(value, bool))
        return [] if ok else [f"{where}: must be a {spec['scalar']}"]
    if "ref" not in spec:
        return []  # documented elsewhere (a Kubernetes or Gateway API type)
    kind = types.get(spec["ref"], {})
    if "fields" in kind:
        if not isinstance(value, dict):
            return [f"{where}: must be a map ({spec['ref']})"]
        problems = []
        for key, item in value.items():
            if key not in kind["fields"]:
                problems.append(f"{where}.{key} is not a field of {spec['ref']}")
            else:
                problems += api_errors(types, kind["fields"][key], item, f"{where}.{key}")
        return problems
    allowed = kind.get("enum") or []
    if allowed and value not in allowed:
        return [f"{where}: {value!r} is not one of {spec['ref']} {allowed}"]
    return []


def api_doc_errors(chart: str, version: str, values: dict[str, Any]) -> list[str]:
    problems = []
    for path, doc in api_docs(chart, version).items():
        value = _at(values, path)
        if value is not None:
            found = api_errors(doc["types"], {"ref": doc["root"]}, value, path)
            problems += [f"{chart} {version}: {problem}" for problem in found]
    return problems


def unknown_keys(chart: str, version: str, values: Any, defaults: Any, path: str = "") -> list[str]:
    """Every key path of ``values`` that the chart's values.yaml does not have."""
    problems: list[str] = []
    if not isinstance(values, dict):
        return problems
    for key, value in values.items():
        where = f"{path}.{key}" if path else str(key)
        if _free_form(chart, where) or where in api_docs(chart, version):
            continue
        if not isinstance(defaults, dict) or key not in defaults:
            if _commented_out(chart, version, where):
                continue
            problems.append(f"{chart} {version}: {where} is not a key of the chart's values.yaml")
            continue
        default = defaults[key]
        if isinstance(value, dict) and default is not None and not isinstance(default, dict):
            kind = type(default).__name__
            problems.append(f"{chart} {version}: {where} is a {kind} in values.yaml, not a map")
        elif isinstance(default, dict) and value is not None and not isinstance(value, dict):
            problems.append(f"{chart} {version}: {where} is a map in values.yaml")
        else:
            problems.extend(unknown_keys(chart, version, value, default, where))
    return problems


def releases(stack: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(chart, version, values) of every Helm release of the stack."""
    inventory = stacks.inventory(stack)
    found = []
    for index in inventory["by_type"].get(HELM_RELEASE, []):
        props = inventory["resources"][index]["props"]
        chart = str(props["chart"]).rstrip("/").rsplit("/", 1)[-1]
        found.append((chart, str(props["version"]), props.get("values") or {}))
    return found


@pytest.mark.parametrize("stack", STACKS)
def test_every_helm_value_a_stack_sets_exists_in_the_charts_values(stack: str) -> None:
    problems = []
    for chart, version, values in releases(stack):
        defaults = chart_values(chart, version)
        if defaults is None:
            problems.append(
                f"{chart} {version}: no vendored values.yaml (python -m tests.vendor.vendor values)"
            )
            continue
        problems.extend(unknown_keys(chart, version, values, defaults))
        problems.extend(api_doc_errors(chart, version, values))
    assert problems == []


def _at(values: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(values, dict) or part not in values:
            return None
        values = values[part]
    return values


def copied_into_crd_errors(chart: str, version: str, values: dict[str, Any]) -> list[str]:
    problems = []
    for named, (api_version, kind, field) in COPIED_INTO_CRD.items():
        owner, _, path = named.partition(":")
        value = _at(values, path)
        if owner != chart or value is None:
            continue
        schema = schema_path(api_version, kind, chart, version)
        if not schema.exists():
            problems.append(f"{chart} {version}: {path}: no vendored {kind} schema to check it")
            continue
        structural = subschema(json.loads(schema.read_text(encoding="utf-8")), field)
        problems += [
            f"{chart} {version}: {path} ({kind} {e})"
            for e in fragment_errors(structural, value, field)
        ]
    return problems


@pytest.mark.parametrize("stack", STACKS)
def test_values_copied_into_a_custom_resource_validate_against_its_crd(stack: str) -> None:
    problems = []
    for chart, version, values in releases(stack):
        problems += copied_into_crd_errors(chart, version, values)
    assert problems == []


def test_a_bad_value_copied_into_a_custom_resource_is_caught() -> None:
    chart, version, values = next(r for r in releases("prod-ca") if r[0] == "kube-prometheus-stack")
    assert _at(values, "prometheus.prometheusSpec.storageSpec.volumeClaimTemplate.spec")
    broken = json.loads(json.dumps(values))
    claim = broken["prometheus"]["prometheusSpec"]["storageSpec"]["volumeClaimTemplate"]
    claim["spec"]["acessModes"] = ["ReadWriteOnce"]
    (problem,) = copied_into_crd_errors(chart, version, broken)
    assert problem.startswith(f"kube-prometheus-stack {version}: prometheus.prometheusSpec.")
    assert "spec.storage.volumeClaimTemplate.spec" in problem and "acessModes" in problem


def test_a_misspelt_key_or_bad_enum_in_a_configuration_file_value_is_caught() -> None:
    chart, version, values = next(r for r in releases("prod-ca") if r[0] == "gateway-helm")
    assert api_docs(chart, version), "the EnvoyGateway API reference is vendored"
    assert api_doc_errors(chart, version, values) == []
    broken = json.loads(json.dumps(values))
    config = broken["config"]["envoyGateway"]
    config["extensionManager"]["hoks"] = config["extensionManager"].pop("hooks")
    config["logging"]["level"]["default"] = "verbose"
    log_levels = api_docs(chart, version)["config.envoyGateway"]["types"]["LogLevel"]["enum"]
    assert "info" in log_levels and "verbose" not in log_levels
    config["rateLimit"]["backend"]["redis"]["url"] = 6379
    prefix = f"gateway-helm {version}: config.envoyGateway."
    assert sorted(api_doc_errors(chart, version, broken)) == [
        prefix + "extensionManager.hoks is not a field of ExtensionManager",
        prefix + "logging.level.default: 'verbose' is not one of LogLevel " + repr(log_levels),
        prefix + "rateLimit.backend.redis.url: must be a string",
    ]


def test_every_chart_of_every_stack_has_its_values_vendored() -> None:
    charts = {(chart, version) for stack in STACKS for chart, version, _ in releases(stack)}
    assert {"kube-prometheus-stack", "keda", "gateway-helm"} <= {c for c, _ in charts}
    missing = [f"{c} {v}" for c, v in sorted(charts) if chart_values(c, v) is None]
    assert missing == []


def test_vendored_values_have_one_provenance_row_each_and_are_unchanged() -> None:
    files = {
        p.relative_to(VENDORED).as_posix()
        for p in VENDORED.rglob("*")
        if p.is_file() and p.name != "PROVENANCE.yaml"
    }
    assert files == set(_provenance())
    for name, row in _provenance().items():
        described = f"{row['appliesTo']}.json" if "appliesTo" in row else "values.yaml"
        assert name == f"{row['chart']}/{row['chartVersion']}/{described}"
        assert {"repo", "tag", "commit", "path", "read", "sha256"} <= set(row)
        assert "subcharts" in row or "root" in row
        digest = hashlib.sha256((VENDORED / name).read_bytes()).hexdigest()
        assert digest == row["sha256"], f"{name} differs from what was read at {row['tag']}"


DEFAULTS = {
    "image": {"repository": "x", "tag": ""},
    "nodeSelector": {},
    "serviceMonitor": {"enabled": False},
    "args": [],
    "empty": {},
}


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({"image": {"repo": "y"}}, "image.repo is not a key"),
        ({"imagee": {}}, "imagee is not a key"),
        ({"serviceMonitor": {"enabled": True, "interval": "15s"}}, "serviceMonitor.interval"),
        ({"empty": {"anything": 1}}, "empty.anything is not a key"),
        ({"image": "x:1"}, "image is a map in values.yaml"),
        ({"args": {"key": "a"}}, "args is a list in values.yaml, not a map"),
    ],
)
def test_a_key_the_chart_does_not_have_is_named_with_chart_and_version(
    values: dict[str, Any], problem: str
) -> None:
    found = unknown_keys("some-chart", "1.2.3", values, DEFAULTS)
    assert len(found) == 1 and found[0].startswith("some-chart 1.2.3: ")
    assert problem in found[0]


def test_free_form_maps_accept_any_key() -> None:
    values = {"nodeSelector": {"servegate.io/role": "gpu"}, "image": {"repository": "r"}}
    assert unknown_keys("some-chart", "1.2.3", values, DEFAULTS) == []


def test_a_misspelt_value_of_a_shipped_stack_fails_with_chart_version_and_path() -> None:
    chart, version, values = next(r for r in releases("prod-ca") if r[0] == "keda")
    misspelt = {**values, "image": {**values["image"], "keda": {"registy": "r"}}}
    assert unknown_keys(chart, version, misspelt, chart_values(chart, version)) == [
        f"keda {version}: image.keda.registy is not a key of the chart's values.yaml"
    ]
    chart, version, values = next(r for r in releases("prod-ca") if r[0] == "kube-prometheus-stack")
    subchart = {**values, "grafana": {**values["grafana"], "adminPasswd": ""}}
    (problem,) = unknown_keys(chart, version, subchart, chart_values(chart, version))
    assert problem.startswith(f"kube-prometheus-stack {version}: grafana.adminPasswd is not a key")


def test_every_vendored_values_file_is_of_a_chart_version_some_stack_pins() -> None:
    pinned = {(chart, version) for stack in STACKS for chart, version, _ in releases(stack)}
    for chart, version in list(pinned):
        row = _provenance()[f"{chart}/{version}/values.yaml"]
        pinned |= {
            (sub, p.parent.name)
            for sub, pin in row["subcharts"].items()
            for p in _subchart_files(sub, pin)
        }
    vendored = {(p.parent.name, p.name) for p in VENDORED.glob("*/*") if p.is_dir()}
    stale = sorted(vendored - pinned)
    assert stale == [], "retire them: git rm -r tests/vendor/charts/<chart>/<version>; vendor tidy"
