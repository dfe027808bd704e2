"""A peer cross-check: Checkov (kubernetes framework), run as a reviewer would run it, on the
rendered manifests of every shipped stack.

Every check Checkov fails must be a design choice listed in policies/data/peer_exceptions.yaml
with its justification; a new failure fails the test, and so does an exception that no longer
matches any failure (stale). Checkov runs from its own virtualenv, pinned in tasks.py (TOOLS):
beside the Pulumi SDK pip would resolve it to a 2024 release.
"""

from __future__ import annotations

import fnmatch
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from components import catalog
from servegate.k8s_manifests import manifests
from tasks import TOOLS
from tests import stacks
from tests.tooling import require_python_tool

EXCEPTIONS_FILE = catalog.PROJECT_ROOT / "policies" / "data" / "peer_exceptions.yaml"
_EXCEPTION_KEYS = {"check", "resource", "justification"}
_OPTIONAL_KEYS = {"stacks"}


@dataclass(frozen=True)
class Failure:
    check: str
    resource: str
    name: str
    file: str

    def __str__(self) -> str:
        return f"{self.check} {self.resource} ({self.name}; {self.file})"


@dataclass(frozen=True)
class PeerException:
    check: str
    resource: str
    justification: str
    stacks: tuple[str, ...] = ()
    """The stacks it holds for (all when empty), e.g. a choice only non-sovereign stacks make."""

    def covers(self, failure: Failure, stack: str) -> bool:
        return (
            failure.check == self.check
            and fnmatch.fnmatchcase(failure.resource, self.resource)
            and (not self.stacks or stack in self.stacks)
        )


def load_exceptions(path: Path = EXCEPTIONS_FILE) -> list[PeerException]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    entries = document.get("exceptions") if isinstance(document, dict) else None
    assert isinstance(entries, list), f"{path.name}: needs a list under 'exceptions'"
    found = []
    for index, entry in enumerate(entries):
        where = f"{path.name}: exceptions[{index}]"
        assert isinstance(entry, dict) and set(entry) >= _EXCEPTION_KEYS, (
            f"{where} needs the keys {sorted(_EXCEPTION_KEYS)}"
        )
        assert set(entry) <= _EXCEPTION_KEYS | _OPTIONAL_KEYS, (
            f"{where}: unknown keys {sorted(set(entry) - _EXCEPTION_KEYS - _OPTIONAL_KEYS)}"
        )
        assert all(isinstance(entry[key], str) and entry[key].strip() for key in _EXCEPTION_KEYS), (
            f"{where}: every value is non-empty text"
        )
        listed = entry.get("stacks", [])
        assert isinstance(listed, list) and all(s in stacks.SHIPPED for s in listed), (
            f"{where}: stacks must list shipped stacks"
        )
        assert "\n" not in entry["justification"].strip(), f"{where}: justification is one line"
        found.append(
            PeerException(entry["check"], entry["resource"], entry["justification"], tuple(listed))
        )
    return found


def write_manifests(stack: str, out_dir: Path) -> int:
    """One YAML file per Kubernetes object, as `servegate render` writes them."""
    objects = manifests(stacks.inventory(stack))
    for index, manifest in enumerate(objects):
        path = out_dir / f"{index:03d}-{manifest.kind.lower()}-{manifest.name}.yaml"
        path.write_text(yaml.safe_dump(manifest.body, sort_keys=False), encoding="utf-8")
    return len(objects)


@dataclass(frozen=True)
class Scan:
    version: str
    resources: int
    parsing_errors: int
    failures: tuple[Failure, ...]


def parse_report(stdout: str) -> Scan:
    """Checkov's JSON report: one object per framework (a list when several ran)."""
    report: Any = json.loads(stdout)
    reports = report if isinstance(report, list) else [report]
    kubernetes = [r for r in reports if r.get("check_type") == "kubernetes"]
    assert len(kubernetes) == 1, f"expected one kubernetes report, got {len(kubernetes)}"
    summary, results = kubernetes[0]["summary"], kubernetes[0]["results"]
    failures = tuple(
        sorted(
            {
                Failure(c["check_id"], c["resource"], c["check_name"], Path(c["file_path"]).name)
                for c in results["failed_checks"]
            },
            key=str,
        )
    )
    return Scan(
        version=str(summary["checkov_version"]),
        resources=int(summary["resource_count"]),
        parsing_errors=int(summary["parsing_errors"]),
        failures=failures,
    )


