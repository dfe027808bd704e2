"""One gate run, whatever the source: inventory -> policies -> waivers -> report -> evidence."""

from __future__ import annotations

import hashlib
import json
import runpy
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from components import catalog
from components.config import (
    ENFORCEMENT_KEY,
    ENFORCEMENT_OFF,
    ENFORCEMENT_ON,
    PROJECT,
    SECRET_KEYS,
    ConfigError,
    ConfigProblem,
    StackSpec,
    enforcement_setting,
    read_stack_config,
    stack_file,
)
from servegate import audit_log, console
from servegate.audit_log import audit_log_path
from servegate.baseline import load_baseline
from servegate.engines import get_engine
from servegate.engines.base import Engine
from servegate.engines.factory import DEFAULT_ENGINE
from servegate.error_budget import ErrorBudget, inventory_entry, load_error_budget
from servegate.errors import GateError
from servegate.findings import Report
from servegate.gate import judge, with_baseline
from servegate.plan.inventory import build_inventory, evaluation
from servegate.plan.load import load_plan
from servegate.plan.offline import OfflineRun, run_offline
from servegate.plan.ops import DELETING_OPS
from servegate.policy.bundle import PolicyBundle, load_bundle
from servegate.report.writer import write_reports
from servegate.slo_doc import statement_of_plan
from servegate.source_lines import locate
from servegate.waivers import DEFAULT_WAIVERS_PATH, DEFAULT_WARN_EXPIRY_DAYS, load_waivers


@dataclass(frozen=True)
class GateOptions:
    """What every gating command shares (docs/design.md common options)."""

    project_dir: Path
    engine: str = DEFAULT_ENGINE
    opa_url: str | None = None
    formats: tuple[str, ...] = ("json", "md", "html", "sarif", "junit")
    out_dir: Path | None = None
    waivers: Path | None = None
    baseline: Path | None = None
    as_of: date = field(default_factory=lambda: datetime.now(UTC).date())
    """The date the policies judge at (EKS support windows, waiver expiry); default today."""
    # None: the project's reports/audit.jsonl.
    audit_log: Path | None = None
    warn_expiry_days: int = DEFAULT_WARN_EXPIRY_DAYS
    error_budget: Path | None = None
    """An error-budget document (``--error-budget``): policies read it as input.error_budget."""

    def reports_dir(self, stack: str) -> Path:
        return self.out_dir or self.project_dir / "reports" / stack

    def audit_log_path(self) -> Path:
        return audit_log_path(self.project_dir, self.audit_log)


@dataclass(frozen=True)
class GateOutcome:
    report: Report
    written: list[Path] = field(default_factory=list)


@dataclass(frozen=True)
class PlannedStack:
    """A stack's inventory from one source, with the hash of what was judged."""

    inventory: dict[str, Any]
    plan_sha256: str
    outputs: dict[str, Any] = field(default_factory=dict)


def canonical_sha256(document: Any) -> str:
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def offline_run(spec: StackSpec, project_dir: Path) -> OfflineRun:
    """Run the project's Pulumi program for a stack under the SDK's mock engine."""
    program = project_dir / "__main__.py"
    config, secret_keys = offline_config(read_stack_config(stack_file(spec.stack, project_dir)))

    def run_program() -> None:
        runpy.run_path(str(program), run_name="__main__")

    with console.step(f"Running the {spec.stack} program offline"):
        return run_offline(
            run_program,
            project=PROJECT,
            stack=spec.stack,
            config=config,
            secret_keys=secret_keys,
        )


