"""report.html's "SLA statement": the statement `servegate slo doc` writes, from the same data.

The report is written by the gate itself (`servegate preview`, and `servegate check` of the
saved plan), parsed with html.parser and compared with the planned PrometheusRule and with
the Markdown of `slo doc`.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from components import catalog
from servegate.cli.main import app
from servegate.declared import declared_of
from servegate.findings import Report
from servegate.k8s_manifests import manifests
from servegate.report.html import render_html
from servegate.sla_statement import SlaStatement
from servegate.slo_doc import build_statement, render_statement_markdown, statement_of_plan
from tests import stacks
from tests.report_builders import passing_report

runner = CliRunner()


class _Statement(HTMLParser):
    """Rows of the tables inside ``<h2 id="sla-statement">``'s section: per model section
    (``data-model``) and table (id or class), each row's ``data-*`` key and cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = False
        self.model: str | None = None
        self.table: str | None = None
        self.rows: list[tuple[str | None, str | None, str, list[str]]] = []
        self.model_sections: list[str] = []
        self.text: list[str] = []
        self._row: list[str] | None = None
        self._key = ""
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "h2":
            self.inside = a.get("id") == "sla-statement"
        if not self.inside:
            return
        if tag == "section" and a.get("data-model"):
            self.model = a["data-model"]
            self.model_sections.append(str(self.model))
        elif tag == "section":
            self.model = None
        elif tag == "table":
            self.table = a.get("id") or a.get("class")
        elif tag == "tr":
            self._row = []
            self._key = a.get("data-alert") or a.get("data-metric") or ""
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if not self.inside:
            return
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self._key:
                self.rows.append((self.model, self.table, self._key, self._row))
            self._row = None

    def handle_data(self, data: str) -> None:
        if not self.inside:
            return
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


def _parse(html: str) -> _Statement:
    parser = _Statement()
    parser.feed(html)
    return parser


def _planned_alerts(stack: str) -> set[str]:
    return {
        rule["alert"]
        for m in manifests(stacks.inventory(stack))
        if m.kind == "PrometheusRule"
        for group in m.body["spec"]["groups"]
        for rule in group["rules"]
        if "alert" in rule
    }


def _markdown_rows(text: str, header: str) -> list[list[str]]:
    """The rows of every Markdown table whose header row starts with ``header``."""
    rows: list[list[str]] = []
    taking = False
    for line in text.splitlines():
        if line.startswith(f"| {header} |"):
            taking = True
            continue
        if taking and line.startswith("|---"):
            continue
        if taking and line.startswith("| "):
            cells = re.split(r"(?<!\\) \| ", line.strip()[2:-2])
            rows.append([cell.replace("\\|", "|").strip("`") for cell in cells])
            continue
        taking = False
    return rows


@pytest.fixture(scope="module")
def gated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """prod-ca gated by `preview` (plan saved) and by `check` of that plan: their reports."""
    project = tmp_path_factory.mktemp("project")
    shutil.copytree(catalog.PROJECT_ROOT / "stacks", project / "stacks")
    (project / "policies").symlink_to(catalog.PROJECT_ROOT / "policies")
    shutil.copy(catalog.PROJECT_ROOT / "__main__.py", project / "__main__.py")
    shutil.copy(catalog.PROJECT_ROOT / "Pulumi.yaml", project / "Pulumi.yaml")
    plan = project / "plan.json"
    out: dict[str, Path] = {}
    for command, args in (
        ("preview", ["preview", "-s", "prod-ca", "--save-plan", str(plan)]),
        ("check", ["check", str(plan), "-s", "prod-ca"]),
    ):
        reports = project / f"reports-{command}"
        result = runner.invoke(
            app,
            ["-C", str(project), *args, "--format", "html,json", "--out", str(reports)],
        )
        assert result.exit_code == 0, result.output
        out[command] = reports
    return out


