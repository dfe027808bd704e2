"""The `servegate` command (docs/design.md CLI contract).

Exit codes: 0 pass, 1 an unwaived mandatory violation, 2 the gate could not judge.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer

from components import catalog
from components.config import ConfigError, load_stack
from servegate import console
from servegate.audit_log import DEFAULT_AUDIT_LOG
from servegate.cli.options import GlobalOptionsAnywhere, check_engine, check_formats
from servegate.engines.factory import DEFAULT_ENGINE
from servegate.errors import GateError
from servegate.waivers import DEFAULT_WAIVERS_PATH, DEFAULT_WARN_EXPIRY_DAYS

app = typer.Typer(
    name="servegate",
    # `servegate preview -s dev -q` works as well as `servegate -q preview -s dev`.
    cls=GlobalOptionsAnywhere,
    help="Policy-gated infrastructure for self-hosted LLM serving.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
policies_app = typer.Typer(help="The Rego policy library.", no_args_is_help=True)
ci_app = typer.Typer(help="CI pipelines that gate every change.", no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
slo_app = typer.Typer(help="Service-level objectives and what defends them.", no_args_is_help=True)
app.add_typer(policies_app, name="policies")
app.add_typer(slo_app, name="slo")
app.add_typer(ci_app, name="ci")
app.add_typer(audit_app, name="audit")

_settings: dict[str, Any] = {"debug": False, "project_dir": Path.cwd()}
T = TypeVar("T")

StackOpt = Annotated[
    str, typer.Option("--stack", "-s", help="Stack name (stacks/Pulumi.<name>.yaml).")
]
EngineOpt = Annotated[
    str,
    typer.Option(
        "--engine",
        help="regorus (default), regopy or opa-go (embedded; opa-go is the official OPA "
        "engine), or opa (an OPA server).",
    ),
]
OpaUrlOpt = Annotated[
    str | None,
    typer.Option("--opa-url", envvar="OPA_URL", help="OPA server for --engine opa."),
]
FormatOpt = Annotated[
    str,
    typer.Option("--format", help="Any of md,html,json,sarif,junit,codequality (comma-separated)."),
]
OutOpt = Annotated[
    Path | None, typer.Option("--out", help="Report folder (default reports/STACK/).")
]
WaiversOpt = Annotated[
    Path | None,
    typer.Option(
        "--waivers", help=f"Waivers file (default {DEFAULT_WAIVERS_PATH.as_posix()}, if present)."
    ),
]
WarnExpiryOpt = Annotated[
    int,
    typer.Option(
        "--warn-expiry", min=0, metavar="DAYS", help="Report waivers that end within DAYS days."
    ),
]
AuditLogOpt = Annotated[
    Path | None,
    typer.Option("--audit-log", help=f"Audit log file (default {DEFAULT_AUDIT_LOG.as_posix()})."),
]
BaselineOpt = Annotated[
    Path | None, typer.Option("--baseline", help="An approved report.json to diff against.")
]
AsOfOpt = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        metavar="YYYY-MM-DD",
        help="Judge as on this date (support windows, waiver expiry); default today, UTC.",
    ),
]
ErrorBudgetOpt = Annotated[
    Path | None,
    typer.Option(
        "--error-budget",
        metavar="FILE",
        help="Error-budget document (servegate slo budget): a model whose budget is spent gets "
        "only capacity and rollbacks (SLA-024).",
    ),
]
ALL_FORMATS = "json,md,html,sarif,junit"


def _fail(message: str) -> NoReturn:
    console.error(message)
    raise typer.Exit(2)


def _guard(action: Callable[[], T], on_failure: Callable[[str], str] | None = None) -> T:
    """Run a command body: user errors become one line and exit 2; --debug shows the traceback.

    ``on_failure`` gets that line before it is printed (gating commands log it) and returns
    the line to print.
    """
    reason = ""
    try:
        return action()
    except typer.Exit:
        raise
    except (GateError, ConfigError) as exc:
        if _settings["debug"]:
            traceback.print_exc()
        reason = str(exc)
    except KeyboardInterrupt:
        reason = "interrupted"
    except Exception as exc:  # noqa: BLE001 - fail closed on anything unexpected
        if _settings["debug"]:
            traceback.print_exc()
        reason = f"internal error: {type(exc).__name__}: {exc} (re-run with --debug for details)"
    _fail(on_failure(reason) if on_failure is not None else reason)


def _logging_failures(
    stack: str, command: str, engine: str, audit_log: Path | None
) -> Callable[[str], str]:
    """An ``on_failure`` for gating commands: a run that ends with exit 2 is logged too."""

    def log(reason: str) -> str:
        from servegate.audit_log import append_error, audit_log_path

        try:
            append_error(
                audit_log_path(_project(), audit_log),
                stack=stack,
                command=command,
                # One line in the log, whatever the message (a config error lists several).
                reason="; ".join(reason.splitlines()),
                engine=engine,
            )
        except GateError as exc:
            return f"{reason} (and the audit log could not record it: {exc})"
        return reason

    return log


@app.callback()
def main(
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Only errors and the verdict.")
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
    project_dir: Annotated[
        Path, typer.Option("--project-dir", "-C", help="The Pulumi project folder.")
    ] = Path(),
) -> None:
    console.configure(quiet=quiet)
    _settings["debug"] = debug
    _settings["project_dir"] = project_dir.resolve()


def _project() -> Path:
    path: Path = _settings["project_dir"]
    return path


def _options(
    engine: str,
    opa_url: str | None,
    formats: str,
    out: Path | None,
    waivers: Path | None,
    baseline: Path | None,
    as_of: str | None,
    *,
    audit_log: Path | None = None,
    warn_expiry: int = DEFAULT_WARN_EXPIRY_DAYS,
    error_budget: Path | None = None,
) -> Any:
    """The common options, checked before the command does anything else (exit 2 on a typo)."""
    from servegate.run import GateOptions

    check_engine(engine, opa_url)
    return GateOptions(
        project_dir=_project(),
        engine=engine,
        opa_url=opa_url,
        formats=check_formats(formats),
        out_dir=out,
        waivers=waivers,
        baseline=baseline,
        as_of=_as_of(as_of) if as_of is not None else datetime.now(UTC).date(),
        audit_log=audit_log,
        warn_expiry_days=warn_expiry,
        error_budget=error_budget,
    )


def _as_of(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise GateError(f"--as-of: {text!r} is not a date; write it as YYYY-MM-DD") from None


def _finish(outcome: Any) -> NoReturn:
    from servegate.cli.terminal import print_report
    from servegate.gate import exit_code

    print_report(outcome.report, [] if console.quiet() else outcome.written)
    raise typer.Exit(exit_code(outcome.report))


@app.command()
def preview(
    stack: StackOpt,
    engine: EngineOpt = DEFAULT_ENGINE,
    opa_url: OpaUrlOpt = None,
    format: FormatOpt = ALL_FORMATS,  # noqa: A002 - the contract's option name
    out: OutOpt = None,
    waivers: WaiversOpt = None,
    baseline: BaselineOpt = None,
    as_of: AsOfOpt = None,
    save_plan: Annotated[
        Path | None,
        typer.Option("--save-plan", help="Also write the run as a preview JSON for `check`."),
    ] = None,
    warn_expiry: WarnExpiryOpt = DEFAULT_WARN_EXPIRY_DAYS,
    audit_log: AuditLogOpt = None,
    error_budget: ErrorBudgetOpt = None,
) -> None:
    """Run the Pulumi program offline (SDK mocks, no cloud), summarize it and gate it."""

    def body() -> None:
        from components.config import read_stack_config, stack_file
        from servegate.cli.terminal import print_summary
        from servegate.plan.emit import preview_document
        from servegate.run import (
            gate,
            offline_inventory,
            offline_run,
            prepare_gate,
            stack_error_budget,
        )
        from servegate.summary import summarize

        options = _options(
            engine,
            opa_url,
            format,
            out,
            waivers,
            baseline,
            as_of,
            audit_log=audit_log,
            warn_expiry=warn_expiry,
            error_budget=error_budget,
        )
        spec = load_stack(stack, _project())
        # An unusable budget file fails before the program runs, not after.
        stack_error_budget(options.error_budget, spec)
        prepared = prepare_gate(options)
        run = offline_run(spec, _project())
        planned = offline_inventory(spec, _project(), run)
        if save_plan is not None:
            config = read_stack_config(stack_file(stack, _project()))
            save_plan.parent.mkdir(parents=True, exist_ok=True)
            save_plan.write_text(json.dumps(preview_document(run, config), indent=1) + "\n")
        summary = summarize(spec, planned.inventory)
        folder = options.reports_dir(stack)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "summary.json").write_text(
            json.dumps(summary.to_dict(), indent=2) + "\n", encoding="utf-8"
        )
        if not console.quiet():
            print_summary(summary)
        _finish(gate(planned, spec, options, prepared))

    _guard(body, _logging_failures(stack, "offline", engine, audit_log))


@app.command()
def check(
    plan: Annotated[
        Path,
        typer.Argument(
            help="`pulumi preview --json --show-sames` or `pulumi stack export` output."
        ),
    ],
    stack: StackOpt,
    engine: EngineOpt = DEFAULT_ENGINE,
    opa_url: OpaUrlOpt = None,
    format: FormatOpt = ALL_FORMATS,  # noqa: A002
    out: OutOpt = None,
    waivers: WaiversOpt = None,
    baseline: BaselineOpt = None,
    as_of: AsOfOpt = None,
    warn_expiry: WarnExpiryOpt = DEFAULT_WARN_EXPIRY_DAYS,
    audit_log: AuditLogOpt = None,
    error_budget: ErrorBudgetOpt = None,
) -> None:
    """Gate a preview or a stack export (the format is detected)."""

    def body() -> None:
        from servegate.run import gate, plan_inventory, prepare_gate

        options = _options(
            engine,
            opa_url,
            format,
            out,
            waivers,
            baseline,
            as_of,
            audit_log=audit_log,
            warn_expiry=warn_expiry,
            error_budget=error_budget,
        )
        spec = load_stack(stack, _project())
        prepared = prepare_gate(options)
        _finish(gate(plan_inventory(plan, spec), spec, options, prepared))

    _guard(body, _logging_failures(stack, f"check {plan}", engine, audit_log))


def _interactive() -> bool:
    """A person can answer a prompt (tests replace this)."""
    return sys.stdin.isatty()


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def up(
    ctx: typer.Context,
    stack: StackOpt,
    engine: EngineOpt = DEFAULT_ENGINE,
    opa_url: OpaUrlOpt = None,
    format: FormatOpt = ALL_FORMATS,  # noqa: A002
    out: OutOpt = None,
    waivers: WaiversOpt = None,
    as_of: AsOfOpt = None,
    warn_expiry: WarnExpiryOpt = DEFAULT_WARN_EXPIRY_DAYS,
    audit_log: AuditLogOpt = None,
    error_budget: ErrorBudgetOpt = None,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Apply the gated plan without asking.")
    ] = False,
) -> None:
    """Gate an update plan, then apply exactly that plan.

    Runs `pulumi preview --json --show-sames --save-plan`, gates the preview, and only on a
    pass (and your confirmation, or --yes) runs `pulumi up --plan` with the CrossGuard pack
    judging with the same engine, waivers and policies. Arguments after `--` go to both
    Pulumi runs.
    """

    def body() -> None:
        from servegate import pulumi_cli
        from servegate.audit_log import append_update, audit_log_path
        from servegate.cli.terminal import print_report
        from servegate.gate import exit_code
        from servegate.run import gate, plan_inventory

        options = _options(
            engine,
            opa_url,
            format,
            out,
            waivers,
            None,
            as_of,
            audit_log=audit_log,
            warn_expiry=warn_expiry,
            error_budget=error_budget,
        )
        today = datetime.now(UTC).date()
        if options.as_of < today:
            # up deploys now: an earlier date would pass versions and waivers that have lapsed.
            raise GateError(
                f"--as-of: up deploys today ({today.isoformat()}); "
                f"{options.as_of.isoformat()} is earlier (use check to reproduce a past decision)"
            )
        spec = load_stack(stack, _project())
        extra = list(ctx.args)
        preview = pulumi_cli.preview_with_plan(stack, _project(), options.reports_dir(stack), extra)
        outcome = gate(plan_inventory(preview.document, spec), spec, options)
        code = exit_code(outcome.report)
        if code != 0:
            console.error(f"the gate did not pass (exit {code}): pulumi up was not run")
            _finish(outcome)
        print_report(outcome.report, outcome.written)
        digest = preview.update_plan_sha256
        if not yes:
            if not _interactive():
                raise GateError(
                    "not a terminal, so nobody can confirm: pass --yes to apply the gated "
                    f"plan (sha256 {digest[:12]}) without asking"
                )
            if not typer.confirm(
                f"Apply the gated plan (sha256 {digest[:12]}) to stack {stack}?", default=False
            ):
                console.error("not applied: the update was declined")
                raise typer.Exit(1)
        pack = pulumi_cli.PackSettings(
            engine=engine, project_dir=_project(), waivers=waivers, opa_url=opa_url
        )
        update_code = pulumi_cli.apply_plan(stack, _project(), preview, pack, extra)
        append_update(
            audit_log_path(_project(), audit_log),
            report=outcome.report,
            update_plan_sha256=digest,
            update_exit_code=update_code,
        )
        raise typer.Exit(update_code)

    _guard(body, _logging_failures(stack, "up", engine, audit_log))


@app.command()
def inventory(
    stack: StackOpt,
    plan: Annotated[
        Path | None,
        typer.Option("--plan", help="Normalize this preview/export instead of running offline."),
    ] = None,
) -> None:
    """Print the normalized inventory (what the policies see) as JSON."""

    def body() -> None:
        from servegate.run import offline_inventory, plan_inventory

        spec = load_stack(stack, _project())
        planned = plan_inventory(plan, spec) if plan else offline_inventory(spec, _project())
        sys.stdout.write(json.dumps(planned.inventory, indent=2, sort_keys=False) + "\n")

    _guard(body)


@app.command()
def render(
    stack: StackOpt,
    out: Annotated[Path, typer.Option("--out", help="Folder for the YAML manifests.")],
) -> None:
    """Write every Kubernetes object of the stack as YAML."""

    def body() -> None:
        from servegate.k8s_manifests import write_manifests
        from servegate.run import offline_inventory

        spec = load_stack(stack, _project())
        planned = offline_inventory(spec, _project())
        written = write_manifests(planned.inventory, out)
        console.info(f"wrote {len(written)} files under {out}")

    _guard(body)


@app.command("new-stack")
def new_stack(
    name: Annotated[str, typer.Argument(help="Stack name, e.g. prod-ca2.")],
    zone: Annotated[
        str, typer.Option("--zone", help="Sovereignty zone (policies/data/zones.yaml).")
    ],
    region: Annotated[str, typer.Option("--region", help="AWS region inside the zone.")],
    availability: Annotated[
        float | None,
        typer.Option("--availability", help="Declared availability, % (default 99.9)."),
    ] = None,
    no_sla: Annotated[
        bool, typer.Option("--no-sla", help="Declare no SLA (one replica, no floor).")
    ] = False,
    environment: Annotated[
        str | None,
        typer.Option("--environment", help="Environment (default: the name's first part)."),
    ] = None,
    air_gapped: Annotated[bool, typer.Option("--air-gapped", help="No internet egress.")] = False,
    instance_type: Annotated[str, typer.Option("--instance-type")] = "g6.xlarge",
    owner: Annotated[str, typer.Option("--owner")] = "ml-platform",
    cost_center: Annotated[
        str | None, typer.Option("--cost-center", help="Default: a placeholder AUD-010 flags.")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Scaffold stacks/Pulumi.NAME.yaml from servegate/templates/stack/."""

    def body() -> None:
        from servegate.scaffold import (
            DEFAULT_AVAILABILITY,
            PLACEHOLDER_COST_CENTER,
            NewStack,
            write_stack,
        )

        if no_sla and availability is not None:
            raise GateError("--no-sla and --availability contradict each other: pass one")
        declared = DEFAULT_AVAILABILITY if availability is None else availability
        request = NewStack(
            name=name,
            zone=zone,
            region=region,
            availability=None if no_sla else declared,
            air_gapped=air_gapped,
            instance_type=instance_type,
            owner=owner,
            cost_center=cost_center or PLACEHOLDER_COST_CENTER,
            environment=environment,
        )
        path = write_stack(request, _project(), force=force)
        console.info(f"wrote {path}; gate it with: servegate preview -s {name}")

    _guard(body)


