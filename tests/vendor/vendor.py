"""Vendor CRD schemas and Helm chart values from a release tag of their upstream repository.

    python -m tests.vendor.vendor crds REPO TAG PATH [PATH ...] --chart C --chart-version V
        [--kinds K1,K2] [--git-dir DIR]
    python -m tests.vendor.vendor values REPO TAG PATH --chart C --chart-version V
        [--git-dir DIR]
    python -m tests.vendor.vendor api-doc REPO TAG PATH --chart C --chart-version V
        --root TYPE --applies-to VALUES.PATH [--git-dir DIR]
    python -m tests.vendor.vendor verify
        (re-reads every provenance row at its commit; exit 1 if a vendored file differs)
    python -m tests.vendor.vendor tidy
        (drops the rows of files deleted, e.g. after `git rm -r crds/<chart>/<old version>`)

REPO is ``owner/name`` on GitHub; its git directory (a clone with the release tags, bare or
not) defaults to ``$SERVEGATE_MIRRORS/owner+name/repo`` (``/work/.mirror`` when unset),
else pass ``--git-dir``. PATH is a file at
TAG, or a folder ending in ``/`` for every YAML file in it (a CRD file may hold several
CRDs, and Helm template lines are dropped). Every served
version of each CRD whose kind is in ``--kinds`` (all kinds if omitted) is written as
``crds/<chart>/<chart version>/<group>/<kind>-<version>.json``: its ``openAPIV3Schema``
without descriptions, which never change what validates. Values go to
``charts/<chart>/<chart version>/values.yaml`` byte for byte. Each file gets one row in
its PROVENANCE.yaml: the repository, tag, commit, path, the chart (and version) that
installs it, the date it was read and the file's sha256 (a CRD's row also has its scope;
a chart's row the versions of the subcharts its Chart.yaml or Chart.lock pins).

``api-doc`` is for a chart value that is a whole configuration file of the application,
not chart values (Envoy Gateway's ``config.envoyGateway``): the types of its generated API
reference (crd-ref-docs Markdown: ``#### Type`` sections with field or value tables) become
``charts/<chart>/<chart version>/<values path>.json``, ``{"root", "types"}``, each type
``{"fields": {name: T}}`` or ``{"enum": [...]}`` with T one of ``{"ref": type}``,
``{"list": T}``, ``{"map": T}``, ``{"scalar": "string"|"boolean"|"integer"|"float"}`` or
``{"opaque": name}`` (a type documented elsewhere, not checked).
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

VENDOR = Path(__file__).resolve().parent
CRDS = VENDOR / "crds"
CHARTS = VENDOR / "charts"
PROVENANCE = "PROVENANCE.yaml"
_MIRROR = Path(os.environ.get("SERVEGATE_MIRRORS", "/work/.mirror"))
_TEMPLATE_LINE = re.compile(r"^\s*\{\{.*\}\}\s*$")
_TEMPLATE_EXPR = re.compile(r"\{\{.*?\}\}")

HEADERS = {
    CRDS: (
        "# One row per vendored CRD schema (<chart>/<chart version>/<group>/<kind>-<version>\n"
        "# .json): the chart release installing the CRD, where it was read (repository, tag,\n"
        "# commit, path at that tag), the CRD's scope, the date read and the sha256 of the\n"
        "# vendored file. Descriptions are removed; the rest is the CRD's openAPIV3Schema for\n"
        "# that served version.\n"
        "# Regenerate or add a kind: python -m tests.vendor.vendor crds --help\n"
    ),
    CHARTS: (
        "# One row per vendored chart values file (<chart>/<chart version>/values.yaml), byte\n"
        "# for byte from the chart's repository at its release tag, with the subchart versions\n"
        "# the chart pins (values under a subchart's name are that subchart's).\n"
        "# Regenerate or add a chart: python -m tests.vendor.vendor values --help\n"
    ),
}


def git_show(git_dir: Path, tag: str, path: str) -> str:
    return subprocess.run(
        ["git", "--git-dir", str(git_dir), "show", f"{tag}:{path}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def commit_of(git_dir: Path, tag: str) -> str:
    return subprocess.run(
        ["git", "--git-dir", str(git_dir), "rev-parse", f"{tag}^{{commit}}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def files_at(git_dir: Path, tag: str, path: str) -> list[str]:
    """``path``, or every YAML file of the folder ``path/``."""
    if not path.endswith("/"):
        return [path]
    listing = subprocess.run(
        ["git", "--git-dir", str(git_dir), "ls-tree", "-r", "--name-only", tag, path],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return [name for name in listing if name.endswith((".yaml", ".yml"))]


def without_descriptions(node: Any) -> Any:
    """The schema minus ``description`` keys (a property *named* description is kept)."""
    if isinstance(node, dict):
        return {
            key: (
                {name: without_descriptions(sub) for name, sub in value.items()}
                if key == "properties"
                else without_descriptions(value)
            )
            for key, value in node.items()
            if key != "description"
        }
    if isinstance(node, list):
        return [without_descriptions(item) for item in node]
    return node


class _Loader(yaml.SafeLoader):
    """PyYAML reads a bare ``=`` as YAML 1.1's value key; in a CRD it is just a string."""


