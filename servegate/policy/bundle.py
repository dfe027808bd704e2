"""The policy bundle: every Rego module, test and parameter file under ``policies/``.

Layout: ``<area>/<area>.rego`` (the package and its METADATA), one file per rule
``<area>/<id>_<slug>.rego`` (its METADATA, deny bodies and private helpers; see
``rule_files``) with its tests beside it in ``<id>_<slug>_test.rego``, the area's shared test
builders in ``<area>/<area>_test.rego``, helpers such as ``lib/inventory.rego`` and
``lib/<area>.rego``, the test kit ``lib/test_kit.rego``, and ``data/<stem>.yaml`` loaded as
``data.params.<stem>``. ``pack/`` (the CrossGuard pack) holds no Rego and is skipped.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from components import yaml_data
from servegate.findings import Rule
from servegate.policy import PolicyError
from servegate.policy.controls import CONTROLS_STEM, ControlCatalog, load_controls
from servegate.policy.metadata import LocatedRule, check_unique_ids, count_test_cases, parse_rules
from servegate.policy.rule_files import check_rule_file

TEST_SUFFIX = "_test.rego"
# Builders the tests share (lib/test_kit.rego, lib/pod_security_test_kit.rego): test modules,
# never handed to the gate (rego-cpp failed to evaluate the production bundle with one inside).
TEST_KIT_SUFFIX = "test_kit.rego"
DATA_DIR = "data"

_PACKAGE = re.compile(r"^package\s+([A-Za-z_][\w.]*)", re.MULTILINE)
# Built-ins whose result depends on the network or on chance, not on the plan and the
# policies. regorus answers http.send with "undefined" (no error), so a rule using it would
# quietly never fire; and a verdict must be reproducible from the plan and the bundle.
_NOT_HERMETIC = re.compile(
    r"(?<![\w.])(http\.send|net\.lookup_ip_addr|rand\.intn|uuid\.rfc4122)\s*\("
)


@dataclass(frozen=True)
class PolicyBundle:
    """What the engines evaluate and the reports cite."""

    root: Path
    # Relative path (POSIX) -> source, without tests.
    modules: dict[str, str]
    test_modules: dict[str, str]
    # {"params": {<data file stem>: <its YAML>}}
    data: dict[str, Any]
    rules: tuple[Rule, ...]
    # Packages that have deny rules, e.g. ("audit", "residency").
    packages: tuple[str, ...]
    # Over every .rego and data file: the report's policies_sha256.
    sha256: str
    # Framework controls per rule (policies/data/controls.yaml).
    controls: ControlCatalog

    @property
    def queries(self) -> list[str]:
        """The gate's entrypoints, one per package: ``data.<package>.deny``."""
        return [f"data.{package}.deny" for package in self.packages]

    @property
    def test_kits(self) -> dict[str, str]:
        """The shared test builders every test package loads."""
        return {p: s for p, s in self.test_modules.items() if p.endswith(TEST_KIT_SUFFIX)}

    def all_modules(self) -> dict[str, str]:
        """Modules and tests together (what the policy test runner loads)."""
        return {**self.modules, **self.test_modules}