def scan(stack: str, checkov: Path, out_dir: Path) -> tuple[Scan, int]:
    objects = write_manifests(stack, out_dir)
    # --skip-download: no Prisma Cloud calls (guidelines, severities); the machine is offline
    # and the result must not depend on a service.
    completed = subprocess.run(
        [
            str(checkov),
            "--directory",
            str(out_dir),
            "--framework",
            "kubernetes",
            "--output",
            "json",
            "--skip-download",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    # Exit 1 means "some check failed"; anything else is Checkov not running.
    assert completed.returncode in (0, 1), completed.stderr[-2000:]
    return parse_report(completed.stdout), objects


@pytest.fixture(scope="module")
def scans(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Scan, int]]:
    checkov = require_python_tool("checkov")
    return {
        stack: scan(stack, checkov, tmp_path_factory.mktemp(f"checkov-{stack}"))
        for stack in stacks.SHIPPED
    }


def test_checkov_is_the_pinned_release_and_reads_every_manifest(
    scans: dict[str, tuple[Scan, int]],
) -> None:
    pinned = TOOLS["checkov"].split("==", 1)[1]
    for stack, (result, objects) in scans.items():
        assert result.version == pinned, f"{stack}: Checkov {result.version}, pinned {pinned}"
        assert result.parsing_errors == 0, f"{stack}: Checkov could not parse a manifest"
        # Checkov counts each object, and a Pod for each workload's template.
        assert result.resources >= objects, f"{stack}: {result.resources} of {objects} objects"


@pytest.mark.parametrize("stack", stacks.SHIPPED)
def test_every_checkov_failure_is_a_listed_design_choice(
    scans: dict[str, tuple[Scan, int]], stack: str
) -> None:
    exceptions = load_exceptions()
    new = [f for f in scans[stack][0].failures if not any(e.covers(f, stack) for e in exceptions)]
    assert new == [], (
        f"Checkov fails {len(new)} check(s) on {stack} that {EXCEPTIONS_FILE.name} does not "
        "list; fix the manifests (or, for a design choice, add an entry with its "
        "justification):\n" + "\n".join(map(str, new))
    )


def test_no_exception_is_stale(scans: dict[str, tuple[Scan, int]]) -> None:
    failures = [(f, stack) for stack, (result, _) in scans.items() for f in result.failures]
    stale = [e for e in load_exceptions() if not any(e.covers(f, s) for f, s in failures)]
    assert stale == [], (
        f"{EXCEPTIONS_FILE.name} lists checks Checkov no longer fails on any stack; remove: "
        + "; ".join(f"{e.check} {e.resource}" for e in stale)
    )


def test_an_exception_covers_its_check_on_the_resources_its_glob_matches() -> None:
    listed = PeerException("CKV_K8S_11", "Deployment.llm-serving.vllm-*", "latency")
    assert listed.covers(Failure("CKV_K8S_11", "Deployment.llm-serving.vllm-a", "", ""), "dev")
    assert not listed.covers(Failure("CKV_K8S_11", "Deployment.llm-gateway.redis", "", ""), "dev")
    assert not listed.covers(Failure("CKV_K8S_12", "Deployment.llm-serving.vllm-a", "", ""), "dev")
    only_dev = PeerException("CKV_K8S_43", "Deployment.*", "tags in dev", ("dev",))
    assert only_dev.covers(Failure("CKV_K8S_43", "Deployment.llm-serving.vllm-a", "", ""), "dev")
    assert not only_dev.covers(
        Failure("CKV_K8S_43", "Deployment.llm-serving.vllm-a", "", ""), "prod-ca"
    )


def test_the_exceptions_file_is_well_formed(tmp_path: Path) -> None:
    assert load_exceptions()
    bad = tmp_path / "peer_exceptions.yaml"
    bad.write_text("exceptions:\n  - check: CKV_K8S_11\n    resource: '*'\n", encoding="utf-8")
    with pytest.raises(AssertionError, match="needs the keys"):
        load_exceptions(bad)
    bad.write_text(
        "exceptions:\n  - {check: A, resource: '*', justification: j, owner: me}\n",
        encoding="utf-8",
    )
    with pytest.raises(AssertionError, match="unknown keys"):
        load_exceptions(bad)


def test_the_json_report_is_read_as_checkov_writes_it() -> None:
    report = {
        "check_type": "kubernetes",
        "summary": {
            "checkov_version": "3.3.30",
            "resource_count": 2,
            "parsing_errors": 0,
        },
        "results": {
            "failed_checks": [
                {
                    "check_id": "CKV_K8S_8",
                    "resource": "Deployment.ns.redis",
                    "check_name": "Liveness Probe Should be Configured",
                    "file_path": "/000-deployment-redis.yaml",
                }
            ]
        },
    }
    parsed = parse_report(json.dumps([report, {"check_type": "secrets", "results": {}}]))
    assert parsed.failures == (
        Failure(
            "CKV_K8S_8",
            "Deployment.ns.redis",
            "Liveness Probe Should be Configured",
            "000-deployment-redis.yaml",
        ),
    )