_Loader.add_constructor("tag:yaml.org,2002:value", yaml.SafeLoader.construct_yaml_str)  # type: ignore[type-var]


def crd_documents(text: str) -> list[dict[str, Any]]:
    """The CRDs of a YAML file, with Helm template lines and expressions taken out."""
    lines = [line for line in text.splitlines() if not _TEMPLATE_LINE.match(line)]
    cleaned = _TEMPLATE_EXPR.sub("templated", "\n".join(lines))
    return [
        doc
        for doc in yaml.load_all(cleaned, Loader=_Loader)  # noqa: S506 (a safe loader)
        if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition"
    ]


def schema_text(version: dict[str, Any]) -> str:
    """The vendored form of one served version's schema."""
    schema = without_descriptions(version["schema"]["openAPIV3Schema"])
    return json.dumps(schema, indent=1, sort_keys=True) + "\n"


def upstream_text(row: dict[str, Any], git_dir: Path) -> str | None:
    """What the row's file would hold if read again at the row's commit."""
    text = git_show(git_dir, row["commit"], row["path"])
    if "appliesTo" in row:
        return api_doc_text(text, row["root"])
    if not row["file"].endswith(".json"):
        return text
    *_, group, name = row["file"].split("/")
    kind, _, version = name.removesuffix(".json").rpartition("-")
    for crd in crd_documents(text):
        if crd["spec"]["group"] == group and crd["spec"]["names"]["kind"] == kind:
            for served in crd["spec"]["versions"]:
                if served["name"] == version:
                    return schema_text(served)
    return None


_FIELD_ROW = re.compile(r"^\| `([^`]+)` \| _(.+?)_ \|")
_VALUE_ROW = re.compile(r"^\| `([^`]+)` \|(?! _)")
_REF = re.compile(r"^\[([A-Za-z0-9]+)\]\((#?)[^)]*\)$")
_MAP = re.compile(r"^object \(keys:(.+?), values:(.+)\)$")
_SCALARS = ("string", "boolean", "integer", "float")


def api_type(text: str) -> dict[str, Any]:
    """One field type of a crd-ref-docs table, e.g. ``[Foo](#foo) array``."""
    text = text.strip()
    if text.endswith(" array"):
        return {"list": api_type(text.removesuffix(" array"))}
    if match := _MAP.match(text):
        return {"map": api_type(match[2])}
    if match := _REF.match(text):
        return {"ref": match[1]} if match[2] else {"opaque": match[1]}
    if text in _SCALARS:
        return {"scalar": text}
    return {"opaque": text}


def api_doc_types(markdown: str) -> dict[str, dict[str, Any]]:
    """Every ``#### Type`` section of a crd-ref-docs page: its fields, or its enum values."""
    types: dict[str, dict[str, Any]] = {}
    for section in re.split(r"^#### ", markdown, flags=re.MULTILINE)[1:]:
        name, _, body = section.partition("\n")
        fields: dict[str, Any] = {}
        values: list[str] = []
        for line in body.splitlines():
            if match := _FIELD_ROW.match(line):
                fields[match[1]] = api_type(match[2])
            elif match := _VALUE_ROW.match(line):
                values.append(match[1])
        types[name.strip()] = {"fields": fields} if fields else {"enum": values}
    return types


def api_doc_text(markdown: str, root: str) -> str:
    types = api_doc_types(markdown)
    if root not in types:
        raise SystemExit(f"no type {root} in the API reference")
    return json.dumps({"root": root, "types": types}, indent=1, sort_keys=True) + "\n"


def vendor_api_doc(args: argparse.Namespace) -> list[Path]:
    (path,) = args.paths
    target = CHARTS / args.chart / args.chart_version / f"{args.applies_to}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(api_doc_text(git_show(args.git_dir, args.tag, path), args.root))
    row = {"file": target.relative_to(CHARTS).as_posix(), **_source(args, path)}
    extra = {"appliesTo": args.applies_to, "root": args.root}
    upsert(CHARTS, {**row, **extra, "sha256": sha256(target)})
    return [target]


def verify() -> int:
    """Re-read every vendored file at its recorded commit; the number that differ."""
    differing = 0
    for folder in (CRDS, CHARTS):
        for row in load_rows(folder):
            git_dir = _MIRROR / row["repo"].replace("/", "+") / "repo"
            expected = upstream_text(row, git_dir)
            actual = (folder / row["file"]).read_text(encoding="utf-8")
            if expected != actual or sha256(folder / row["file"]) != row["sha256"]:
                differing += 1
                print(f"differs from {row['repo']} {row['tag']}: {folder.name}/{row['file']}")
    return differing


