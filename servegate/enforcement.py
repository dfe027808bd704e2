"""In-program enforcement: the Pulumi program judges what it declares, on every `pulumi up`.

A plain `pulumi up` on a self-managed backend loads no policy pack, so the program itself
holds the gate (issue 9, part 1b). :func:`enforce` registers a stack transformation:

- every resource declared after it gets, through ``depends_on``, a check that the SDK awaits
  before it sends the registration. The check serializes the resource's inputs exactly as
  the SDK is about to send them, normalizes them with the provider that serves it
  (servegate.plan.inventory) and evaluates the bundle; an unwaived mandatory finding of a
  ``scope: resource`` rule raises, so the resource is never registered and nothing
  non-compliant is created. Resources whose inputs resolve together are judged in one
  engine call, and the engine worker starts once per process.
- :meth:`ProgramGate.verdict` judges the whole stack once every check has run: the
  ``scope: stack`` rules decide it, so the preview that `pulumi up` runs first fails on them.

The bundle, engine and waivers are the gate's own: the project's ``policies/``, and the
engine and waivers file named by ``SERVEGATE_ENGINE`` / ``SERVEGATE_WAIVERS`` (what
`servegate up` gives the CrossGuard pack; default regorus and ``policies/waivers.yaml``).
Blocked resources and the stack's verdict go to the audit log.

The classic transformation (``register_stack_transformation``) is used, not the newer
``register_stack_transform``: the new transforms are callbacks the Pulumi engine runs,
and the SDK's mock monitor only records them (pulumi 3.272 ``MockMonitor.RegisterStackTransform``,
"The mock monitor does not run transforms"), so under the mocks the offline gate and the tests
use, a new-style transform would never judge anything. The classic one runs in the program,
under the real engine and the mocks alike, before the SDK serializes the resource.
"""

from __future__ import annotations

import asyncio
import os
import sys
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pulumi
from pulumi import _types
from pulumi.runtime import rpc
from pulumi.runtime.settings import get_monitor

from components import catalog
from servegate import audit_log
from servegate.engines import DEFAULT_ENGINE, get_engine
from servegate.engines.base import Engine
from servegate.engines.factory import OPA_URL_ENV
from servegate.errors import GateError
from servegate.findings import Enforcement, Finding, Report
from servegate.gate import evaluate, judge
from servegate.gate_env import AUDIT_LOG_ENV, ENGINE_ENV, PROJECT_DIR_ENV, WAIVERS_ENV
from servegate.plan import urns
from servegate.plan.inventory import build_inventory
from servegate.plan.offline import plain_struct
from servegate.plan.raw import RawResource
from servegate.plan.secrets import scrub_properties
from servegate.policy.bundle import PolicyBundle, load_bundle
from servegate.run import canonical_sha256
from servegate.waivers import DEFAULT_WAIVERS_PATH, WaiverSet, load_waivers

# The inventory's and the audit log's source for what the program judged itself.
SOURCE_PREVIEW = "program (pulumi preview)"
SOURCE_UPDATE = "program (pulumi up)"
RESOURCE_SCOPE = "resource"
STACK_SCOPE = "stack"

# One engine (one worker process) and one bundle per process, whatever number of stacks or
# test programs run in it.
_ENGINES: dict[tuple[str, str | None], Engine] = {}
_BUNDLES: dict[Path, PolicyBundle] = {}


class PolicyViolation(pulumi.RunError):
    """A resource or the stack breaks a mandatory rule: the program stops, with one line.

    A RunError: Pulumi prints its message without a traceback.
    """


