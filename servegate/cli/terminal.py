"""What the gate prints on a terminal: the verdict, what blocks, where to read more."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from rich.markup import escape
from rich.table import Table

from servegate import console
from servegate.cost import KIND_TITLES, CostEstimate, format_usd
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
    node_scaling = {s.name: s for s in summary.scaling if s.kind == "nodes"}
    for pool in summary.pools:
        cost = "no price" if pool.monthly_usd_at_max is None else f"{pool.monthly_usd_at_max:,.0f}"
        scaling = node_scaling.get(pool.name)
        nodes = (
            f"{pool.min_nodes}-{pool.max_nodes}"
            if scaling is None or scaling.scaled_by
            else f"{pool.min_nodes} (no node autoscaler)"
        )
        pools.add_row(
            pool.name,
            pool.instance_type,
            pool.gpu,
            str(pool.gpus_per_node),
            nodes,
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
    for model in summary.models:
        if model.floor_note:
            out.print(f"  {model.name} replicas: {model.floor_note}", markup=False)
    if summary.scaling:
        scaling_table = Table(
            "scales", "what", "by", "from", "up to", title="What can scale", title_justify="left"
        )
        for line in summary.scaling:
            scaling_table.add_row(
                line.kind,
                escape(line.name),
                line.scaled_by or "fixed",
                str(line.minimum),
                str(line.maximum),
            )
        out.print(scaling_table)
    _print_model_fit(summary)
    out.print(f"GPUs: {summary.gpus_min}-{summary.gpus_max}")
    print_cost(summary.cost, summary.budget_monthly_usd)


# Line items shown per kind before "and N more".
_DRIVERS_SHOWN = 3


def print_cost(estimate: CostEstimate, budget: float | None) -> None:
    """The monthly cost, min (minimum scale) to max, by kind, with what drives each."""
    out = console.out_console()
    table = Table(
        "kind",
        "USD/month min",
        "USD/month max",
        "driven by",
        title="Monthly cost (USD)",
        title_justify="left",
    )
    for total in estimate.by_kind:
        items = sorted(
            (i for i in estimate.items if i.kind == total.kind), key=lambda i: -i.max_cents
        )
        # Identical bases (nine endpoints in 3 AZs each) read once, with their count.
        bases = Counter(i.basis for i in items)
        drivers = [
            escape(basis if n == 1 else f"{n} × {basis}")
            for basis, n in list(bases.items())[:_DRIVERS_SHOWN]
        ]
        if len(bases) > _DRIVERS_SHOWN:
            drivers.append(f"and {len(bases) - _DRIVERS_SHOWN} more")
        table.add_row(
            KIND_TITLES[total.kind],
            format_usd(total.min_cents),
            format_usd(total.max_cents),
            "\n".join(drivers) or "-",
        )
    out.print(table)
    line = f"Total: USD {format_usd(estimate.min_cents)} - {format_usd(estimate.max_cents)}/month"
    if budget is not None:
        line += f" (budget USD {budget:,.0f})"
    out.print(line)
    for gap in estimate.unpriced:
        out.print(f"[yellow]not priced[/]: {escape(gap.name)} ({escape(gap.missing)} missing)")
    if estimate.unverified:
        out.print(
            "Unverified prices (policies/data/prices.yaml): " + ", ".join(estimate.unverified)
        )
    if estimate.not_estimated:
        out.print("Not estimated: " + "; ".join(estimate.not_estimated))


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
    if report.waivers_file is not None and not console.quiet():
        out.print(
            f"  waivers {escape(report.waivers_file)} (sha256 {report.waivers_sha256}): "
            f"{summary.waived} finding{'s' if summary.waived != 1 else ''} waived"
        )
    for problem in report.waiver_problems:
        out.print(f"  ! {problem.label}: {escape(problem.reason)}")
    if report.baseline_path:
        new = sum(1 for f in report.findings if f.baseline and f.baseline.value == "new")
        out.print(
            f"  baseline {escape(report.baseline_path)}: {new} new, {len(report.resolved)} resolved"
        )
    for path in written:
        out.print(f"  wrote {escape(str(path))}")
