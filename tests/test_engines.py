"""Engines: parity between regorus and regopy, and every failure as one EngineError line."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path
from typing import Any

import pytest

from servegate.engines import ENGINE_NAMES, get_engine
from servegate.engines.base import EngineError
from servegate.policy.bundle import PolicyBundle, load_bundle
from tests.opa_fake import fake_opa

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "rego" / "policies"
BUCKET = "aws:s3/bucket:Bucket"
EMBEDDED = ("regorus", "regopy", "opa-go")


def demo_bundle(tmp_path: Path) -> PolicyBundle:
    root = tmp_path / "policies"
    shutil.copytree(FIXTURES, root)
    shutil.copytree(
        ROOT / "policies" / "lib",
        root / "lib",
        ignore=shutil.ignore_patterns("*_test.rego", "*test_kit.rego"),
    )
    return load_bundle(root)


def inventory(buckets: list[dict[str, Any]]) -> dict[str, Any]:
    resources = [
        {
            "urn": f"urn:pulumi:s::p::{BUCKET}::{bucket['name']}",
            "type": BUCKET,
            "name": bucket["name"],
            "op": bucket.get("op", "create"),
            "props": bucket.get("props", {}),
            "unknowns": bucket.get("unknowns", []),
        }
        for bucket in buckets
    ]
    return {
        "stack": {"project": "p", "name": "s", "source": "offline"},
        "declared": {},
        "resources": resources,
        "by_type": {BUCKET: list(range(len(resources)))},
    }


MIXED = inventory(
    [
        {"name": "plain"},
        {"name": "sealed", "props": {"encrypted": True}},
        {"name": "pending", "unknowns": ["encrypted"]},
        {"name": "going", "op": "delete"},
    ]
)


@pytest.mark.parametrize("engine_name", EMBEDDED)
def test_demo_policies_judge_the_inventory(tmp_path: Path, engine_name: str) -> None:
    bundle = demo_bundle(tmp_path)
    results = get_engine(engine_name).query(bundle.modules, bundle.data, MIXED, bundle.queries)
    deny = results["data.demo.deny"]
    by_name = {v["urn"].rsplit("::", 1)[1]: v for v in deny if v["rule_id"] == "DEMO-001"}
    # Encrypted and deleted buckets pass; the unknown one is undecided, not passed.
    assert set(by_name) == {"plain", "pending"}
    assert by_name["pending"].get("undecided") is True
    assert "undecided" not in by_name["plain"]
    # Three judged resources and a deleted one exceed max_resources: 2.
    assert [v["value"] for v in deny if v["rule_id"] == "DEMO-002"] == [4]


def test_embedded_engines_agree(tmp_path: Path) -> None:
    bundle = demo_bundle(tmp_path)
    answers = [
        get_engine(name).query(bundle.modules, bundle.data, MIXED, bundle.queries)
        for name in EMBEDDED
    ]
    assert answers[0] == answers[1]
    assert answers[0]["data.demo.deny"]


@pytest.mark.parametrize("engine_name", EMBEDDED)
def test_non_deny_queries_may_be_undefined(engine_name: str) -> None:
    modules = {"m.rego": "package m\nimport rego.v1\nx := 1 if input.flag\n"}
    engine = get_engine(engine_name)
    assert engine.query(modules, {}, {"flag": True}, ["data.m.x"]) == {"data.m.x": 1}
    assert engine.query(modules, {}, {}, ["data.m.x"]) == {"data.m.x": None}


@pytest.mark.parametrize("engine_name", EMBEDDED)
def test_engine_reuses_compiled_policies_across_inputs(engine_name: str) -> None:
    modules = {"m.rego": "package m\nimport rego.v1\nx := input.n * 2\n"}
    engine = get_engine(engine_name)
    assert [engine.query(modules, {}, {"n": n}, ["data.m.x"])["data.m.x"] for n in (1, 2)] == [
        2,
        4,
    ]


@pytest.mark.parametrize("engine_name", EMBEDDED)
def test_compile_error_names_the_file(engine_name: str) -> None:
    modules = {
        "ok.rego": "package ok\nimport rego.v1\ndeny contains 1 if false\n",
        "broken/broken.rego": (
            "package broken\nimport rego.v1\n\ndeny contains v if {\n  v := f(\n}\n"
        ),
    }
    with pytest.raises(EngineError) as raised:
        get_engine(engine_name).query(modules, {}, {}, ["data.ok.deny"])
    message = str(raised.value)
    assert "broken/broken.rego:" in message
    assert "\n" not in message


@pytest.mark.parametrize("engine_name", EMBEDDED)
def test_undefined_function_is_an_error(engine_name: str) -> None:
    modules = {"m.rego": "package m\nimport rego.v1\ndeny contains v if v := no_such_fn(1)\n"}
    with pytest.raises(EngineError, match="no_such_fn"):
        get_engine(engine_name).query(modules, {}, {}, ["data.m.deny"])


@pytest.mark.parametrize("engine_name", EMBEDDED)
def test_several_queries_answer_each_and_name_the_one_that_fails(engine_name: str) -> None:
    modules = {
        "a.rego": "package a\nimport rego.v1\nx := input.n + 1\ny := 2 if input.flag\n",
        "b.rego": "package b\nimport rego.v1\nz := to_number(input.s)\n",
    }
    engine = get_engine(engine_name)
    queries = ["data.a.x", "data.a.y", "data.b.z"]
    both = engine.query(modules, {}, {"n": 1, "flag": True, "s": "3"}, queries)
    assert both == {"data.a.x": 2, "data.a.y": 2, "data.b.z": 3}
    undefined = engine.query(modules, {}, {"n": 1, "s": "3"}, queries)
    assert undefined == {"data.a.x": 2, "data.a.y": None, "data.b.z": 3}
    with pytest.raises(EngineError, match=r"data\.b\.z"):
        engine.query(modules, {}, {"n": 1, "flag": True, "s": "three"}, queries)


@pytest.mark.parametrize("engine_name", EMBEDDED)
def test_several_deny_queries_answer_each_and_name_the_one_that_fails(engine_name: str) -> None:
    # regorus evaluates the gate's deny queries together, then one by one when that fails.
    violation = '{"rule_id": "%s", "urn": "u", "message": "m"}'
    modules = {
        "a.rego": f"package a\nimport rego.v1\ndeny contains {violation % 'A'} if input.flag\n",
        "b.rego": "package b\nimport rego.v1\n"
        f"deny contains {violation % 'B'} if to_number(input.s) > 2\n",
    }
    engine = get_engine(engine_name)
    queries = ["data.a.deny", "data.b.deny"]
    both = engine.query(modules, {}, {"flag": True, "s": "3"}, queries)
    assert [[v["rule_id"] for v in both[q]] for q in queries] == [["A"], ["B"]]
    # Twice over another input: nothing of the first evaluation is left behind.
    for _ in range(2):
        none = engine.query(modules, {}, {"flag": False, "s": "1"}, queries)
        assert none == {"data.a.deny": [], "data.b.deny": []}
    with pytest.raises(EngineError, match=r"data\.b\.deny"):
        engine.query(modules, {}, {"flag": True, "s": "three"}, queries)
    with pytest.raises(EngineError, match=r"data\.c\.deny is undefined"):
        engine.query(modules, {}, {"flag": True, "s": "3"}, [*queries, "data.c.deny"])
    # A query that is no deny (the report's data-flow view) beside them: its failure is its
    # own, the deny answers stand.
    viewed = {**modules, "v.rego": "package v\nimport rego.v1\nview := to_number(input.t)\n"}
    evaluation = engine.evaluate(
        viewed, {}, {"flag": True, "s": "3", "t": "x"}, [*queries, "data.v.view"]
    )
    assert [[v["rule_id"] for v in evaluation.values[q]] for q in queries] == [["A"], ["B"]]
    assert list(evaluation.errors) == ["data.v.view"]
    assert engine.evaluate(
        viewed, {}, {"flag": False, "s": "1", "t": "7"}, [*queries, "data.v.view"]
    ).values == {
        "data.a.deny": [],
        "data.b.deny": [],
        "data.v.view": 7,
    }


@pytest.mark.parametrize("engine_name", EMBEDDED)
def test_runtime_error_is_an_error_not_an_empty_result(engine_name: str) -> None:
    modules = {
        "m.rego": 'package m\nimport rego.v1\ndeny contains {"rule_id": "M", "urn": "u",'
        ' "message": sprintf("%d", [to_number(input.n)])} if true\n'
    }
    with pytest.raises(EngineError, match=r"data\.m\.deny"):
        get_engine(engine_name).query(modules, {}, {"n": "not a number"}, ["data.m.deny"])


def test_builtin_missing_on_regopy_is_an_error() -> None:
    modules = {
        "net.rego": "package net_check\nimport rego.v1\n"
        'deny contains {"rule_id": "N", "urn": "u", "message": "m"} if '
        'net.cidr_contains("10.0.0.0/8", input.ip)\n'
    }
    with pytest.raises(EngineError, match="data.net_check.deny"):
        get_engine("regopy").query(modules, {}, {"ip": "10.1.2.3"}, ["data.net_check.deny"])
    # regorus has the built-in: the same policy judges.
    answer = get_engine("regorus").query(modules, {}, {"ip": "10.1.2.3"}, ["data.net_check.deny"])
    assert [v["rule_id"] for v in answer["data.net_check.deny"]] == ["N"]


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        ("deny contains 1 if true", "each violation must be an object"),
        ('deny contains {"rule_id": "X", "urn": "u"} if true', "without string message"),
        ('deny := "no"', "returned str"),
    ],
)
def test_deny_of_the_wrong_shape_is_an_error(body: str, complaint: str) -> None:
    modules = {"m.rego": f"package m\nimport rego.v1\n{body}\n"}
    with pytest.raises(EngineError, match=complaint):
        get_engine("regorus").query(modules, {}, {}, ["data.m.deny"])


def test_undefined_deny_means_the_package_did_not_load() -> None:
    modules = {"m.rego": "package m\nimport rego.v1\nx := 1\n"}
    with pytest.raises(EngineError, match="data.other.deny is undefined"):
        get_engine("regorus").query(modules, {}, {}, ["data.other.deny"])


def test_timeout_stops_the_evaluation_and_the_engine_recovers() -> None:
    # About a second of work on regorus against a limit a hundred times shorter.
    slow = (
        "package slow\nimport rego.v1\n"
        "x := count([1 | some i in numbers.range(1, 800);"
        " some j in numbers.range(1, 800); i > j])\n"
    )
    engine = get_engine("regorus", timeout_s=0.01)
    with pytest.raises(EngineError, match=r"did not finish evaluating within 0\.01s"):
        engine.query({"slow.rego": slow}, {}, {}, ["data.slow.x"])
    patient = get_engine("regorus")
    fast = {"fast.rego": "package fast\nx := 3\n"}
    assert patient.query(fast, {}, {}, ["data.fast.x"]) == {"data.fast.x": 3}


def test_unknown_engine_names_the_choices() -> None:
    with pytest.raises(EngineError) as raised:
        get_engine("rego-go")
    assert all(name in str(raised.value) for name in ENGINE_NAMES)


def test_opa_engine_needs_an_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPA_URL", raising=False)
    with pytest.raises(EngineError, match="--opa-url"):
        get_engine("opa")


def test_embedded_engine_versions_are_package_versions() -> None:
    from importlib.metadata import version

    assert get_engine("regorus").version == version("gordon-to-regorus")
    assert get_engine("regopy").version == version("regopy")


# -- the OPA engine against a local fake of the REST API -------------------------------------

VIOLATION = {"rule_id": "DEMO-001", "urn": "urn:b", "message": "bucket b is not encrypted"}
OTHER = {"rule_id": "DEMO-001", "urn": "urn:a", "message": "bucket a is not encrypted"}
OPA_MODULES = {"demo/demo.rego": "package demo\n", "lib/inventory.rego": "package lib.inventory\n"}
OPA_DATA = {"params": {"limits": {"max_resources": 2}}}


def test_opa_pushes_policies_and_data_then_queries() -> None:
    with fake_opa() as opa:
        opa.answers["demo/deny"] = [VIOLATION, OTHER]
        engine = get_engine("opa", opa_url=opa.url)
        doc = {"resources": [{"urn": "urn:a"}]}
        results = engine.query(OPA_MODULES, OPA_DATA, doc, ["data.demo.deny", "data.demo.x"])
        assert results == {"data.demo.deny": [OTHER, VIOLATION], "data.demo.x": None}
        assert opa.policies == {
            "servegate/demo/demo.rego": "package demo\n",
            "servegate/lib/inventory.rego": "package lib.inventory\n",
        }
        assert opa.data == {"params": {"limits": {"max_resources": 2}}}
        assert opa.inputs == [doc, doc]
        assert engine.version == "1.4.2"


def test_opa_pushes_a_bundle_once_and_drops_files_it_no_longer_has() -> None:
    with fake_opa() as opa:
        opa.answers["demo/deny"] = []
        opa.policies["servegate/old/gone.rego"] = "package gone\n"
        opa.policies["team/other.rego"] = "package other\n"
        engine = get_engine("opa", opa_url=opa.url)
        for _ in range(2):
            engine.query(OPA_MODULES, OPA_DATA, {}, ["data.demo.deny"])
        puts = [path for method, path in opa.requests if method == "PUT"]
        assert len(puts) == 3
        assert "servegate/old/gone.rego" not in opa.policies
        assert "team/other.rego" in opa.policies


def test_opa_refused_policy_names_file_and_line() -> None:
    with fake_opa() as opa:
        engine = get_engine("opa", opa_url=opa.url)
        with pytest.raises(EngineError, match=r"refused the policy demo/demo\.rego:2: unexpected"):
            engine.query({"demo/demo.rego": "package demo\nBROKEN {"}, {}, {}, ["data.demo.deny"])


def test_opa_server_error_is_an_engine_error() -> None:
    with fake_opa() as opa:
        opa.mode = "error"
        engine = get_engine("opa", opa_url=opa.url)
        with pytest.raises(EngineError, match=r"HTTP 500: demo/demo\.rego:7: eval_builtin_error"):
            engine.query(OPA_MODULES, OPA_DATA, {}, ["data.demo.deny"])


def test_opa_timeout_is_an_engine_error() -> None:
    with fake_opa() as opa:
        opa.mode = "hang"
        engine = get_engine("opa", opa_url=opa.url, timeout_s=0.2)
        with pytest.raises(EngineError, match=r"did not answer within 0\.2s"):
            engine.query(OPA_MODULES, OPA_DATA, {}, ["data.demo.deny"])


def test_opa_connection_refused_is_an_engine_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    engine = get_engine("opa", opa_url=f"http://127.0.0.1:{port}")
    with pytest.raises(EngineError, match=rf"cannot reach OPA at http://127\.0\.0\.1:{port}"):
        engine.query(OPA_MODULES, OPA_DATA, {}, ["data.demo.deny"])


def test_opa_url_must_be_host_and_port() -> None:
    with pytest.raises(EngineError, match="not of the form"):
        get_engine("opa", opa_url="opa.example.com:8181/v1")


def test_opa_go_names_the_file_and_line_that_does_not_compile() -> None:
    modules = {
        "broken/broken.rego": "package broken\n\nimport rego.v1\n\ndeny contains v if {\n"
        "\tv := other.deny\n}\n",
    }
    with pytest.raises(EngineError) as raised:
        get_engine("opa-go").query(modules, {}, {}, ["data.broken.deny"])
    message = str(raised.value)
    assert "\n" not in message
    assert (
        "cannot compile the policies: broken/broken.rego:6: rego_unsafe_var_error: var " in message
    )
    assert message.endswith("is unsafe (and 1 more)")


def test_a_prepared_worker_answers_like_a_fresh_one(tmp_path: Path) -> None:
    bundle = demo_bundle(tmp_path)
    queries = list(bundle.queries)
    fresh = get_engine("regorus")
    prepared = get_engine("regorus")
    try:
        expected = fresh.query(bundle.modules, bundle.data, MIXED, queries)
        prepared.prepare(bundle.modules, bundle.data)  # type: ignore[attr-defined]
        # The worker has the policies: later requests carry only the queries and the input.
        assert prepared.query(bundle.modules, bundle.data, MIXED, queries) == expected
        assert prepared.query(bundle.modules, bundle.data, MIXED, queries) == expected
        # Other policies on the same worker are sent again, and judged as themselves.
        other = {**bundle.modules, "extra.rego": "package extra\n\nimport rego.v1\n\nx := 1\n"}
        assert prepared.query(other, bundle.data, MIXED, ["data.extra.x"]) == {"data.extra.x": 1}
        # A new worker (after close) gets the policies again.
        prepared.close()  # type: ignore[attr-defined]
        assert prepared.query(bundle.modules, bundle.data, MIXED, queries) == expected
    finally:
        fresh.close()  # type: ignore[attr-defined]
        prepared.close()  # type: ignore[attr-defined]


def test_a_worker_asked_for_policies_it_does_not_hold_fails_closed() -> None:
    import io
    import json

    from servegate.engines.worker import serve

    header = {"key": "never-sent", "queries": ["data.demo.deny"], "coverage": False}
    requests = io.BytesIO(json.dumps(header).encode() + b"\n{}\n")
    answers = io.StringIO()
    serve("regorus", requests, answers)
    (answer,) = [json.loads(line) for line in answers.getvalue().splitlines()]
    assert answer == {"fatal": "the worker lost its policies; run the gate again"}


def test_a_prepared_worker_that_cannot_compile_still_fails_the_evaluation(tmp_path: Path) -> None:
    broken = {"broken.rego": "package broken\n\ndeny contains x if {\n"}
    engine = get_engine("regorus")
    try:
        engine.prepare(broken, {})  # type: ignore[attr-defined]
        with pytest.raises(EngineError, match="regorus cannot compile"):
            engine.query(broken, {}, MIXED, ["data.broken.deny"])
    finally:
        engine.close()  # type: ignore[attr-defined]
