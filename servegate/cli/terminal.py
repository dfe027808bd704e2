"""What the gate prints on a terminal: the verdict, what blocks, where to read more."""

from __future__ import annotations

from pathlib import Path

from rich.markup import escape
from rich.table import Table

from servegate import console
from servegate.findings import Report, Result, Verdict
from servegate.summary import StackSummary

_SHOWN = 20


def print_summary(summary: StackSummary) -> None:
    out = console.out_console()
    out.print(
        f"[bold]{escape(summary.stack)}[/] in {summary.region} (zone {summary.zone}): "
        f"{summary.resources} resources"
    )
    components = Table(
        "component", "resources", title="Resources by component", title_justify="left"
    )
    for name, count in summary.by_component.items():
        components.add_row(escape(name), str(count))
    out.print(components)
    types = Table("type", "count", title="Resources by type", title_justify="left")
    for name, count in summary.by_type.items():
        types.add_row(escape(name), str(count))
    out.print(types)
    pools = Table(
        "pool",
        "instance",
        "GPU",
        "GPUs/node",
        "nodes",
        "capacity",
        "USD/month at max",
        title="GPU pools",
        title_justify="left",
    )
    for pool in summary.pools:
        cost = "no price" if pool.monthly_usd_at_max is None else f"{pool.monthly_usd_at_max:,.0f}"
        pools.add_row(
            pool.name,
            pool.instance_type,
            pool.gpu,
            str(pool.gpus_per_node),
            f"{pool.min_nodes}-{pool.max_nodes}",
            pool.capacity_type,
            cost,
        )
    out.print(pools)
    models = Table(
        "model",
        "served as",
        "pool",
        "GPU",
        "GPUs/replica",
        "replicas",
        "canary",
        title="Models",
        title_justify="left",
    )
    for model in summary.models:
        models.add_row(
            model.name,
            escape(model.served_model_name),
            model.pool,
            model.gpu,
            str(model.gpus_per_replica),
            f"{model.min_replicas}-{model.max_replicas}",
            model.canary or "-",
        )
    out.print(models)
    _print_model_fit(summary)
    total = summary.monthly_gpu_usd_at_max
    budget = summary.budget_monthly_usd
    out.print(
        f"GPUs: {summary.gpus_min}-{summary.gpus_max}; estimated GPU cost at max scale: "
        + ("unknown (no price for a pool)" if total is None else f"USD {total:,.0f}/month")
        + ("" if budget is None else f" (budget USD {budget:,.0f})")
    )


def _print_model_fit(summary: StackSummary) -> None:
    """Per model: what one replica's GPUs hold (components/model_fit.py)."""
    table = Table(
        "model",
        "GPUs",
        "weights",
        "usable",
        "KV tokens",
        "full seqs",
        "headroom",
        title="Model fit per replica (GiB; KV cache in tokens and sequences of maxModelLen)",
        title_justify="left",
    )
    for row in summary.model_fit:
        table.add_row(
            row.name,
            escape(row.gpus),
            f"{row.weights_gib:.1f}",
            f"{row.budget_gib:.1f}",
            f"{row.kv_capacity_tokens:,}",
            f"{row.full_sequences} x {row.max_model_len}",
            f"{row.headroom_gib:.1f}",
        )
    console.out_console().print(table)


def print_report(report: Report, written: list[Path]) -> None:
    out = console.out_console()
    summary = report.summary
    colour = "green" if report.verdict is Verdict.PASS else "red"
    out.print(
        f"[bold {colour}]{report.verdict.value.upper()}[/] {escape(report.stack)} "
        f"({report.source}): {summary.mandatory_failed} blocking, {summary.advisory} advisory, "
        f"{summary.waived} waived, {summary.undecided} undecided "
        f"— {len(report.rules)} rules on {report.resources_evaluated} resources, "
        f"{report.engine.name} {report.engine.version}"
    )
    blocking = [f for f in report.findings if f.blocking]
    for finding in blocking[:_SHOWN]:
        marker = "?" if finding.result is Result.UNDECIDED else "x"
        out.print(
            f"  {marker} [bold]{finding.rule_id}[/] {finding.severity.value}: "
            f"{escape(finding.message)}\n      {escape(finding.resource_urn)}"
        )
    if len(blocking) > _SHOWN:
        out.print(f"  ... and {len(blocking) - _SHOWN} more (see the reports)")
    for problem in report.waiver_problems:
        out.print(f"  ! waiver #{problem.index + 1}: {escape(problem.reason)}")
    if report.baseline_path:
        new = sum(1 for f in report.findings if f.baseline and f.baseline.value == "new")
        out.print(
            f"  baseline {escape(report.baseline_path)}: {new} new, {len(report.resolved)} resolved"
        )
    for path in written:
        out.print(f"  wrote {escape(str(path))}")
