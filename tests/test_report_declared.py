"""report.json, HTML and Markdown state what the stack claims (issue 9, part 4)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from servegate.declared import declared_of
from servegate.report.html import render_html
from servegate.report.json_report import render_json
from servegate.report.markdown import render_markdown
from servegate.summary import summarize
from tests import stacks
from tests.report_builders import passing_report


def test_prod_ca_declares_its_claims() -> None:
    declared = declared_of(stacks.inventory("prod-ca"))
    assert (declared.zone, declared.region) == ("ca", "ca-central-1")
    assert declared.sovereign is True and declared.air_gapped is True
    assert declared.sla is not None and declared.sla.availability == 99.9
    assert declared.sla.latency == {"ttftP95Seconds": 1.5, "e2eP95Seconds": 20}
    assert declared.data_classification == "regulated"
    assert declared.budget_monthly_usd == 31000
    assert declared.as_of == stacks.inventory("prod-ca")["evaluation"]["as_of"]


@pytest.mark.parametrize("stack", stacks.SHIPPED)
def test_gpu_models_and_cost_agree_with_the_preview_summary(stack: str) -> None:
    summary = summarize(stacks.spec(stack), stacks.inventory(stack))
    declared = declared_of(stacks.inventory(stack))
    assert declared.cost_min_usd == summary.cost.min_usd
    assert declared.cost_max_usd == summary.cost.max_usd
    assert sum(p.nodes_min for p in declared.gpu_pools) == sum(p.min_nodes for p in summary.pools)
    assert sum(p.nodes_max for p in declared.gpu_pools) == sum(p.max_nodes for p in summary.pools)
    pods = {s.name: (s.minimum, s.maximum) for s in summary.scaling if s.kind == "pods"}
    assert {m.name: (m.replicas_min, m.replicas_max) for m in declared.models} == pods


def test_dev_declares_no_sla_and_not_sovereign() -> None:
    declared = declared_of(stacks.inventory("dev"))
    assert declared.sla is None
    assert declared.sovereign is False and declared.air_gapped is False


def test_every_report_format_states_the_claims() -> None:
    report = replace(passing_report(), declared=declared_of(stacks.inventory("prod-ca")))
    document = json.loads(render_json(report))
    assert document["declared"]["zone"] == "ca"
    assert document["declared"]["sla"]["availability"] == 99.9
    assert document["declared"]["gpu_pools"][0]["monthly_max_usd"] > 0
    html = render_html(report)
    assert "<dt>Data classification</dt><dd>regulated</dd>" in html
    assert "<dt>Budget</dt><dd>31000.00 USD/month</dd>" in html
    assert "99.9 % availability" in html
    markdown = render_markdown(report)
    assert "**What was judged:** zone <code>ca</code> in <code>ca-central-1</code>" in markdown
    assert "· sovereign · air-gapped · SLA 99.9 %" in markdown
    assert "mixtral-8x7b" in markdown


def test_declared_survives_a_round_trip(tmp_path: Path) -> None:
    from servegate.report.json_report import load_report_json

    report = replace(passing_report(), declared=declared_of(stacks.inventory("prod-ca")))
    path = tmp_path / "report.json"
    path.write_text(render_json(report), encoding="utf-8")
    assert load_report_json(path).declared == report.declared


@pytest.mark.parametrize(
    ("sovereign", "air_gapped", "shown"),
    [
        (None, None, "· sovereignty not declared · air gap not declared ·"),
        (False, False, "· not sovereign · not air-gapped ·"),
        (True, True, "· sovereign · air-gapped ·"),
    ],
)
def test_an_undeclared_residency_flag_is_shown_as_not_declared(
    sovereign: bool | None, air_gapped: bool | None, shown: str
) -> None:
    claims = declared_of(stacks.inventory("prod-ca"))
    report = replace(
        passing_report(), declared=replace(claims, sovereign=sovereign, air_gapped=air_gapped)
    )
    assert shown in render_markdown(report)
    html = render_html(report)
    word = {None: "not declared", False: "no", True: "yes"}
    assert f"<dt>Sovereign</dt><dd>{word[sovereign]}</dd>" in html
    assert f"<dt>Air-gapped</dt><dd>{word[air_gapped]}</dd>" in html
    document = json.loads(render_json(report))
    assert document["declared"]["sovereign"] is sovereign
    assert document["declared"]["air_gapped"] is air_gapped