def load_bundle(policies_dir: Path) -> PolicyBundle:
    """Read and check the bundle; PolicyError (one line, naming the file) when it is wrong."""
    if not policies_dir.is_dir():
        raise PolicyError(f"{policies_dir}: no policies directory here")
    rego_files = sorted(p for p in policies_dir.rglob("*.rego") if p.is_file())
    data_files = sorted(
        p for p in (policies_dir / DATA_DIR).glob("*") if p.suffix in {".yaml", ".yml"}
    )
    if not rego_files:
        raise PolicyError(f"{policies_dir}: no .rego files found")
    modules: dict[str, str] = {}
    tests: dict[str, str] = {}
    digest = hashlib.sha256()
    for path in sorted([*rego_files, *data_files], key=lambda p: _relative(policies_dir, p)):
        relative = _relative(policies_dir, path)
        raw = _read_bytes(path)
        digest.update(f"{relative}\0{len(raw)}\0".encode())
        digest.update(raw)
        if path.suffix == ".rego":
            source = _decode(path, raw)
            is_test = relative.endswith((TEST_SUFFIX, TEST_KIT_SUFFIX))
            (tests if is_test else modules)[relative] = source
    # controls.yaml maps rules to frameworks for the reports; no rule reads it, so it is
    # hashed with the bundle but not handed to the engines.
    loaded = {path.stem: _load_yaml(path) for path in data_files}
    control_table = loaded.pop(CONTROLS_STEM, None)
    data = {"params": loaded}
    located: list[LocatedRule] = []
    packages: set[str] = set()
    for relative, source in modules.items():
        _check_hermetic(f"{policies_dir.name}/{relative}", source)
        file_rules = parse_rules(f"{policies_dir.name}/{relative}", source)
        check_rule_file(f"{policies_dir.name}/{relative}", source, file_rules)
        located.extend(file_rules)
        if file_rules:
            packages.add(file_rules[0].rule.package)
    check_unique_ids(located)
    for item in located:
        _check_parameters(item, data["params"])
    controls = load_controls(control_table, {item.rule.id for item in located})
    mapped = [
        replace(item.rule, controls=tuple(str(ref) for ref in controls.by_rule[item.rule.id]))
        for item in located
    ]
    rules = count_test_cases(sorted(mapped, key=lambda r: r.id), tests)
    return PolicyBundle(
        root=policies_dir,
        modules={path: modules[path] for path in sorted(modules, key=_load_order)},
        test_modules={path: tests[path] for path in sorted(tests, key=_load_order)},
        data=data,
        rules=rules,
        packages=tuple(sorted(packages)),
        sha256=digest.hexdigest(),
        controls=controls,
    )


def packages_of_tests(bundle: PolicyBundle) -> dict[str, str]:
    """Test file -> its package name (the shared test kits hold no tests and are left out)."""
    packages: dict[str, str] = {}
    for relative, source in bundle.test_modules.items():
        if relative.endswith(TEST_KIT_SUFFIX):
            continue
        match = _PACKAGE.search(source)
        if match is None:
            raise PolicyError(f"{bundle.root.name}/{relative}: no package declaration")
        packages[relative] = match.group(1)
    return packages


def _check_hermetic(file: str, source: str) -> None:
    for number, line in enumerate(source.splitlines(), start=1):
        match = _NOT_HERMETIC.search(line.split("#", 1)[0])
        if match is not None:
            raise PolicyError(
                f"{file}:{number}: {match.group(1)} depends on the network or on chance, not "
                "on the plan and the policies; a gate rule may not call it"
            )


def _check_parameters(item: LocatedRule, params: dict[str, Any]) -> None:
    for key in item.rule.parameters:
        node: Any = params
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                raise PolicyError(
                    f"{item.file}:{item.line}: custom.parameters of {item.rule.id} names "
                    f"{key!r}, which policies/{DATA_DIR}/ does not define "
                    f"(write <file stem>.<key>, e.g. zones.zones)"
                )
            node = node[part]


def _load_order(relative: str) -> tuple[str, bool, str]:
    """An area's own file (``security/security.rego``, ``security/security_test.rego``) before
    its one-rule files (``security/sec_012_*.rego`` and their tests).

    regorus 0.13 gets a package wrong when another of its files is loaded before the one
    with its imports: path-imported helper rules (``import data.lib.inventory.sse_kms_buckets``)
    are evaluated against the real input instead of a test's ``with input.*`` overrides, and
    some tests of the package come out undefined.
    """
    folder, _, name = relative.rpartition("/")
    return (folder, name not in {f"{folder}.rego", f"{folder}{TEST_SUFFIX}"}, name)


def _relative(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read ({exc.strerror})") from None


def _decode(path: Path, raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PolicyError(f"{path}: not UTF-8 text (byte {exc.start})") from None


def _load_yaml(path: Path) -> Any:
    try:
        return yaml_data.safe_load(_decode(path, _read_bytes(path)))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise PolicyError(f"{where}: not valid YAML: {problem}") from None