def offline_config(config: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Stack config as the offline run can give it to the program.

    Encrypted values (``{secure: ...}``) need the stack's secrets provider, which the offline
    run does not have: they are left out and the program takes its no-value path. Keys that
    are secret by definition (``SECRET_KEYS``) stay secret even when given in plain text.
    """
    for key in SECRET_KEYS:
        if _encrypted(config.get(f"{PROJECT}:{key}")):
            # Leaving it out would run the program without its key source: fail closed.
            raise ConfigError(
                [
                    ConfigProblem(
                        key=f"{PROJECT}:{key}",
                        message=(
                            "is encrypted and the offline run cannot decrypt it; gate a "
                            "`pulumi preview --json --show-sames` with servegate check, or "
                            "run servegate up"
                        ),
                    )
                ]
            )
    usable = {key: value for key, value in config.items() if not _encrypted(value)}
    secret_keys = [f"{PROJECT}:{key}" for key in SECRET_KEYS if f"{PROJECT}:{key}" in usable]
    return usable, secret_keys


def _encrypted(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"secure"}


def offline_inventory(
    spec: StackSpec, project_dir: Path, run: OfflineRun | None = None
) -> PlannedStack:
    """Normalize what an offline run of the program declared (running it if not given)."""
    run = run or offline_run(spec, project_dir)
    config = read_stack_config(stack_file(spec.stack, project_dir))
    inventory = build_inventory(
        run.resources,
        stack=spec.stack,
        project=PROJECT,
        source="offline",
        declared=spec.declared(),
        stack_region=spec.region,
        stack_urn=run.stack_urn,
        config=config,
    )
    return PlannedStack(inventory, canonical_sha256(inventory["resources"]), dict(run.outputs))


def plan_inventory(plan_path: Path, spec: StackSpec) -> PlannedStack:
    """A `pulumi preview --json` or `pulumi stack export` document, normalized."""
    plan = load_plan(plan_path, stack=spec.stack)
    if spec.models and not any(r.op not in DELETING_OPS for r in plan.resources):
        # A plan that deploys nothing cannot show the declared models served as declared.
        raise GateError(
            f"{plan_path}: the plan leaves no resource in the stack, but stack {spec.stack} "
            f"declares {len(spec.models)} model{'s' if len(spec.models) != 1 else ''}; gate the "
            "preview of the program that deploys them (`pulumi preview --json --show-sames`)"
        )
    # A stack export carries no config: the stack file supplies the region and default tags.
    config = plan.config or read_stack_config(stack_file(spec.stack))
    inventory = build_inventory(
        plan.resources,
        stack=spec.stack,
        project=plan.project or PROJECT,
        source=str(plan.source),
        declared=plan_declared(spec, plan.config),
        stack_region=plan.stack_region or spec.region,
        stack_urn=plan.stack_urn,
        config=config,
    )
    return PlannedStack(inventory, plan.plan_sha256)


def plan_declared(spec: StackSpec, plan_config: Mapping[str, Any]) -> dict[str, Any]:
    """The stack's declared facts, with the enforcement setting the previewed program ran with.

    A preview carries the config the program was given; when it switches enforcement off
    (or says anything but on), AUD-012 judges that, whatever the stack file says now.
    """
    declared = spec.declared()
    key = f"{PROJECT}:{ENFORCEMENT_KEY}"
    if key in plan_config and enforcement_setting(plan_config[key]) != ENFORCEMENT_ON:
        declared["enforcement"] = ENFORCEMENT_OFF
    return declared


def bundle_for(project_dir: Path) -> PolicyBundle:
    return load_bundle(catalog.policies_dir(project_dir))


@dataclass(frozen=True)
class PreparedGate:
    """The policies and the engine of one gate run, loaded before the plan is ready."""

    bundle: PolicyBundle
    engine: Engine


def prepare_gate(options: GateOptions) -> PreparedGate:
    """Load the policies and have an embedded engine's worker start compiling them.

    Called before the program runs (or the plan is read): the worker starts and compiles
    on the other core meanwhile, instead of after it.
    """
    bundle = bundle_for(options.project_dir)
    engine = get_engine(options.engine, opa_url=options.opa_url)
    prepare = getattr(engine, "prepare", None)
    if prepare is not None:
        prepare(bundle.modules, bundle.data)
    return PreparedGate(bundle, engine)


def gate(
    planned: PlannedStack,
    spec: StackSpec,
    options: GateOptions,
    prepared: PreparedGate | None = None,
) -> GateOutcome:
    """Judge an inventory, write the reports and append the decision to the audit log."""
    budget = stack_error_budget(options.error_budget, spec)
    prepared = prepared or prepare_gate(options)
    bundle, engine = prepared.bundle, prepared.engine
    now = datetime.now(UTC)
    waivers = load_waivers(
        options.waivers or options.project_dir / DEFAULT_WAIVERS_PATH,
        today=options.as_of,
        rules={rule.id: rule for rule in bundle.rules},
        required=options.waivers is not None,
    )
    if waivers.path is not None:
        waivers = replace(waivers, path=_shown(Path(waivers.path), options.project_dir))
    with console.step(f"Evaluating {len(bundle.rules)} rules on {engine.name}"):
        report = judge(
            {
                **planned.inventory,
                "evaluation": evaluation(options.as_of),
                **inventory_entry(budget),
            },
            bundle=bundle,
            engine=engine,
            waivers=waivers,
            plan_sha256=planned.plan_sha256,
            now=now,
            today=options.as_of,
            warn_expiry_days=options.warn_expiry_days,
        )
    rule_locations, type_locations = locate(
        bundle.rules, report.findings, options.project_dir, spec.stack
    )
    report = replace(
        report,
        rule_locations=rule_locations,
        type_locations=type_locations,
        sla_statement=statement_of_plan(spec, planned.inventory),
    )
    if options.baseline is not None:
        report = with_baseline(report, load_baseline(options.baseline), str(options.baseline))
    with console.step("Writing reports"):
        written = write_reports(report, options.formats, options.reports_dir(spec.stack))
    audit_log.append(options.audit_log_path(), report)
    return GateOutcome(report=report, written=written)


def stack_error_budget(path: Path | None, spec: StackSpec) -> ErrorBudget | None:
    """The ``--error-budget`` document, which must be of the stack being gated (exit 2 if
    it cannot be read or is another stack's: the gate fails closed)."""
    if path is None:
        return None
    budget = load_error_budget(path)
    if budget.stack != spec.stack:
        raise GateError(
            f"{path}: stack is {budget.stack!r}, but the gate judges stack {spec.stack}; "
            "measure this stack's budget (servegate slo budget -s " + spec.stack + ")"
        )
    return budget


def _shown(path: Path, project_dir: Path) -> str:
    """A path as reports show it: relative to the project when inside it."""
    try:
        return path.resolve().relative_to(project_dir.resolve()).as_posix()
    except ValueError:
        return str(path)
