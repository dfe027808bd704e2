"""The gate fails closed: each way it could not judge is exit 2 with one clear line, and is
logged. One test per case of the list in issue 9 (plan shapes, waivers, engine, policies)."""

from __future__ import annotations

import json
import shutil
import stat
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from components import catalog
from servegate.cli.main import app
from tests.plan_builders import export_doc, preview_doc, step, urn

runner = CliRunner()
BUCKET = "aws:s3/bucket:Bucket"
COMPONENT = "servegate:index:ServingStack"


def _check(project: Path, document: Any, *args: str) -> tuple[int, str]:
    path = project / "plan.json"
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    result = runner.invoke(app, ["-C", str(project), "check", str(path), "-s", "prod-ca", *args])
    return result.exit_code, result.output


def _assert_one_line(code: int, output: str, expected: str) -> None:
    assert code == 2, output
    lines = output.strip().splitlines()
    assert len(lines) == 1, output
    assert lines[0].startswith("error: ") and expected in lines[0], output
    assert "Traceback" not in output


def _bucket(name: str = "b", op: str = "create", **inputs: Any) -> dict[str, Any]:
    return step(op, BUCKET, name, {"bucket": name, **inputs})


def _duplicate_creates() -> dict[str, Any]:
    return preview_doc([_bucket(), _bucket(region="us-east-1")])


def _update_and_create() -> dict[str, Any]:
    return preview_doc([_bucket(op="update"), _bucket()])


def _create_and_delete() -> dict[str, Any]:
    return preview_doc([_bucket(), _bucket(op="delete")])


def _replacement_with_two_new_states() -> dict[str, Any]:
    return preview_doc([_bucket(op="replace"), _bucket(op="create-replacement", region="x")])


def _parent_cycle() -> dict[str, Any]:
    a_urn = urn(COMPONENT, "a")
    component_a = step("create", COMPONENT, "a", {}, custom=False)
    component_b = step("create", COMPONENT, "b", {}, custom=False, parent=a_urn)
    component_a["newState"]["parent"] = component_b["newState"]["urn"]
    return preview_doc([component_a, component_b])


def _self_parent() -> dict[str, Any]:
    bucket = _bucket()
    bucket["newState"]["parent"] = bucket["newState"]["urn"]
    return preview_doc([bucket])


def _unknown_op() -> dict[str, Any]:
    document = preview_doc([_bucket()])
    document["steps"][1]["op"] = "obliterate"
    return document


def _no_states() -> dict[str, Any]:
    document = preview_doc([_bucket()])
    del document["steps"][1]["newState"]
    return document


def _state_field(key: str, value: Any) -> Callable[[], dict[str, Any]]:
    def build() -> dict[str, Any]:
        document = preview_doc([_bucket()])
        document["steps"][1]["newState"][key] = value
        return document

    return build


def _export_two_live_states() -> dict[str, Any]:
    return export_doc([_bucket(), _bucket(region="us-east-1")])


def _export_delete_as_text() -> dict[str, Any]:
    document = export_doc([_bucket()])
    document["deployment"]["resources"][1]["delete"] = "false"
    return document


def _root_stack_urn(value: Any, export: bool = False) -> Callable[[], dict[str, Any]]:
    # The root stack's URN names the plan's stack and project (found by the long fuzz run).
    def build() -> dict[str, Any]:
        if export:
            document = export_doc([_bucket()])
            document["deployment"]["resources"][0]["urn"] = value
            return document
        document = preview_doc([_bucket()])
        root = document["steps"][0]
        del root["urn"]
        root["oldState"]["urn"] = root["newState"]["urn"] = value
        return document

    return build


def _only_the_root_stack() -> dict[str, Any]:
    return preview_doc([])


def _only_deletions() -> dict[str, Any]:
    return preview_doc([_bucket(op="delete")])


CASES: list[tuple[str, Callable[[], dict[str, Any]], str]] = [
    (
        "two-creates-one-urn",
        _duplicate_creates,
        "steps[1] (create), steps[2] (create) all describe",
    ),
    ("update-and-create", _update_and_create, "only a replacement"),
    ("create-and-delete", _create_and_delete, "only a replacement"),
    ("replacement-two-states", _replacement_with_two_new_states, "different new states"),
    ("parent-cycle", _parent_cycle, "form a cycle (a -> b -> a)"),
    ("own-parent", _self_parent, "form a cycle (b -> b)"),
    ("unknown-op", _unknown_op, "steps[1].op 'obliterate' is not a Pulumi step op"),
    ("no-states", _no_states, "steps[1] has neither newState nor oldState"),
    ("urn-not-text", _state_field("urn", 7), "differs from its newState.urn"),
    ("type-not-text", _state_field("type", ["x"]), "steps[1].newState (urn:pulumi:"),
    ("inputs-a-list", _state_field("inputs", []), "steps[1].newState.inputs is not an object"),
    ("custom-as-text", _state_field("custom", "false"), "newState.custom is not true or false"),
    ("parent-not-text", _state_field("parent", 1), "steps[1].newState.parent is not a string"),
    ("provider-not-text", _state_field("provider", {}), "newState.provider is not a string"),
    (
        "dependencies-not-urns",
        _state_field("propertyDependencies", {"bucket": "urn"}),
        "propertyDependencies.bucket is not a list of URNs",
    ),
    ("export-two-live-states", _export_two_live_states, "are both the live state of"),
    ("export-delete-as-text", _export_delete_as_text, "resources[1].delete is not true or false"),
    ("root-urn-a-boolean", _root_stack_urn(True), "(the root stack) has no valid urn"),
    ("export-root-urn-short", _root_stack_urn("x", export=True), "(the root stack) has no"),
    ("empty-plan", _only_the_root_stack, "leaves no resource in the stack, but stack prod-ca"),
    ("only-deletions", _only_deletions, "declares 2 models"),
]