@ci_app.command("init")
def ci_init(
    provider: Annotated[str, typer.Option("--provider", help="github or gitlab.")],
    backend: Annotated[
        str,
        typer.Option(
            "--backend",
            help="cloud (Pulumi Cloud, PULUMI_ACCESS_TOKEN) or self-managed "
            "(PULUMI_BACKEND_URL, e.g. an in-region S3 bucket with a KMS secrets provider).",
        ),
    ] = "cloud",
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a pipeline: preview -> servegate check -> SARIF -> report comment -> fail on 1 or 2."""

    def body() -> None:
        from servegate.ci_pipeline import write_ci

        for path in write_ci(provider, _project(), backend=backend, force=force):
            console.info(f"wrote {path}")

    _guard(body)


@ci_app.command("comment")
def ci_comment(
    provider: Annotated[str, typer.Option("--provider", help="github or gitlab.")],
    stack: StackOpt,
    report: Annotated[Path, typer.Option("--report", help="The stack's report.md.")],
    exit_code: Annotated[
        int | None, typer.Option("--exit-code", help="The gate's exit code, for the note.")
    ] = None,
) -> None:
    """Create or update the stack's one report comment on the pull or merge request."""

    def body() -> None:
        from servegate.ci_comment import comment

        action = comment(provider, stack, report, exit_code)
        console.info(f"{action} the report comment of stack {stack}")

    _guard(body)


@policies_app.command("test")
def policies_test(engine: EngineOpt = DEFAULT_ENGINE) -> None:
    """Run every *_test.rego on the chosen engine, with coverage where the engine has it."""

    def body() -> None:
        from servegate.cli.policy_output import print_package_line, print_test_results
        from servegate.engines.factory import OPA_URL_ENV
        from servegate.policy.testing import run_policy_tests

        check_engine(engine, os.environ.get(OPA_URL_ENV))
        # Package lines print as each finishes: regopy takes minutes on the whole suite.
        progress = None if console.quiet() else print_package_line
        results = run_policy_tests(
            catalog.policies_dir(_project()), engine=engine, on_package=progress
        )
        raise typer.Exit(print_test_results(results, package_lines=False))

    _guard(body)


@policies_app.command("doc")
def policies_doc(
    out: Annotated[
        Path | None, typer.Option("--out", help="Write to this file instead of stdout.")
    ] = None,
    framework: Annotated[
        str | None,
        typer.Option(
            "--framework",
            help="Group by one framework's controls (a key of policies/data/controls.yaml, "
            "e.g. NIST-800-53).",
        ),
    ] = None,
) -> None:
    """The control catalog (Markdown) for reviewers."""

    def body() -> None:
        from servegate.policy.bundle import load_bundle
        from servegate.report.catalog_doc import catalog_markdown, framework_markdown

        bundle = load_bundle(catalog.policies_dir(_project()))
        if framework is None:
            text = catalog_markdown(bundle.rules, bundle.data["params"])
        else:
            text = framework_markdown(bundle.rules, bundle.controls, framework)
        if out is None:
            sys.stdout.write(text)
        else:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text, encoding="utf-8")
            console.info(f"wrote {out}")

    _guard(body)


