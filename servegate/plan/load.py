"""Loading a plan file: read, detect its format, parse, check which stack it is."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from servegate.errors import GateError
from servegate.plan import urns
from servegate.plan.detect import PlanFormat, detect_format
from servegate.plan.export import parse_export
from servegate.plan.gc_pause import gc_paused
from servegate.plan.parents import check_parents
from servegate.plan.preview import parse_preview
from servegate.plan.raw import RawResource

_TOO_DEEP = "values nested too deeply for a Pulumi plan"


@dataclass(frozen=True)
class LoadedPlan:
    """A plan document, parsed. ``stack``/``project`` come from its URNs."""

    path: Path
    source: PlanFormat
    plan_sha256: str
    stack: str
    project: str
    stack_urn: str
    resources: list[RawResource]
    config: dict[str, Any] = field(default_factory=dict)
    change_summary: dict[str, int] = field(default_factory=dict)

    @property
    def stack_region(self) -> str | None:
        """The stack's ``aws:region`` when the document carries config (previews do)."""
        region = self.config.get("aws:region")
        return region if isinstance(region, str) and region else None


def load_plan(path: Path, *, stack: str | None = None) -> LoadedPlan:
    """Read and parse ``path``; with ``stack``, refuse a plan of another stack.

    Every problem is a :class:`GateError` with one line naming the file.
    """
    try:
        return _load_plan(path, stack)
    except GateError as error:
        # Messages quote keys and URNs of the document, which may hold line ends or other
        # control characters: escaped, so the error stays one readable line.
        text = str(error)
        if text.isprintable():
            raise
        raise GateError(_printable(text)) from None


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _load_plan(path: Path, stack: str | None) -> LoadedPlan:
    file = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise GateError(f"{file}: no such file") from None
    except OSError as error:
        raise GateError(f"{file}: cannot read ({error.strerror or error})") from None
    # isspace() copies nothing (strip() would copy a 95 MB plan of 50k resources).
    if not data or data.isspace():
        raise GateError(f"{file}: empty file, expected a Pulumi plan (JSON)")
    digest = hashlib.sha256(data).hexdigest()
    with gc_paused():
        try:
            # One copy of the document at a time (a 50k-resource plan is 95 MB): the bytes
            # go once decoded, the text once parsed.
            text = data.decode("utf-8-sig")
            del data
            doc = json.loads(text)
            del text
        except UnicodeDecodeError:
            raise GateError(f"{file}: not UTF-8 text, expected a Pulumi plan (JSON)") from None
        except json.JSONDecodeError as error:
            raise GateError(
                f"{file}: not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})"
            ) from None
        except RecursionError:
            raise GateError(f"{file}: {_TOO_DEEP}") from None

        source = detect_format(doc, file)
        try:
            parsed = parse_preview(doc, file) if source == "preview" else parse_export(doc, file)
        except RecursionError:
            # Values nested close to the parser's limit are walked again when scrubbed.
            raise GateError(f"{file}: {_TOO_DEEP}") from None
        check_parents(parsed.resources, file)
    known = [parsed.stack_urn] if parsed.stack_urn else []
    all_urns = known + [resource.urn for resource in parsed.resources]
    if not all_urns:
        raise GateError(f"{file}: the plan lists no resources, not even the root stack")
    plan_stack, project = _one_stack(all_urns, file)
    if stack is not None and stack != plan_stack:
        raise GateError(f"{file}: the plan is of stack {plan_stack!r}, not of stack {stack!r}")
    return LoadedPlan(
        path=path,
        source=source,
        plan_sha256=digest,
        stack=plan_stack,
        project=project,
        stack_urn=parsed.stack_urn or urns.stack_urn(plan_stack, project),
        resources=parsed.resources,
        config=parsed.config,
        change_summary=parsed.change_summary,
    )


def _one_stack(all_urns: list[str], file: str) -> tuple[str, str]:
    first = all_urns[0]
    prefix = first.split("::", 2)[0] + "::" + urns.project_of(first) + "::"
    for urn in all_urns:
        if not urn.startswith(prefix):
            raise GateError(
                f"{file}: resources of several stacks ({first!r} and {urn!r}); "
                "gate one stack's plan at a time"
            )
    return urns.stack_of(first), urns.project_of(first)
