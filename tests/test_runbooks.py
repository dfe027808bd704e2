"""Runbooks: every alert has one, generated from the same table, naming real panels and metrics."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components import runbooks
from components.config import ConfigError, parse_spec, read_stack_config, stack_file
from components.dashboards import TITLES
from components.slo_rules import Objectives, build_rule_groups
from servegate.k8s_manifests import manifests
from tests import stacks
from tests.gateway_metrics import telemetry
from tests.metric_lists import series_read
from tests.test_metric_names import BUILT_IN, _metrics, _records


def _alerts(stack: str) -> list[dict[str, Any]]:
    return [
        rule
        for m in manifests(stacks.inventory(stack))
        if m.kind == "PrometheusRule"
        for group in m.body["spec"]["groups"]
        for rule in group["rules"]
        if "alert" in rule
    ]


def _panels(stack: str) -> set[tuple[str, str]]:
    found = set()
    for m in manifests(stacks.inventory(stack)):
        if m.kind == "ConfigMap" and "grafana_dashboard" in m.body["metadata"].get("labels", {}):
            for text in m.body["data"].values():
                dashboard = json.loads(text)
                found |= {(dashboard["uid"], panel["title"]) for panel in dashboard["panels"]}
    return found


@pytest.mark.parametrize("stack", stacks.SHIPPED)
def test_every_alert_points_at_its_runbook_page(stack: str) -> None:
    alerts = _alerts(stack)
    assert alerts
    for rule in alerts:
        url = rule["annotations"]["runbook_url"]
        assert url == f"docs/runbooks/{rule['alert']}.md"
        assert (runbooks.RUNBOOK_DIR / f"{rule['alert']}.md").is_file()


def test_the_pages_are_generated_from_the_table_and_current() -> None:
    expected = runbooks.render_all(TITLES)
    on_disk = {p.name: p.read_text() for p in runbooks.RUNBOOK_DIR.glob("*.md")}
    assert on_disk == expected, "docs/runbooks is stale: run python -m components.runbooks"


def test_every_runbook_belongs_to_an_alert_a_stack_defines() -> None:
    defined = {rule["alert"] for stack in stacks.SHIPPED for rule in _alerts(stack)}
    assert set(runbooks.RUNBOOKS) == defined


@pytest.mark.parametrize("stack", stacks.SHIPPED)
def test_every_runbook_names_an_existing_panel_and_metrics(stack: str) -> None:
    panels, metrics, records = _panels(stack), _metrics(stack), _records(stack)
    for book in runbooks.RUNBOOKS.values():
        assert (book.dashboard, book.panel) in panels, book.alert
        known = metrics.keys() | records.keys() | BUILT_IN
        unknown = [m for m in book.metrics if m not in known]
        assert unknown == [], book.alert
        # The metrics a runbook names are exactly the series its PromQL checks read.
        read = {s for c in book.checks if c.kind == "promql" for s, _ in series_read(c.command)}
        assert read == set(book.metrics), book.alert


def test_each_page_has_the_five_sections() -> None:
    page = runbooks.render(runbooks.RUNBOOKS["ModelPodsPending"], TITLES)
    headings = [line for line in page.splitlines() if line.startswith("## ")]
    assert headings == [
        "## What it means",
        "## Open first",
        "## First three checks",
        "## Mitigation",
        "## When to escalate",
    ]
    assert "panel **Model-server pods pending**" in page
    assert page.count("```") == 6


def test_a_published_base_url_reaches_every_alert() -> None:
    spec = stacks.spec("prod-ca")
    base = "https://runbooks.example.org/servegate"
    groups = build_rule_groups(Objectives.of(spec.sla), spec.models, telemetry(spec), base)
    urls = {r["annotations"]["runbook_url"] for g in groups for r in g["rules"] if "alert" in r}
    assert f"{base}/ModelPodsPending.md" in urls
    assert all(url.startswith(base + "/") for url in urls)


def test_the_base_url_must_be_https() -> None:
    path = stack_file("dev")
    config = read_stack_config(path)
    config["llm-serving:monitoring"] = {"runbookBaseUrl": "http://wiki.internal/runbooks"}
    with pytest.raises(ConfigError, match="runbookBaseUrl"):
        parse_spec("dev", config, source=str(path))


def test_an_alert_without_a_runbook_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = stacks.spec("dev")
    monkeypatch.delitem(runbooks.RUNBOOKS, "GpuUtilisationLow")
    with pytest.raises(KeyError, match="GpuUtilisationLow has no runbook"):
        build_rule_groups(Objectives.of(spec.sla), spec.models, telemetry(spec))
