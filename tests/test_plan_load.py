"""Loading plan files: format detection, malformed input, stack checks."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from servegate.errors import GateError
from servegate.plan.load import load_plan
from tests.plan_builders import export_doc, preview_doc, step

FORMATS = Path("/work/shared/formats")
FIXTURES = Path(__file__).parent / "fixtures" / "plans"


def _write(tmp_path: Path, content: str | bytes, name: str = "plan.json") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def _bucket() -> dict[str, Any]:
    return step("create", "aws:s3/bucket:Bucket", "b", {"bucket": "b"})


@pytest.mark.parametrize(
    ("name", "source"),
    [("preview.example.json", "preview"), ("stack-export.example.json", "export")],
)
def test_shared_examples_load_with_their_format(name: str, source: str) -> None:
    path = FORMATS / name
    if not path.exists():
        pytest.skip("shared format examples not present")

    plan = load_plan(path, stack="prod-ca")

    assert plan.source == source
    assert (plan.stack, plan.project) == ("prod-ca", "llm-serving")
    assert plan.plan_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("name", ["preview-prod-ca.json", "export-prod-ca.json"])
def test_checked_in_fixtures_load(name: str) -> None:
    plan = load_plan(FIXTURES / name, stack="prod-ca")

    assert plan.resources
    assert len({r.urn for r in plan.resources}) == len(plan.resources)


def test_the_checked_in_preview_without_show_sames_is_refused() -> None:
    with pytest.raises(GateError, match="--show-sames"):
        load_plan(FIXTURES / "preview-prod-ca-no-show-sames.json")


def test_preview_config_gives_the_stack_region(tmp_path: Path) -> None:
    doc = preview_doc([_bucket()], config={"aws:region": "eu-central-1"})

    plan = load_plan(_write(tmp_path, json.dumps(doc)))

    assert plan.stack_region == "eu-central-1"
    assert plan.change_summary == {"same": 1, "create": 1}


def test_an_export_carries_no_stack_region(tmp_path: Path) -> None:
    plan = load_plan(_write(tmp_path, json.dumps(export_doc([_bucket()]))))

    assert plan.source == "export"
    assert plan.stack_region is None


def _steps_doc(steps: Any) -> str:
    doc = preview_doc([])
    doc["steps"] = steps
    return json.dumps(doc)


def _without(key: str) -> str:
    bad = _bucket()
    del bad["newState"][key]
    return _steps_doc([bad])


def _with_dependencies(dependencies: Any) -> str:
    bad = _bucket()
    bad["newState"]["propertyDependencies"] = dependencies
    return _steps_doc([bad])


MALFORMED = [
    ('{"steps": [', r"plan\.json: not valid JSON \(line 1, column 12: Expecting value\)"),
    ('{"steps": [}\n', r"plan\.json: not valid JSON \(line 1, column 12: "),
    ("", r"plan\.json: empty file"),
    (b"\xff\xfe{}", r"plan\.json: not UTF-8 text"),
    ("[1, 2]", r"plan\.json: not a Pulumi plan: .* got list"),
    ('{"resources": []}', r"plan\.json: not a Pulumi plan"),
    ('{"steps": {}}', r"plan\.json: steps is not a list"),
    (_steps_doc(["create"]), r"plan\.json: steps\[0\] is not an object"),
    (
        _steps_doc([{"op": "create", "urn": "urn:pulumi:a::b::c:d:e::f"}]),
        r"plan\.json: steps\[0\] has neither newState nor oldState",
    ),
    (_steps_doc([{"op": "create", "newState": []}]), r"plan\.json: steps\[0\]\.newState is not"),
    (_without("type"), r"plan\.json: steps\[0\]\.newState \(urn:pulumi:.*\) has no type"),
    (
        _steps_doc([{"op": "create", "newState": {"type": "aws:s3/bucket:Bucket"}}]),
        r"plan\.json: steps\[0\]\.newState has no valid urn",
    ),
    ('{"version": 3, "deployment": []}', r"plan\.json: deployment is not an object"),
    (
        '{"version": 3, "deployment": {"resources": [{"type": "x"}]}}',
        r"plan\.json: deployment\.resources\[0\] has no valid urn",
    ),
    ('{"version": 3, "deployment": {"resources": []}}', r"plan\.json: the plan lists no resources"),
    # A key with a line end is quoted escaped: the error stays one line.
    (_with_dependencies({"subnet\nIds": "x"}), r"propertyDependencies\.subnet\\nIds is not a list"),
]


@pytest.mark.parametrize(("content", "expected"), MALFORMED)
def test_malformed_plans_give_one_line_naming_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str | bytes, expected: str
) -> None:
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, content)

    with pytest.raises(GateError, match=expected) as caught:
        load_plan(Path("plan.json"))

    assert "\n" not in str(caught.value)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(GateError, match=r"nope\.json: no such file"):
        load_plan(tmp_path / "nope.json")


def test_a_plan_of_another_stack_is_refused(tmp_path: Path) -> None:
    bucket = step("create", "aws:s3/bucket:Bucket", "b", {}, stack="prod-eu")
    path = _write(tmp_path, json.dumps(preview_doc([bucket], stack="prod-eu")))

    with pytest.raises(GateError) as caught:
        load_plan(path, stack="prod-ca")

    assert "'prod-eu'" in str(caught.value) and "'prod-ca'" in str(caught.value)


def test_a_plan_mixing_stacks_is_refused(tmp_path: Path) -> None:
    doc = preview_doc([_bucket(), step("create", "aws:s3/bucket:Bucket", "x", stack="dev")])

    with pytest.raises(GateError, match="several stacks"):
        load_plan(_write(tmp_path, json.dumps(doc)))