@dataclass(frozen=True)
class EnforcementSettings:
    """What the program judges with: the project's bundle, the gate's engine and waivers."""

    project_dir: Path
    engine: str = DEFAULT_ENGINE
    opa_url: str | None = None
    waivers: Path | None = None
    """A waivers file named explicitly (``SERVEGATE_WAIVERS``): it must exist."""
    audit_log: Path | None = None

    @classmethod
    def from_environment(
        cls, default_project_dir: Path, environ: Mapping[str, str] = os.environ
    ) -> EnforcementSettings:
        project = environ.get(PROJECT_DIR_ENV)
        waivers = environ.get(WAIVERS_ENV)
        audit = environ.get(AUDIT_LOG_ENV)
        return cls(
            project_dir=Path(project) if project else default_project_dir,
            engine=environ.get(ENGINE_ENV) or DEFAULT_ENGINE,
            opa_url=environ.get(OPA_URL_ENV),
            waivers=Path(waivers) if waivers else None,
            audit_log=Path(audit) if audit else None,
        )

    def audit_log_path(self) -> Path:
        return audit_log.audit_log_path(self.project_dir, self.audit_log)


@dataclass(frozen=True)
class StackFacts:
    """The stack being declared, as the inventory names it."""

    stack: str
    project: str
    declared: dict[str, Any]
    region: str
    config: dict[str, Any] = field(default_factory=dict)


def engine_for(settings: EnforcementSettings) -> Engine:
    key = (settings.engine, settings.opa_url)
    if key not in _ENGINES:
        _ENGINES[key] = get_engine(settings.engine, opa_url=settings.opa_url)
    return _ENGINES[key]


def bundle_for(project_dir: Path) -> PolicyBundle:
    root = catalog.policies_dir(project_dir).resolve()
    if root not in _BUNDLES:
        _BUNDLES[root] = load_bundle(root)
    return _BUNDLES[root]


class _Dispatch:
    """The one transformation registered on a root stack; it hands resources to its gate.

    The SDK keeps a root stack's transformations for as long as the root lives, and test
    programs under the mocks share one root: registering once per root and replacing the gate
    keeps each resource judged once, by the program being declared now.
    """

    def __init__(self) -> None:
        self.gate: ProgramGate | None = None
        self._monitor: object = None

    def attach(self, gate: ProgramGate | None) -> None:
        self.gate = gate
        self._monitor = get_monitor()

    def __call__(
        self, args: pulumi.ResourceTransformationArgs
    ) -> pulumi.ResourceTransformationResult | None:
        # A gate judges the program (the monitor) it was started in, and only until its
        # stack verdict: test programs reuse one root stack.
        if self.gate is None or self.gate.finished or get_monitor() is not self._monitor:
            return None
        return self.gate.transformation(args)


_DISPATCH: weakref.WeakKeyDictionary[pulumi.Resource, _Dispatch] = weakref.WeakKeyDictionary()


def _dispatch() -> _Dispatch:
    root = pulumi.runtime.get_root_resource()
    if root is None:
        raise PolicyViolation("servegate enforcement needs a running Pulumi program")
    dispatch = _DISPATCH.get(root)
    if dispatch is None:
        dispatch = _DISPATCH[root] = _Dispatch()
        pulumi.runtime.register_stack_transformation(dispatch)
    return dispatch


def stand_aside() -> None:
    """Judge nothing declared from now on (enforcement off, or the offline gate runs)."""
    root = pulumi.runtime.get_root_resource()
    dispatch = _DISPATCH.get(root) if root is not None else None
    if dispatch is not None:
        dispatch.attach(None)


def enforce(facts: StackFacts, settings: EnforcementSettings) -> ProgramGate:
    """Judge every resource declared from now on, and return the gate for the stack verdict.

    Raises PolicyViolation (one line) when the bundle, the engine or the waivers cannot be
    loaded: a program that cannot judge does not deploy.
    """
    try:
        bundle = bundle_for(settings.project_dir)
        today = datetime.now(UTC).date()
        waivers = load_waivers(
            settings.waivers or settings.project_dir / DEFAULT_WAIVERS_PATH,
            today=today,
            rules={rule.id: rule for rule in bundle.rules},
            required=settings.waivers is not None,
        )
        gate = ProgramGate(facts, settings, bundle, engine_for(settings), waivers, today)
    except GateError as error:
        raise PolicyViolation(f"servegate enforcement cannot start: {_one_line(error)}") from None
    _dispatch().attach(gate)
    return gate


