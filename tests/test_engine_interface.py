"""One engine interface: every engine and fake subclasses Engine, whose query checks answers."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

from servegate.engines import get_engine
from servegate.engines.base import EmbeddedEngine, Engine, EngineError, Evaluation
from servegate.engines.opa_engine import OpaEngine
from servegate.engines.opa_go_engine import OpaGoEngine
from servegate.engines.regopy_engine import RegopyEngine
from servegate.engines.regorus_engine import RegorusEngine
from servegate.engines.subprocess_engine import SubprocessEngine
from servegate.gate import evaluate
from servegate.policy.bundle import load_bundle

ROOT = Path(__file__).resolve().parent.parent
TESTS = Path(__file__).resolve().parent
QUERY = "data.demo.deny"


class CannedEngine(Engine):
    """Answers every query with a fixed value, as a misbehaving engine might."""

    name = "canned"

    def __init__(self, value: Any) -> None:
        self._value = value

    @property
    def version(self) -> str:
        return "1"

    def evaluate(
        self,
        modules: dict[str, str],
        data: dict[str, Any],
        input_doc: dict[str, Any],
        queries: list[str],
        *,
        coverage: bool = False,
    ) -> Evaluation:
        return Evaluation(values={query: self._value for query in queries})


def test_every_engine_is_an_engine() -> None:
    shipped = [SubprocessEngine, OpaEngine, RegorusEngine, RegopyEngine, OpaGoEngine]
    assert all(issubclass(engine, Engine) for engine in shipped)
    assert all(issubclass(engine, EmbeddedEngine) for engine in shipped[2:])
    assert {engine.name for engine in shipped[2:]} == {"regorus", "regopy", "opa-go"}


def test_every_test_fake_is_an_engine() -> None:
    # A fake is any test class with an engine's evaluate or query method; each must derive
    # from an engine class (Engine itself or one of the shipped engines).
    fakes: dict[str, list[str]] = {}
    for path in sorted(TESTS.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ClassDef):
                continue
            methods = {item.name for item in node.body if isinstance(item, ast.FunctionDef)}
            if methods & {"evaluate", "query"}:
                fakes[f"{path.name}:{node.name}"] = [ast.unparse(base) for base in node.bases]
    assert "test_engine_interface.py:CannedEngine" in fakes
    assert {name: bases for name, bases in fakes.items() if not _engine_bases(bases)} == {}


def _engine_bases(bases: list[str]) -> bool:
    return bool(bases) and all(base.endswith("Engine") for base in bases)


def test_an_engine_may_not_override_query() -> None:
    with pytest.raises(TypeError, match="overrides Engine.query; override evaluate instead"):

        class Sneaky(CannedEngine):  # noqa: F841 (defining it is the test)
            def query(self, *args: Any) -> dict[str, Any]:  # type: ignore[misc]
                return {}


@pytest.mark.parametrize(
    ("value", "complaint"),
    [
        (None, "data.demo.deny is undefined: the policy package did not load"),
        ({"a": 1}, "data.demo.deny returned dict; a deny rule must yield a set of objects"),
        (["text"], 'data.demo.deny yielded str "text"; each violation must be an object'),
        (
            [{"rule_id": "X-1", "urn": 7, "message": "m"}],
            "data.demo.deny yielded a violation without string urn:",
        ),
    ],
)
def test_query_checks_the_shape_of_deny_for_every_engine(value: Any, complaint: str) -> None:
    with pytest.raises(EngineError) as caught:
        CannedEngine(value).query({}, {}, {}, [QUERY])
    assert str(caught.value).startswith(complaint)


def test_the_gate_relies_on_the_checked_answer(tmp_path: Path) -> None:
    # A malformed violation from any engine stops the gate with the engine interface's line.
    bundle = load_bundle(ROOT / "policies")
    bad = [{"rule_id": "SLA-017", "message": "no urn"}]
    with pytest.raises(EngineError, match=r"yielded a violation without string urn"):
        evaluate({"resources": []}, bundle=bundle, engine=CannedEngine(bad))


def test_query_sorts_violations_the_same_for_every_engine() -> None:
    first = {"rule_id": "A-1", "urn": "urn:b", "message": "m"}
    second = {"rule_id": "A-1", "urn": "urn:a", "message": "m"}
    assert CannedEngine([first, second]).query({}, {}, {}, [QUERY])[QUERY] == [second, first]


def test_an_embedded_engine_runs_in_process_and_compiles_a_bundle_once() -> None:
    engine = RegorusEngine()
    loads: list[int] = []
    original = engine.load

    def counting_load(modules: dict[str, str], data_json: str, *, coverage: bool) -> None:
        loads.append(1)
        original(modules, data_json, coverage=coverage)

    engine.load = counting_load  # type: ignore[method-assign]
    modules = {"m.rego": "package m\nimport rego.v1\nx := input.n * 2\n"}
    answers = [engine.query(modules, {}, {"n": n}, ["data.m.x"])["data.m.x"] for n in (1, 2)]
    assert answers == [2, 4]
    assert len(loads) == 1
    assert engine.version  # the package version


def test_opa_go_in_process_reports_the_opa_release_like_the_worker() -> None:
    worker = get_engine("opa-go")
    assert OpaGoEngine().version == worker.version
    assert "(OPA v1." in worker.version