@pytest.mark.parametrize(("build", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_malformed_plans_are_exit_2_with_one_line(
    project: Path, build: Callable[[], dict[str, Any]], expected: str
) -> None:
    code, output = _check(project, build())
    _assert_one_line(code, output, expected)
    (entry,) = [json.loads(line) for line in (project / "reports" / "audit.jsonl").open()]
    assert entry["verdict"] == "error" and expected in entry["reason"]


def test_a_valid_replacement_with_its_steps_is_accepted(project: Path) -> None:
    # The engine's own shapes: a replacement with --show-replacement-steps, and a copy an
    # earlier replacement left pending deletion beside the live resource.
    steps = [
        _bucket(op="create-replacement"),
        _bucket(op="replace"),
        _bucket(op="delete-replaced"),
        _bucket("c", op="same"),
        _bucket("c", op="delete-replaced"),
    ]
    code, output = _check(project, preview_doc(steps), "--format", "json")
    assert code in (0, 1), output
    report = json.loads((project / "reports" / "prod-ca" / "report.json").read_text())
    assert report["resources_evaluated"] == 2


def test_missing_waivers_file_is_exit_2(project: Path) -> None:
    code, output = _check(project, preview_doc([_bucket()]), "--waivers", "absent.yaml")
    _assert_one_line(code, output, "absent.yaml: no such waivers file")


def test_unparsable_waivers_file_is_exit_2(project: Path) -> None:
    (project / "w.yaml").write_text("waivers: {rule_id: [\n")
    code, output = _check(project, preview_doc([_bucket()]), "--waivers", str(project / "w.yaml"))
    _assert_one_line(code, output, "w.yaml: not valid YAML")


def test_waivers_file_without_a_list_is_exit_2(project: Path) -> None:
    (project / "w.yaml").write_text("rule_id: RES-001\n")
    code, output = _check(project, preview_doc([_bucket()]), "--waivers", str(project / "w.yaml"))
    _assert_one_line(code, output, "top level must be a mapping with a 'waivers:' list")


def test_engine_crash_is_exit_2(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The worker process dies of a signal mid-evaluation, as native code that crashes does.
    crashing = project / "crashing-python"
    crashing.write_text("#!/bin/sh\nkill -SEGV $$\n")
    crashing.chmod(crashing.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setattr(sys, "executable", str(crashing))
    code, output = _check(project, preview_doc([_bucket()]))
    _assert_one_line(code, output, "the regorus engine crashed")
    assert "SIGSEGV" in output


def _own_policies(project: Path) -> Path:
    policies = project / "policies"
    policies.unlink()
    shutil.copytree(catalog.PROJECT_ROOT / "policies", policies)
    return policies


def test_policy_compile_error_is_exit_2(project: Path) -> None:
    rego = _own_policies(project) / "cost" / "cost.rego"
    rego.write_text(rego.read_text() + "\ndeny contains x if {\n")
    code, output = _check(project, preview_doc([_bucket()]))
    _assert_one_line(code, output, "cost.rego:")


def test_rule_using_a_builtin_the_engine_lacks_is_exit_2(project: Path) -> None:
    # regorus has no net.lookup_ip_addr: the rule errors instead of quietly never firing.
    rego = _own_policies(project) / "cost" / "cost_003_declared_budget.rego"
    text = rego.read_text()
    anchor = "deny contains v if {"
    assert anchor in text
    rego.write_text(
        text.replace(anchor, anchor + '\n\tcount(net.lookup_ip_addr("gpu.example")) >= 0', 1)
    )
    code, output = _check(project, preview_doc([_bucket()]))
    _assert_one_line(code, output, "net.lookup_ip_addr")


def test_rule_calling_the_network_is_exit_2(project: Path) -> None:
    # regorus answers http.send with "undefined", not an error: the rule would never fire.
    rego = _own_policies(project) / "cost" / "cost_003_declared_budget.rego"
    anchor = "deny contains v if {"
    rego.write_text(
        rego.read_text().replace(
            anchor,
            anchor + '\n\thttp.send({"method": "get", "url": "http://x"}).status_code == 200',
            1,
        )
    )
    code, output = _check(project, preview_doc([_bucket()]))
    _assert_one_line(code, output, "cost_003_declared_budget.rego:")
    assert "http.send depends on the network" in output


def test_truncated_document_copy_is_still_one_line(project: Path) -> None:
    text = json.dumps(preview_doc([_bucket()]))
    code, output = _check(project, text[: len(text) // 2])
    _assert_one_line(code, output, "plan.json: not valid JSON")