def load_rows(folder: Path) -> list[dict[str, Any]]:
    path = folder / PROVENANCE
    if not path.exists():
        return []
    return list(yaml.safe_load(path.read_text(encoding="utf-8")) or [])


def save_rows(folder: Path, rows: list[dict[str, Any]]) -> None:
    rows = sorted(rows, key=lambda row: str(row["file"]))
    body = "".join(
        "- " + yaml.safe_dump(row, default_flow_style=True, sort_keys=False, width=10_000)
        for row in rows
    )
    (folder / PROVENANCE).write_text(HEADERS[folder] + body, encoding="utf-8")


def upsert(folder: Path, row: dict[str, Any]) -> None:
    rows = [r for r in load_rows(folder) if r["file"] != row["file"]]
    save_rows(folder, [*rows, row])


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _source(args: argparse.Namespace, path: str) -> dict[str, Any]:
    return {
        "chart": args.chart,
        "chartVersion": args.chart_version,
        "repo": args.repo,
        "tag": args.tag,
        "commit": commit_of(args.git_dir, args.tag),
        "path": path,
        "read": datetime.datetime.now(datetime.UTC).date().isoformat(),
    }


def vendor_crds(args: argparse.Namespace) -> list[Path]:
    kinds = set(args.kinds.split(",")) if args.kinds else None
    written, found = [], set()
    paths = [f for path in args.paths for f in files_at(args.git_dir, args.tag, path)]
    for path in paths:
        for crd in crd_documents(git_show(args.git_dir, args.tag, path)):
            spec = crd["spec"]
            kind = spec["names"]["kind"]
            if kinds is not None and kind not in kinds:
                continue
            found.add(kind)
            for version in spec["versions"]:
                if not version.get("served", False):
                    continue
                folder = CRDS / args.chart / args.chart_version / spec["group"]
                target = folder / f"{kind}-{version['name']}.json"
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(schema_text(version), encoding="utf-8")
                row = {"file": target.relative_to(CRDS).as_posix(), **_source(args, path)}
                upsert(CRDS, {**row, "scope": spec["scope"], "sha256": sha256(target)})
                written.append(target)
    for kind in sorted((kinds or set()) - found):
        print(f"note: no {kind} CRD at {args.repo} {args.tag}")
    return written


def vendor_values(args: argparse.Namespace) -> list[Path]:
    (path,) = args.paths
    target = CHARTS / args.chart / args.chart_version / "values.yaml"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(git_show(args.git_dir, args.tag, path), encoding="utf-8")
    row = {"file": target.relative_to(CHARTS).as_posix(), **_source(args, path)}
    subcharts = subchart_versions(args.git_dir, args.tag, str(Path(path).parent))
    upsert(CHARTS, {**row, "subcharts": subcharts, "sha256": sha256(target)})
    return [target]


def subchart_versions(git_dir: Path, tag: str, chart_dir: str) -> dict[str, str]:
    """Subchart name (or alias) -> version: Chart.lock's resolved ones over Chart.yaml's."""
    found: dict[str, str] = {}
    for name in ("Chart.yaml", "Chart.lock"):
        try:
            text = git_show(git_dir, tag, f"{chart_dir}/{name}")
        except subprocess.CalledProcessError:
            continue
        for dependency in (yaml.safe_load(text) or {}).get("dependencies") or []:
            found[dependency.get("alias") or dependency["name"]] = str(dependency["version"])
    return found


def tidy() -> None:
    for folder in (CRDS, CHARTS):
        rows = load_rows(folder)
        kept = [row for row in rows if (folder / row["file"]).exists()]
        save_rows(folder, kept)
        print(f"{folder.name}: {len(rows) - len(kept)} rows of deleted files dropped")


def main(argv: list[str] | None = None) -> None:
    command = (argv if argv is not None else sys.argv[1:])[:1]
    if command == ["verify"]:
        failed = verify()
        print(f"{failed} vendored files differ from upstream" if failed else "all match upstream")
        raise SystemExit(1 if failed else 0)
    if command == ["tidy"]:
        tidy()
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("what", choices=("crds", "values", "api-doc"))
    parser.add_argument("repo", help="owner/name")
    parser.add_argument("tag")
    parser.add_argument("paths", nargs="+", metavar="PATH")
    parser.add_argument("--chart", required=True, help="the Helm chart that installs it")
    parser.add_argument("--chart-version", required=True)
    parser.add_argument("--kinds", help="comma-separated CRD kinds to keep (default: all)")
    parser.add_argument("--root", help="api-doc: the configuration's type")
    parser.add_argument("--applies-to", help="api-doc: the values path it describes")
    parser.add_argument("--git-dir", type=Path)
    args = parser.parse_args(argv)
    if args.git_dir is None:
        args.git_dir = _MIRROR / args.repo.replace("/", "+") / "repo"
    vendor = {"crds": vendor_crds, "values": vendor_values, "api-doc": vendor_api_doc}
    written = vendor[args.what](args)
    for path in written:
        print(path.relative_to(VENDOR))


if __name__ == "__main__":
    main()