@pytest.mark.parametrize("command", ["preview", "check"])
def test_the_gates_report_states_every_model_and_every_planned_alert(
    gated: dict[str, Path], command: str
) -> None:
    folder = gated[command]
    parsed = _parse((folder / "report.html").read_text())
    spec = stacks.spec("prod-ca")
    assert parsed.model_sections == [model.name for model in spec.models]
    listed = {key for model, table, key, _ in parsed.rows if table == "sla-alerts"}
    assert listed == _planned_alerts("prod-ca")
    text = " ".join(" ".join(parsed.text).split())
    assert f"Availability: {spec.sla.availability:g} % of requests" in text  # type: ignore[union-attr]
    assert "Rollback is automatic" in text and "never promotes" in text
    assert "rule SLA-024 blocks" in text
    assert "PodDisruptionBudget vllm-llama-8b: minAvailable 1." in text
    # report.json carries the same statement as data.
    document = json.loads((folder / "report.json").read_text())
    statement = document["sla_statement"]
    assert [m["name"] for m in statement["models"]] == parsed.model_sections
    assert {a["name"] for a in statement["alerts"]} == listed


def test_the_section_and_slo_doc_agree_on_alerts_and_thresholds() -> None:
    spec = stacks.spec("prod-ca")
    statement = build_statement(spec, manifests(stacks.inventory("prod-ca")))
    html = render_html(_with(statement))
    parsed = _parse(html)
    markdown = render_statement_markdown(statement)
    md_alerts = {row[0] for row in _markdown_rows(markdown, "alert | model")}
    html_alerts = {key for _, table, key, _ in parsed.rows if table == "sla-alerts"}
    assert md_alerts == html_alerts == _planned_alerts("prod-ca")
    # Burn-rate thresholds: (alert, SLI, windows, fires above, severity), per model.
    md_burn = {tuple(row) for row in _markdown_rows(markdown, "alert | SLI")}
    html_burn = {tuple(cells) for _, table, _, cells in parsed.rows if table == "sla-burn-alerts"}
    assert md_burn == html_burn and ("ModelAvailabilityBurnRate", "availability", "1h-5m",
                                     "0.0144", "page") in html_burn  # fmt: skip
    # Analysis metrics with their pass condition, as the AnalysisTemplate states them.
    md_analysis = {(row[0], row[1]) for row in _markdown_rows(markdown, "analysis metric")}
    html_analysis = {
        (cells[0], cells[1]) for _, table, _, cells in parsed.rows if table == "sla-analysis"
    }
    assert md_analysis == html_analysis
    assert {name for name, _ in html_analysis} == {
        "error-ratio",
        "ttft-slow-ratio",
        "e2e-slow-ratio",
        "canary-error-ratio",
        "canary-ttft-slow-ratio",
        "canary-e2e-slow-ratio",
    }
    assert ("error-ratio", "len(result) > 0 && !isNaN(result[0]) && result[0] <= 0.001") in (
        html_analysis
    )


def test_the_section_escapes_what_it_shows() -> None:
    spec = stacks.spec("prod-ca")
    html = render_html(_with(build_statement(spec, manifests(stacks.inventory("prod-ca")))))
    section = html.split('<h2 id="sla-statement">', 1)[1].split('<h2 id="catalog">', 1)[0]
    # PromQL's quotes and the conditions' && are escaped, never raw markup.
    assert "&amp;&amp; !isNaN" in section and 'envoy_response_code=~"' not in section
    assert "envoy_response_code=~&#34;5..|429&#34;" in section


def test_a_stack_without_sla_gets_one_line_and_no_statement() -> None:
    assert statement_of_plan(stacks.spec("dev"), stacks.inventory("dev")) is None
    report = replace(passing_report(), declared=declared_of(stacks.inventory("dev")))
    assert report.declared is not None and report.declared.sla is None
    parsed = _parse(render_html(report))
    assert parsed.rows == [] and parsed.model_sections == []
    text = " ".join(" ".join(parsed.text).split())
    assert text.startswith("SLA statement No SLA is declared")


def test_a_plan_without_its_prometheus_rule_states_nothing() -> None:
    inventory = stacks.inventory("prod-ca")
    without = {
        **inventory,
        "resources": [
            r for r in inventory["resources"] if not r["type"].endswith(":PrometheusRule")
        ],
    }
    assert statement_of_plan(stacks.spec("prod-ca"), without) is None
    assert statement_of_plan(stacks.spec("prod-ca"), inventory) is not None


def _with(statement: SlaStatement) -> Report:
    return replace(passing_report(), sla_statement=statement)