class ProgramGate:
    """The checks of one program run: per resource as registered, over the stack at the end."""

    def __init__(
        self,
        facts: StackFacts,
        settings: EnforcementSettings,
        bundle: PolicyBundle,
        engine: Engine,
        waivers: WaiverSet,
        today: date,
    ) -> None:
        self.facts = facts
        self.settings = settings
        self.bundle = bundle
        self.engine = engine
        self.waivers = waivers
        self.today = today
        self.source = SOURCE_PREVIEW if pulumi.runtime.is_dry_run() else SOURCE_UPDATE
        self._scope = {rule.id: rule.scope for rule in bundle.rules}
        # Every resource judged so far, in declaration order (the providers of later ones).
        self._seen: dict[str, RawResource] = {}
        self._checks: list[asyncio.Future[None]] = []
        # The URN of each resource this gate saw declared, as the engine names it: known
        # before the registration (the monitor's own URN comes after it, and the SDK's mock
        # monitor names nested resources differently from the engine).
        self._urns: dict[int, tuple[pulumi.Resource, asyncio.Future[str]]] = {}
        self._ready: list[tuple[RawResource, asyncio.Future[list[Finding]]]] = []
        self._draining = False
        # Set once the stack verdict is being decided: nothing declared later is judged.
        self.finished = False

    # -- per resource ---------------------------------------------------------------------

    def transformation(
        self, args: pulumi.ResourceTransformationArgs
    ) -> pulumi.ResourceTransformationResult:
        """Make the resource's registration wait for its check (a failed check stops it)."""
        urn: asyncio.Future[str] = asyncio.get_event_loop().create_future()
        self._urns[id(args.resource)] = (args.resource, urn)
        check = asyncio.ensure_future(
            self._check(args.resource, args.type_, args.name, args.props, args.opts, urn)
        )
        self._checks.append(check)
        # The SDK awaits depends_on before it serializes and sends the registration; the
        # check resolves to None, which adds no dependency.
        gate: pulumi.Output[Any] = pulumi.Output.from_input(check)
        opts = pulumi.ResourceOptions.merge(args.opts, pulumi.ResourceOptions(depends_on=[gate]))
        return pulumi.ResourceTransformationResult(props=args.props, opts=opts)

    async def _check(
        self,
        resource: pulumi.Resource,
        type_: str,
        name: str,
        props: Mapping[str, Any],
        opts: pulumi.ResourceOptions,
        urn: asyncio.Future[str],
    ) -> None:
        try:
            raw = await self._raw(resource, type_, name, props, opts, urn)
        except BaseException as error:
            if not urn.done():
                urn.set_exception(error)
            raise
        self._seen.setdefault(raw.urn, raw)
        findings = await self._judged(raw)
        for finding in findings:
            if finding.enforcement is not Enforcement.MANDATORY:
                pulumi.log.warn(f"servegate: {describe(finding)}")
        blocking = [finding for finding in findings if finding.blocking]
        if blocking:
            self._log_blocked(raw, blocking)
            raise PolicyViolation(_summary(blocking))

    async def _raw(
        self,
        resource: pulumi.Resource,
        type_: str,
        name: str,
        props: Mapping[str, Any],
        opts: pulumi.ResourceOptions,
        urn: asyncio.Future[str],
    ) -> RawResource:
        """The resource as the registration request will carry it (servegate.plan.offline
        records the same from the mock monitor)."""
        parent = opts.parent
        root = pulumi.runtime.get_root_resource()
        if parent is None or parent is root:
            parent_urn = urns.stack_urn(self.facts.stack, self.facts.project)
        else:
            parent_urn = await self._urn_of(parent)
        own = _urn(parent_urn, type_, name, self.facts)
        urn.set_result(own)
        typ = _input_type(resource, props)
        dependencies: dict[str, list[pulumi.Resource]] = {}
        struct = await rpc.serialize_properties(
            props,
            dependencies,
            resource,
            None if typ is not None else resource.translate_input_property,
            typ,
        )
        deps: dict[str, list[str]] = {}
        for key, resources in dependencies.items():
            expanded = await rpc._expand_dependencies(resources, from_resource=resource)
            if expanded:
                deps[key] = sorted({await self._urn_of(dep) for dep in expanded.values()})
        custom = isinstance(resource, pulumi.CustomResource)
        provider = getattr(resource, "_provider", None) if custom else None
        reference = None
        if provider is not None:
            provider_id = await provider.id.future()
            reference = f"{await self._urn_of(provider)}::{provider_id or rpc.UNKNOWN}"
        return RawResource(
            urn=own,
            type=type_,
            name=name,
            custom=custom,
            op="create",
            inputs=scrub_properties(type_, plain_struct(struct)),
            parent=parent_urn,
            provider=reference,
            deps=deps,
        )

    async def _urn_of(self, resource: pulumi.Resource) -> str:
        known = self._urns.get(id(resource))
        if known is not None and known[0] is resource:
            return await known[1]
        # Declared before enforcement started: only the monitor knows its URN.
        return str(await resource.urn.future())

    async def _judged(self, raw: RawResource) -> list[Finding]:
        """This resource's unwaived resource-scope findings, judged with the others ready now."""
        future: asyncio.Future[list[Finding]] = asyncio.get_running_loop().create_future()
        self._ready.append((raw, future))
        if not self._draining:
            self._draining = True
            asyncio.ensure_future(self._drain())
        return await future

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._ready:
                # Let the other checks whose inputs just resolved join this engine call.
                await asyncio.sleep(0)
                batch, self._ready = self._ready, []
                try:
                    results = await loop.run_in_executor(
                        None, self._judge_resources, [raw for raw, _ in batch]
                    )
                except Exception as error:  # noqa: BLE001 - handed to every waiting check
                    failure = PolicyViolation(
                        f"servegate enforcement cannot judge: {_one_line(error)}"
                    )
                    for _, future in batch:
                        future.set_exception(failure)
                    continue
                for raw, future in batch:
                    future.set_result(results.get(raw.urn, []))
        finally:
            self._draining = False

    def _judge_resources(self, batch: Sequence[RawResource]) -> dict[str, list[Finding]]:
        judged = {raw.urn for raw in batch}
        resources = {raw.urn: raw for raw in batch}
        # Each resource's provider (region, default tags) is part of what it is judged on.
        for raw in batch:
            provider_urn = raw.provider.rsplit("::", 1)[0] if raw.provider else None
            if provider_urn and provider_urn in self._seen:
                resources.setdefault(provider_urn, self._seen[provider_urn])
        inventory = self._inventory(list(resources.values()))
        grouped: dict[str, list[Finding]] = {}
        for finding in self.waivers.apply(
            evaluate(inventory, bundle=self.bundle, engine=self.engine)
        ):
            if (
                finding.resource_urn in judged
                and self._scope.get(finding.rule_id) == RESOURCE_SCOPE
                and not finding.waived
            ):
                grouped.setdefault(finding.resource_urn, []).append(finding)
        return grouped

    # -- the whole stack ------------------------------------------------------------------

    def verdict(self) -> pulumi.Output[str]:
        """The stack-scope verdict once every resource declared so far is judged.

        Resolves to "pass" or "fail" (advisory findings only); raises PolicyViolation on an
        unwaived mandatory stack-scope finding. ServingStack registers it as an output, so
        Pulumi waits for it before the program ends, in the preview and in the update.
        """
        return pulumi.Output.from_input(self._stack_check())

    async def _stack_check(self) -> str:
        while pending := [check for check in self._checks if not check.done()]:
            await asyncio.wait(pending)
        self.finished = True
        if any(check.exception() is not None for check in self._checks):
            # A resource was blocked: that error stops the program; judging on is moot.
            return "fail"
        loop = asyncio.get_running_loop()
        try:
            report = await loop.run_in_executor(None, self._judge_stack)
        except GateError as error:
            raise PolicyViolation(
                f"servegate enforcement cannot judge the stack: {_one_line(error)}"
            ) from None
        blocking = [
            finding
            for finding in report.findings
            if finding.blocking and self._scope.get(finding.rule_id) == STACK_SCOPE
        ]
        for finding in report.findings:
            advisory = finding.enforcement is not Enforcement.MANDATORY and not finding.waived
            if advisory and self._scope.get(finding.rule_id) == STACK_SCOPE:
                pulumi.log.warn(f"servegate: {describe(finding)}")
        if blocking:
            raise PolicyViolation(_summary(blocking))
        return report.verdict.value

    def _judge_stack(self) -> Report:
        inventory = self._inventory(list(self._seen.values()))
        report = judge(
            inventory,
            bundle=self.bundle,
            engine=self.engine,
            waivers=self.waivers,
            plan_sha256=canonical_sha256(inventory["resources"]),
            today=self.today,
        )
        audit_log.append(self.settings.audit_log_path(), report)
        return report

    # -- shared ---------------------------------------------------------------------------

    def _inventory(self, resources: list[RawResource]) -> dict[str, Any]:
        return build_inventory(
            resources,
            stack=self.facts.stack,
            project=self.facts.project,
            source=self.source,
            declared=self.facts.declared,
            stack_region=self.facts.region,
            stack_urn=urns.stack_urn(self.facts.stack, self.facts.project),
            config=self.facts.config,
            as_of=self.today,
        )

    def _log_blocked(self, raw: RawResource, findings: Sequence[Finding]) -> None:
        entry = audit_log.blocked_entry(
            stack=self.facts.stack,
            source=self.source,
            resource_urn=raw.urn,
            rule_ids=sorted({finding.rule_id for finding in findings}),
            reason=_summary(findings),
            policies_sha256=self.bundle.sha256,
            engine={"name": self.engine.name, "version": self.engine.version},
            env=os.environ,
            now=datetime.now(UTC),
        )
        audit_log.append_entry(self.settings.audit_log_path(), entry)


