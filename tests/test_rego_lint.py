"""The Rego lint (tests/tools/rego_lint.py): each check on a small bad snippet, and the library."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tools import rego_wrap
from tests.tools.rego_lint import Finding, lint_source, lint_tree, main

ROOT = Path(__file__).resolve().parent.parent
POLICIES = ROOT / "policies"

HEADER = "package demo\n\nimport rego.v1\n\n"


def checks(body: str) -> list[tuple[int, str]]:
    return [(f.line, f.check) for f in lint_source("demo.rego", HEADER + body)]


def test_unused_local_assignment() -> None:
    body = 'deny contains msg if {\n\tregions := input.regions\n\tmsg := "x"\n}\n'
    found = lint_source("demo.rego", HEADER + body)
    assert [(f.line, f.check, f.message) for f in found] == [
        (6, "unused-assignment", "regions is assigned but never used")
    ]


def test_assignments_that_are_read_are_fine() -> None:
    body = (
        "deny contains msg if {\n\tregions := input.regions\n\tcount(regions) > 1\n"
        '\t[a, b] := [1, 2]\n\ta < b\n\tmsg := concat("", ["x"])\n}\n'
    )
    assert checks(body) == []


def test_unused_destructured_name_and_comprehension_local() -> None:
    body = "pairs := [p | some x in input.xs; [p, q] := x]\n"
    assert checks(body) == [(5, "unused-assignment")]


def test_a_field_of_the_same_name_is_not_a_read() -> None:
    body = "deny contains res.name if {\n\tsome res in input.resources\n\tname := res.name\n}\n"
    assert checks(body) == [(7, "unused-assignment")]


def test_unused_function_argument() -> None:
    assert checks("_f(res, key) := key\n") == [(5, "unused-argument")]
    assert checks("_f(_, key) := key\n") == []


def test_shadowed_builtins() -> None:
    body = (
        "deny contains v if {\n\tfloor := input.min\n\tsome object in input.objects\n"
        "\tv := [floor, object]\n}\n\ncount := 3\n\n_g(sum) := sum\n"
    )
    found = lint_source("demo.rego", HEADER + body)
    shadows = [(f.line, f.message) for f in found if f.check == "shadows-builtin"]
    assert shadows == [
        (6, "assignment floor hides the built-in floor"),
        (7, "declaration object hides the built-in object"),
        (11, "rule count has the name of a built-in"),
        (13, "argument sum hides the built-in sum"),
    ]


def test_input_and_data_are_reserved() -> None:
    assert checks("deny contains 1 if {\n\tinput := 2\n\tinput > 1\n}\n") == [
        (6, "shadows-builtin")
    ]


def test_long_line() -> None:
    long = "x := " + '"' + "a" * 120 + '"\n'
    found = lint_source("demo.rego", HEADER + long)
    assert [(f.line, f.check, f.message) for f in found] == [
        (5, "line-length", "127 characters (at most 120)")
    ]


def test_sprintf_is_banned_but_not_in_comments_or_strings() -> None:
    body = 'x := sprintf("%d", [1])\n\n# not sprintf("%d")\ny := "sprintf(1)"\n'
    assert checks(body) == [(5, "sprintf")]


def test_max_and_min_are_banned_numbers_go_through_the_library() -> None:
    body = "x := max([9, 100])\n\ny := min({1, 2})\n\nz := inv_max([1])\n"
    assert checks(body) == [(5, "text-ordered-numbers"), (7, "text-ordered-numbers")]


def test_deprecated_builtins_and_unused_imports() -> None:
    source = (
        "package demo\n\nimport data.lib.inventory as inv\nimport rego.v1\n\nx := any([true])\n"
    )
    assert [(f.line, f.check) for f in lint_source("demo.rego", source)] == [
        (3, "unused-import"),
        (6, "deprecated-builtin"),
    ]


def test_finding_reads_as_one_line() -> None:
    finding = Finding("policies/a.rego", 3, "line-length", "130 characters (at most 120)")
    assert str(finding) == "policies/a.rego:3: line-length: 130 characters (at most 120)"


def test_the_command_exits_1_on_findings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "policies"
    root.mkdir()
    (root / "a.rego").write_text(HEADER + "_f(x) := 1\n")
    assert main([str(root)]) == 1
    assert "policies/a.rego:5: unused-argument: argument x is never used" in capsys.readouterr().out
    (root / "a.rego").write_text(HEADER + "_f(x) := x\n")
    assert main([str(root)]) == 0


def test_wrapping_breaks_long_terms_and_strings() -> None:
    line = (
        '\tv := inv.violation("X-1", res, concat("", ["bucket ", res.name, '
        '" is not encrypted with the stack key; give it a server-side encryption configuration '
        'with aws:kms and the stack KMS key"]), "encrypted", null)'
    )
    wrapped = rego_wrap.wrap_line(line)
    assert all(len(piece) <= 120 for piece in wrapped)
    assert wrapped[0] == "\tv := inv.violation("
    assert '\t\tconcat("", [' in wrapped
    joined = "".join(p.strip().strip(",").strip('"') for p in wrapped if p.strip().startswith('"'))
    assert "is not encrypted with the stack key; give it a server-side" in joined


def test_the_library_is_clean() -> None:
    # Every .rego file under policies/, tests and lib included.
    assert [str(f) for f in lint_tree(POLICIES)] == []


def test_wrapping_splits_a_line_of_items_inside_an_open_bracket() -> None:
    line = (
        '\t\t"clusterName": "prod-ca-eks", "nodeGroupName": "l4", '
        + '"amiType": "AL2023_x86_64_NVIDIA", ' * 3
    )
    wrapped = rego_wrap.wrap_line(line.rstrip())
    assert wrapped[:2] == ['\t\t"clusterName": "prod-ca-eks",', '\t\t"nodeGroupName": "l4",']
    assert all(len(piece) <= 120 and piece.endswith(",") for piece in wrapped)


def test_wrapping_keeps_a_rule_heads_arguments_on_its_line() -> None:
    line = "_f(alpha, beta) := g(" + ", ".join(f"argument_{n}" for n in range(12)) + ")"
    wrapped = rego_wrap.wrap_line(line)
    assert wrapped[0] == "_f(alpha, beta) := g(" and wrapped[-1] == ")"
