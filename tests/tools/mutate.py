"""Mutation testing of the rule files: do the Rego tests notice when a rule is broken?

``python -m tests.tools.mutate [--policies DIR] [--jobs N] [--deny-only] [FILE ...]``

For every rule file (a policy file outside ``lib/`` whose METADATA declares exactly one
rule id) it builds mutants:

- each ``deny`` body deleted (the rule no longer fires that way at all);
- each condition negated in turn, in the ``deny`` bodies and in the file's helper rules
  (their bodies, or the one condition of ``head if cond``): ``cond`` becomes ``not cond``,
  ``not cond`` becomes ``cond``. ``--deny-only`` leaves the helpers alone.

Statements that are not conditions are left alone: ``some`` declarations and ``x := ...``
assignments or ``=`` unifications bind variables (negating one leaves the variables it binds
unsafe, so the mutant would not compile rather than test anything), and ``every`` blocks
cannot be negated in Rego (each of their inner conditions is still reached by deleting or
negating what surrounds them). A condition whose negation no test can observe (an index
lookup that a later condition re-checks) is marked in the rule file with a
``# mutation-equivalent: <why>`` comment on its line or the line above; it is listed, not run.

A mutant is killed when at least one test of the rule's own ``<file>_test.rego`` fails or
errors, evaluated in process on regorus with the rule's package, ``lib/`` and the test
package's files loaded (the mutant in place of the original). A mutant that does not compile
is reported apart and not scored. The score is killed / (killed + survived); the command
exits 1 below 100 %, when a rule file has no test file, or when a rule's tests fail on the
unmutated file.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# regorus captures a Rust backtrace for every error otherwise (slow; killed mutants err).
os.environ.setdefault("RUST_BACKTRACE", "0")
os.environ.setdefault("RUST_LIB_BACKTRACE", "0")

from servegate.engines.regorus_engine import one_line
from servegate.policy.bundle import PolicyBundle, load_bundle, packages_of_tests
from servegate.policy.metadata import parse_rules
from tests.tools.rego_source import (
    RegoRule,
    Span,
    masked,
    statements,
    top_level_operator,
    top_level_rules,
)

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ROOT / "policies"
TEST_SUFFIX = "_test.rego"
_TEST_RULE = re.compile(r"^(test_\w+)\b", re.MULTILINE)
# The query that only succeeds when every module compiles.
_PROBE = "true"


@dataclass(frozen=True)
class Mutant:
    """One change to one rule file."""

    file: str
    line: int
    description: str
    source: str
    # Why no test can kill it, when the rule file says so (``# mutation-equivalent: why``).
    equivalent: str = ""


@dataclass(frozen=True)
class Outcome:
    mutant: Mutant
    # "killed", "survived", "invalid" (does not compile), "equivalent" (marked so in the rule
    # file, not run) or "broken" (the rule's tests fail on the unmutated file: nothing scored).
    status: str
    detail: str = ""


def rule_files(bundle: PolicyBundle) -> list[str]:
    """Policy files (bundle-relative) that hold exactly one rule and a ``deny`` body."""
    found = []
    for relative, source in bundle.modules.items():
        if relative.startswith("lib/"):
            continue
        ids = {item.rule.id for item in parse_rules(relative, source)}
        if len(ids) == 1 and any(rule.name == "deny" for rule in top_level_rules(source)):
            found.append(relative)
    return sorted(found)


def test_file_of(relative: str) -> str:
    return relative.removesuffix(".rego") + TEST_SUFFIX


# A condition whose negation no test can tell from the original (e.g. an index lookup that a
# later condition re-checks) carries this comment on its line or the line above, with why.
EQUIVALENT = re.compile(r"#\s*mutation-equivalent:\s*(\S.*)$")


def mutants(relative: str, source: str, *, helpers: bool = False) -> list[Mutant]:
    """Every mutant of the file's ``deny`` bodies (and its helpers' with ``helpers``)."""
    found: list[Mutant] = []
    lines = source.split("\n")
    for rule in top_level_rules(source):
        if not (rule.name == "deny" or (helpers and rule.name)):
            continue
        span = rule.span
        if rule.name == "deny" and rule.body is not None:
            blank = re.sub(r"[^\n]", "", span.text)
            found.append(
                Mutant(
                    relative,
                    span.line,
                    "deny body deleted",
                    source[: span.start] + blank + source[span.end :],
                )
            )
        where = "" if rule.name == "deny" else f" in {rule.name}"
        for statement in _conditions(source, rule):
            negated = negation(statement.text)
            if negated is None:
                continue
            first_line = statement.text.splitlines()[0].strip()
            found.append(
                Mutant(
                    relative,
                    statement.line,
                    f"negated `{first_line}`{where}",
                    source[: statement.start] + negated + source[statement.end :],
                    _equivalence(lines, statement.line),
                )
            )
    return found


def _conditions(source: str, rule: RegoRule) -> list[Span]:
    """The body statements of a rule: its braces, or the one condition of ``head if cond``."""
    if rule.body is not None:
        return statements(source, *rule.body)
    text = masked(rule.span.text)
    single = re.match(r"^[^\n]*?\sif\s+(?!\{)(\S[^\n]*)$", text)
    if single is None or "\n" in text:
        return []
    start = rule.span.start + single.start(1)
    return [Span(start, rule.span.end, rule.span.line, source[start : rule.span.end])]


def _equivalence(lines: list[str], line: int) -> str:
    for candidate in (lines[line - 1], lines[line - 2] if line > 1 else ""):
        match = EQUIVALENT.search(candidate)
        if match:
            return match.group(1).strip()
    return ""


def negation(statement: str) -> str | None:
    """The statement negated, or None when it is not a condition (see the module doc)."""
    text = masked(statement)
    if re.match(r"(some|every)\b", text):
        return None
    if top_level_operator(text, ":=") or top_level_operator(text, "="):
        return None
    if re.match(r"not\s", text):
        return statement[3:].lstrip()
    return f"not {statement}"


# -- evaluation ------------------------------------------------------------------------------

_bundle: PolicyBundle | None = None


def _init(policies: str) -> None:
    global _bundle
    _bundle = load_bundle(Path(policies))


def _judge_file(task: tuple[str, bool]) -> list[Outcome]:
    assert _bundle is not None
    return judge_file(_bundle, *task)


class _Tests:
    """The rule's own tests, on an engine that parses the unchanged files once per rule file.

    regorus 0.13 answers differently when a package's files load in another order (see
    ``servegate.policy.bundle._load_order``), so the order stays the bundle's: the base
    engine holds the other packages and this package's files before the rule file; each
    mutant gets a clone with the mutant, the package's later files and its tests added.
    """

    def __init__(self, bundle: PolicyBundle, relative: str) -> None:
        import regorus

        test_file = test_file_of(relative)
        packages = packages_of_tests(bundle)
        self.package = packages[test_file]
        self.names = list(dict.fromkeys(_TEST_RULE.findall(bundle.test_modules[test_file])))
        self.relative = relative
        folder = relative.rpartition("/")[0] + "/"
        order = list(bundle.modules)
        later = order[order.index(relative) + 1 :]
        self.after = [(path, bundle.modules[path]) for path in later if path.startswith(folder)]
        self.after += [
            (path, source)
            for path, source in bundle.test_modules.items()
            if packages.get(path) == self.package
        ]
        self.base = regorus.Engine()
        # Only lib/ and the rule's own package: the other areas' rules cost compile time
        # and no test of this package reads them (the unmutated run proves it).
        for path, source in {**bundle.modules, **bundle.test_kits}.items():
            needed = path.startswith(("lib/", folder))
            if needed and path != relative and (path, source) not in self.after:
                self.base.add_policy(path, source)
        self.base.add_data_json(json.dumps(bundle.data))

    def failing(self, source: str) -> tuple[str, str]:
        """("invalid", why), ("killed", which test) or ("survived", "")."""
        engine = self.base.clone()
        try:
            engine.add_policy(self.relative, source)
            for path, text in self.after:
                engine.add_policy(path, text)
            engine.eval_query_as_json(_PROBE)
        except RuntimeError as exc:
            return "invalid", one_line(str(exc))
        for name in self.names:
            try:
                answer = json.loads(engine.eval_query_as_json(f"data.{self.package}.{name}"))
            except RuntimeError:
                return self._killed_by(name, "errs")
            if _value(answer) is not True:
                return self._killed_by(name, "fails")
        return "survived", ""

    def _killed_by(self, name: str, how: str) -> tuple[str, str]:
        # Mutants next to each other tend to die by the same test: try it first next time.
        self.names.remove(name)
        self.names.insert(0, name)
        return "killed", f"{name} {how}"


def judge_file(bundle: PolicyBundle, relative: str, helpers: bool = False) -> list[Outcome]:
    """Every mutant of one rule file, after checking its tests pass on the original."""
    tests = _Tests(bundle, relative)
    original = bundle.modules[relative]
    status, detail = tests.failing(original)
    if status != "survived":
        # The tests must pass on the unmutated rule, or no kill would mean anything.
        baseline = Mutant(relative, 1, "the unmutated file", original)
        return [Outcome(baseline, "broken", f"{status}: {detail}")]
    outcomes = []
    for mutant in mutants(relative, original, helpers=helpers):
        if mutant.equivalent:
            outcomes.append(Outcome(mutant, "equivalent", mutant.equivalent))
            continue
        status, detail = tests.failing(mutant.source)
        outcomes.append(Outcome(mutant, status, detail))
    return outcomes


def judge(bundle: PolicyBundle, mutant: Mutant) -> Outcome:
    """One mutant (see ``judge_file``, which reuses the engine across a file's mutants)."""
    status, detail = _Tests(bundle, mutant.file).failing(mutant.source)
    return Outcome(mutant, status, detail)


def _value(answer: dict[str, Any]) -> Any:
    results = answer.get("result", [])
    return results[0]["expressions"][0]["value"] if results else None


@dataclass(frozen=True)
class Run:
    outcomes: tuple[Outcome, ...]
    untested: tuple[str, ...]
    files: tuple[str, ...]
    seconds: float

    def count(self, status: str) -> int:
        return sum(1 for outcome in self.outcomes if outcome.status == status)

    @property
    def score(self) -> float:
        scored = self.count("killed") + self.count("survived")
        return 100.0 if scored == 0 else 100.0 * self.count("killed") / scored

    @property
    def ok(self) -> bool:
        clean = self.count("survived") == 0 and self.count("broken") == 0
        return clean and not self.untested and self.count("killed") > 0


def run(
    policies: Path = POLICIES,
    files: Iterable[str] | None = None,
    jobs: int = 0,
    helpers: bool = True,
) -> Run:
    """Mutate the rule files (all of them by default) and judge every mutant."""
    started = time.monotonic()
    bundle = load_bundle(policies)
    chosen = sorted(files) if files is not None else rule_files(bundle)
    untested = tuple(f for f in chosen if test_file_of(f) not in bundle.test_modules)
    tested = [relative for relative in chosen if relative not in untested]
    # The files with the most deny bodies first, so the workers finish together.
    tested.sort(key=lambda relative: -bundle.modules[relative].count("\ndeny "))
    workers = min(jobs or os.cpu_count() or 1, max(1, len(tested)))
    if workers == 1:
        per_file = [judge_file(bundle, relative, helpers) for relative in tested]
    else:
        with ProcessPoolExecutor(workers, initializer=_init, initargs=(str(policies),)) as pool:
            per_file = list(pool.map(_judge_file, [(relative, helpers) for relative in tested]))
    outcomes = sorted(
        (outcome for outcomes in per_file for outcome in outcomes),
        key=lambda o: (o.mutant.file, o.mutant.line, o.mutant.description),
    )
    return Run(tuple(outcomes), untested, tuple(chosen), time.monotonic() - started)


def report(result: Run, root_name: str = "policies") -> str:
    lines = []
    for outcome in result.outcomes:
        if outcome.status != "killed":
            where = f"{root_name}/{outcome.mutant.file}:{outcome.mutant.line}"
            detail = f" ({outcome.detail})" if outcome.detail else ""
            lines.append(f"{outcome.status.upper()} {where}: {outcome.mutant.description}{detail}")
    lines.extend(
        f"UNTESTED {root_name}/{f}: no {Path(test_file_of(f)).name}" for f in result.untested
    )
    lines.append(
        f"mutation score: {result.score:.1f} % ({result.count('killed')} killed, "
        f"{result.count('survived')} survived, {result.count('invalid')} not compiling, "
        f"{result.count('equivalent')} marked equivalent; "
        f"{len(result.files)} rule files) in {result.seconds:.1f} s"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.tools.mutate", description=__doc__)
    parser.add_argument("files", nargs="*", help="rule files relative to the policies directory")
    parser.add_argument("--policies", type=Path, default=POLICIES)
    parser.add_argument("--jobs", type=int, default=0, help="worker processes (default: cores)")
    parser.add_argument(
        "--deny-only", action="store_true", help="negate the deny bodies' conditions only"
    )
    args = parser.parse_args(argv)
    result = run(args.policies, args.files or None, args.jobs, helpers=not args.deny_only)
    print(report(result, args.policies.name))
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