def describe(finding: Finding) -> str:
    """One line naming the rule and the resource (no evidence value: it may be secret)."""
    undecided = "undecided until apply: " if finding.result.value == "undecided" else ""
    return (
        f"{finding.rule_id} ({finding.severity.value}, {finding.enforcement.value}) on "
        f"{finding.resource_urn}: {undecided}{finding.message}"
    )


def _summary(findings: Sequence[Finding]) -> str:
    first = findings[0]
    more = len(findings) - 1
    tail = f" (and {more} more finding{'s' if more != 1 else ''})" if more else ""
    return f"servegate blocked {describe(first)}{tail}"


def _urn(parent_urn: str | None, type_: str, name: str, facts: StackFacts) -> str:
    # As the engine names it: the parent's type chain, less the root stack, then the type.
    qualified = type_
    if parent_urn and urns.type_of(parent_urn) != urns.ROOT_STACK_TYPE:
        qualified = f"{parent_urn.split('::')[2]}${type_}"
    return f"urn:pulumi:{facts.stack}::{facts.project}::{qualified}::{name}"


def _input_type(resource: pulumi.Resource, props: Mapping[str, Any]) -> type | None:
    """The input type the SDK translates this resource's property names with.

    The transformation is not given it. Generated resources build their properties as
    ``<Class>Args`` of their own module (``<Class>InitArgs`` where that name is taken by a
    nested type); the one whose properties hold every set key is it. Components pass plain
    mappings (None here). tests/test_enforcement.py checks the result against what the mock
    monitor received, for every resource of every shipped stack.
    """
    cls = type(resource)
    module = sys.modules.get(cls.__module__)
    keys = {key for key, value in props.items() if value is not None}
    for suffix in ("InitArgs", "Args"):
        candidate = getattr(module, f"{cls.__name__}{suffix}", None)
        if (
            isinstance(candidate, type)
            and _types.is_input_type(candidate)
            and keys <= set(_types.input_type_py_to_pulumi_names(candidate))
        ):
            return candidate
    return None


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__