@slo_app.command("doc")
def slo_doc(
    stack: StackOpt,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write to this file instead of stdout.")
    ] = None,
) -> None:
    """The stack's SLA statement (Markdown): objectives, SLIs, alerts, floors, runbooks."""

    def body() -> None:
        from servegate.k8s_manifests import manifests
        from servegate.run import offline_inventory
        from servegate.slo_doc import sla_statement

        spec = load_stack(stack, _project())
        planned = offline_inventory(spec, _project())
        text = sla_statement(spec, manifests(planned.inventory))
        if out is None:
            sys.stdout.write(text)
        else:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text, encoding="utf-8")
            console.info(f"wrote {out}")

    _guard(body)


@slo_app.command("budget")
def slo_budget(
    stack: StackOpt,
    prometheus: Annotated[
        str,
        typer.Option(
            "--prometheus", metavar="URL", help="Prometheus base URL (its /api/v1/query is read)."
        ),
    ],
    out: Annotated[
        Path | None, typer.Option("--out", help="Write to this file instead of stdout.")
    ] = None,
) -> None:
    """Each model's remaining error budget over the SLO window, as the JSON document
    `--error-budget` reads (servegate/schemas/error_budget.schema.json)."""

    def body() -> None:
        from servegate.prometheus_budget import query_budget

        spec = load_stack(stack, _project())
        text = json.dumps(query_budget(spec, prometheus).to_dict(), indent=2) + "\n"
        if out is None:
            sys.stdout.write(text)
        else:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text, encoding="utf-8")
            console.info(f"wrote {out}")

    _guard(body)


@audit_app.command("verify")
def audit_verify(
    audit_log: Annotated[
        Path | None,
        typer.Option("--audit-log", "--log", help=f"Default {DEFAULT_AUDIT_LOG.as_posix()}."),
    ] = None,
    expect_head: Annotated[
        str | None,
        typer.Option(
            "--expect-head",
            metavar="DIGEST",
            help="Exit 1 unless the chain ends at this head (printed by an earlier verify).",
        ),
    ] = None,
) -> None:
    """Check the audit log's hash chain; print its head digest, or the first line changed,
    removed or reordered."""

    def body() -> None:
        from servegate.audit_log import audit_log_path, parse_head, verify

        path = audit_log_path(_project(), audit_log)
        expected = parse_head(expect_head) if expect_head is not None else None
        if not path.exists():
            raise GateError(f"{path}: no audit log")
        result = verify(path, expect_head=expected)
        if not result.ok:
            console.error(f"{path}: {result.problem}")
            raise typer.Exit(1)
        if result.head_problem:
            console.error(f"{path}: {result.head_problem}")
            raise typer.Exit(1)
        console.out_console().print(
            f"ok: {result.lines} lines, chain intact, head {result.head}", markup=False
        )
        raise typer.Exit(0)

    _guard(body)


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    app()
